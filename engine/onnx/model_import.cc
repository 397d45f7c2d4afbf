// ModelProto -> Model conversion.
#include "engine/onnx/model_import.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "common/aligned_buffer.h"
#include "common/strings.h"
#include "engine/onnx/batch_rewrite.h"
#include "engine/onnx/legacy_opsets.h"
#include "engine/onnx/tensor_proto.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"
#include "engine/onnx/contrib_schemas.h"

namespace edgeserve {

namespace {

constexpr int kMaxSubgraphDepth = 32;

struct ImportContext {
  ExternalDataPolicy policy;
  std::map<std::string, int64_t> opsets;
};

bool is_onnx_domain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

TensorType tensor_type_from_proto(const onnx::TypeProto_Tensor& tt) {
  TensorType t;
  t.dtype = dtype_from_onnx(tt.elem_type());
  if (!tt.has_shape()) return t;
  std::vector<Dim> dims;
  for (const auto& d : tt.shape().dim()) {
    Dim dim;
    if (d.has_dim_value() && d.dim_value() >= 0) dim.value = d.dim_value();
    if (d.has_dim_param()) dim.symbol = d.dim_param();
    dims.push_back(dim);
  }
  t.dims = std::move(dims);
  return t;
}

// Tensors, sequences of tensors and optionals of either; anything else (maps, nested
// sequences) yields dtype kUndefined.
TensorType type_from_proto(const onnx::TypeProto& tp) {
  if (tp.has_tensor_type()) return tensor_type_from_proto(tp.tensor_type());
  const onnx::TypeProto* inner = &tp;
  bool optional = false;
  if (tp.has_optional_type()) {
    optional = true;
    inner = &tp.optional_type().elem_type();
    if (inner->has_tensor_type()) {
      TensorType t = tensor_type_from_proto(inner->tensor_type());
      t.kind = ValueKind::kOptionalTensor;
      return t;
    }
  }
  if (inner->has_sequence_type() && inner->sequence_type().elem_type().has_tensor_type()) {
    TensorType t = tensor_type_from_proto(inner->sequence_type().elem_type().tensor_type());
    t.kind = optional ? ValueKind::kOptionalSequence : ValueKind::kSequence;
    return t;
  }
  return TensorType{};
}

Result<std::shared_ptr<Graph>> convert_graph(const onnx::GraphProto& gp, ImportContext& ctx, int depth);

Result<Attribute> convert_attribute(const onnx::AttributeProto& ap, ImportContext& ctx, int depth,
                                    const std::string& where) {
  Attribute a;
  const std::string what = str_cat(where, ": attribute '", ap.name(), "'");
  switch (ap.type()) {
    case onnx::AttributeProto::FLOAT: a.kind = AttrKind::kFloat; a.f = ap.f(); break;
    case onnx::AttributeProto::INT: a.kind = AttrKind::kInt; a.i = ap.i(); break;
    case onnx::AttributeProto::STRING: a.kind = AttrKind::kString; a.s = ap.s(); break;
    case onnx::AttributeProto::FLOATS: a.kind = AttrKind::kFloats; a.floats.assign(ap.floats().begin(), ap.floats().end()); break;
    case onnx::AttributeProto::INTS: a.kind = AttrKind::kInts; a.ints.assign(ap.ints().begin(), ap.ints().end()); break;
    case onnx::AttributeProto::STRINGS: a.kind = AttrKind::kStrings; a.strings.assign(ap.strings().begin(), ap.strings().end()); break;
    case onnx::AttributeProto::TENSOR: {
      a.kind = AttrKind::kTensor;
      EDGE_ASSIGN_OR_RETURN(a.t, tensor_from_proto(ap.t(), ctx.policy, what));
      break;
    }
    case onnx::AttributeProto::TENSORS: {
      a.kind = AttrKind::kTensors;
      for (const auto& tp : ap.tensors()) {
        EDGE_ASSIGN_OR_RETURN(Tensor t, tensor_from_proto(tp, ctx.policy, what));
        a.tensors.push_back(std::move(t));
      }
      break;
    }
    case onnx::AttributeProto::GRAPH: {
      a.kind = AttrKind::kGraph;
      EDGE_ASSIGN_OR_RETURN(a.g, convert_graph(ap.g(), ctx, depth + 1));
      break;
    }
    case onnx::AttributeProto::GRAPHS: {
      a.kind = AttrKind::kGraphs;
      for (const auto& g : ap.graphs()) {
        EDGE_ASSIGN_OR_RETURN(auto sub, convert_graph(g, ctx, depth + 1));
        a.graphs.push_back(std::move(sub));
      }
      break;
    }
    case onnx::AttributeProto::TYPE_PROTO:
      a.kind = AttrKind::kType;
      a.s = type_from_proto(ap.tp()).to_string();
      break;
    default:
      return unimplemented(str_cat(what, " has unsupported type ", static_cast<int>(ap.type())));
  }
  return a;
}

// An ai.onnx op with no schema at its opset is not a valid model (unlike a valid op that no
// provider implements, which is reported when kernels are chosen). Models older than opset 7
// are accepted node by node when the op's definition has not changed since: such a node then
// runs with its opset-7 semantics.
Status check_onnx_schema(Node& node) {
  const auto* schema = onnx::OpSchemaRegistry::Schema(node.op_type, static_cast<int>(node.opset), "");
  if (schema == nullptr) {
    return invalid_argument(str_cat(node.describe(), ": unknown operator '", node.op_type,
                                    "' in domain ai.onnx at opset ", node.opset));
  }
  if (node.opset >= kMinOnnxOpset) return Status::ok();
  const auto* current = onnx::OpSchemaRegistry::Schema(node.op_type, static_cast<int>(kMinOnnxOpset), "");
  if (current == nullptr || current->since_version() != schema->since_version()) {
    return unimplemented(str_cat(node.describe(), ": this version of '", node.op_type, "' (since opset ",
                                 schema->since_version(), ") predates the supported opsets ", kMinOnnxOpset, " to ",
                                 kMaxOnnxOpset));
  }
  node.opset = kMinOnnxOpset;
  return Status::ok();
}

// Outer-scope names a subgraph reads: consumed by its nodes or returned as its outputs, but
// neither produced inside nor one of its inputs or initializers.
void collect_free_names(const Graph& body, std::vector<std::string>& names, std::set<std::string>& seen) {
  std::set<const Value*> local(body.inputs.begin(), body.inputs.end());
  for (const auto& n : body.nodes()) local.insert(n->outputs.begin(), n->outputs.end());
  auto visit = [&](const Value* v) {
    if (v != nullptr && !v->constant && !local.count(v) && seen.insert(v->name).second) names.push_back(v->name);
  };
  for (const auto& n : body.nodes()) {
    for (const Value* in : n->inputs) visit(in);
  }
  for (const Value* out : body.outputs) visit(out);
}

// Appends the outer-scope values of a control-flow node's subgraphs to its inputs (see
// Node::implicit_inputs) and to every subgraph's inputs, in the same order, then orders the
// subgraphs. Nested subgraphs were linked first, so their free names surface here.
Status link_subgraphs(Node& node, Graph& outer) {
  std::vector<Graph*> bodies;
  for (auto& [name, attr] : node.attributes) {
    if (attr.kind == AttrKind::kGraph && attr.g) bodies.push_back(attr.g.get());
    for (auto& sub : attr.graphs) bodies.push_back(sub.get());
  }
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const Graph* body : bodies) collect_free_names(*body, names, seen);
  for (const std::string& name : names) node.inputs.push_back(outer.value(name));
  node.implicit_inputs = names.size();
  for (Graph* body : bodies) {
    for (const std::string& name : names) body->inputs.push_back(body->value(name));
    Status st = body->finalize();
    if (!st.is_ok()) return st.with_context(str_cat(node.describe(), ": subgraph '", body->name, "'"));
  }
  return Status::ok();
}

Status convert_node(const onnx::NodeProto& np, size_t position, Graph& g, ImportContext& ctx, int depth) {
  auto node = std::make_unique<Node>();
  node->op_type = np.op_type();
  node->domain = is_onnx_domain(np.domain()) ? "" : np.domain();
  node->name = np.name().empty() ? str_cat(np.op_type(), "_", position) : np.name();
  auto opset = ctx.opsets.find(node->domain);
  if (opset == ctx.opsets.end()) {
    return invalid_argument(str_cat(node->describe(), ": domain '", np.domain(), "' is not in the model's opset_import"));
  }
  node->opset = opset->second;
  if (node->domain.empty()) EDGE_RETURN_IF_ERROR(check_onnx_schema(*node));
  for (const auto& in : np.input()) node->inputs.push_back(in.empty() ? nullptr : g.value(in));
  for (const auto& out : np.output()) node->outputs.push_back(out.empty() ? nullptr : g.value(out));
  for (const auto& ap : np.attribute()) {
    if (!ap.ref_attr_name().empty()) {
      return unimplemented(str_cat(node->describe(), ": attribute references (functions) are not supported"));
    }
    EDGE_ASSIGN_OR_RETURN(Attribute a, convert_attribute(ap, ctx, depth, node->describe()));
    if (!node->attributes.emplace(ap.name(), std::move(a)).second) {
      return invalid_argument(str_cat(node->describe(), ": attribute '", ap.name(), "' appears twice"));
    }
  }
  EDGE_RETURN_IF_ERROR(link_subgraphs(*node, g));
  g.add_node(std::move(node));
  return Status::ok();
}

Result<std::shared_ptr<Graph>> convert_graph(const onnx::GraphProto& gp, ImportContext& ctx, int depth) {
  if (depth > kMaxSubgraphDepth) return invalid_argument("subgraphs are nested too deeply");
  auto g = std::make_shared<Graph>();
  g->name = gp.name();
  if (gp.sparse_initializer_size() > 0) return unimplemented("sparse initializers are not supported");
  for (const auto& init : gp.initializer()) {
    if (init.name().empty()) return invalid_argument("an initializer has no name");
    Value* v = g->value(init.name());
    if (v->constant) return invalid_argument(str_cat("initializer '", init.name(), "' is defined twice"));
    EDGE_ASSIGN_OR_RETURN(v->constant, tensor_from_proto(init, ctx.policy, str_cat("initializer '", init.name(), "'")));
    v->type.dtype = v->constant->dtype();
    std::vector<Dim> dims;
    for (int64_t d : v->constant->dims()) dims.push_back(Dim{d, ""});
    v->type.dims = dims;
  }
  // Older exporters list initializers among graph inputs too; the true inputs are the rest.
  for (const auto& in : gp.input()) {
    Value* v = g->value(in.name());
    if (v->constant) continue;
    v->type = type_from_proto(in.type());
    if (v->type.dtype == DType::kUndefined) {
      return unimplemented(str_cat("graph input '", in.name(), "' has an unsupported type (only tensors, ",
                                   "sequences of tensors and optionals of standard element types are supported)"));
    }
    g->inputs.push_back(v);
  }
  for (const auto& vi : gp.value_info()) {
    Value* v = g->value(vi.name());
    if (!v->constant) v->type = type_from_proto(vi.type());
  }
  for (const auto& out : gp.output()) {
    Value* v = g->value(out.name());
    if (!v->constant) v->type = type_from_proto(out.type());
    g->outputs.push_back(v);
  }
  for (int i = 0; i < gp.node_size(); ++i) {
    EDGE_RETURN_IF_ERROR(convert_node(gp.node(i), static_cast<size_t>(i), *g, ctx, depth));
  }
  // A subgraph is finalized by link_subgraphs, once its outer-scope values are its inputs.
  if (depth == 0) EDGE_RETURN_IF_ERROR(g->finalize());
  return g;
}

Status read_opsets(const onnx::ModelProto& mp, std::map<std::string, int64_t>& opsets) {
  for (const auto& os : mp.opset_import()) {
    const std::string domain = is_onnx_domain(os.domain()) ? "" : os.domain();
    opsets[domain] = os.version();
  }
  if (mp.opset_import_size() == 0) opsets[""] = 1;  // IR v2 models; rejected below
  auto onnx_opset = opsets.find("");
  if (onnx_opset != opsets.end() && (onnx_opset->second < 1 || onnx_opset->second > kMaxOnnxOpset)) {
    return unimplemented(str_cat("ai.onnx opset ", onnx_opset->second, " is not supported (supported: ",
                                 kMinOnnxOpset, " to ", kMaxOnnxOpset, ")"));
  }
  return Status::ok();
}

// Seeds value types with ONNX's own shape inference. Best effort: inference problems are not
// import errors (the runtime checks shapes as they flow).
void infer_shapes(onnx::ModelProto& mp) {
  register_contrib_schemas();
  try {
    onnx::ShapeInferenceOptions options{/*check_type=*/false, /*error_mode=*/0, /*enable_data_propagation=*/false};
    onnx::shape_inference::InferShapes(mp, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception&) {
  }
}

}  // namespace

Result<Model> import_model_bytes(std::string_view bytes, const std::string& model_dir, const ImportOptions& options) {
  onnx::ModelProto mp;
  if (bytes.empty()) return invalid_argument("the model is empty (0 bytes)");
  if (bytes.size() > static_cast<size_t>(kMaxModelFileBytes) ||
      !mp.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid_argument("not a valid ONNX model (protobuf parse failed; truncated or not an .onnx file?)");
  }
  if (!mp.has_graph()) return invalid_argument("the model has no graph");
  if (mp.ir_version() < kMinIrVersion || mp.ir_version() > kMaxIrVersion) {
    return unimplemented(str_cat("IR version ", mp.ir_version(), " is not supported (supported: ", kMinIrVersion,
                                 " to ", kMaxIrVersion, ")"));
  }
  ImportContext ctx;
  ctx.policy.model_dir = model_dir;
  infer_shapes(mp);
  EDGE_RETURN_IF_ERROR(upgrade_legacy_opsets(mp));
  EDGE_RETURN_IF_ERROR(read_opsets(mp, ctx.opsets));
  if (options.free_batch) {
    EDGE_RETURN_IF_ERROR(free_batch_dimension(mp));
    infer_shapes(mp);
  }
  Model model;
  model.ir_version = mp.ir_version();
  model.producer_name = mp.producer_name();
  model.opsets = ctx.opsets;
  EDGE_ASSIGN_OR_RETURN(model.graph, convert_graph(mp.graph(), ctx, 0));
  return model;
}

Result<Model> import_model_file(const std::string& path, const ImportOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return not_found(str_cat(path, ": no such model file"));
  const auto size = fs::file_size(path, ec);
  if (ec) return not_found(str_cat(path, ": ", ec.message()));
  if (size > static_cast<uintmax_t>(kMaxModelFileBytes)) {
    return invalid_argument(str_cat(path, ": file of ", size, " bytes exceeds the ", kMaxModelFileBytes, "-byte limit"));
  }
  std::ifstream in(path, std::ios::binary);
  // Read into an uninitialised buffer: zero-filling 100 MB of weights first costs tens of ms.
  // (Not mmap: a file truncated while mapped would raise SIGBUS, and repositories are rewritten
  // under a running server.)
  std::shared_ptr<void> buffer = aligned_buffer(static_cast<size_t>(size), /*zero=*/false);
  if (buffer == nullptr) return resource_exhausted(str_cat(path, ": out of memory reading ", size, " bytes"));
  char* bytes = static_cast<char*>(buffer.get());
  if (!in.read(bytes, static_cast<std::streamsize>(size)) || in.gcount() != static_cast<std::streamsize>(size)) {
    return invalid_argument(str_cat(path, ": read failed"));
  }
  const std::string dir = fs::path(path).parent_path().string();
  auto model = import_model_bytes(std::string_view(bytes, size), dir.empty() ? "." : dir, options);
  if (!model.is_ok()) return model.status().with_context(path);
  model->path = path;
  return model;
}

}  // namespace edgeserve
