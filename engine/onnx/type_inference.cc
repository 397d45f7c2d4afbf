// IR -> a light ModelProto (large constants as typed inputs, no data) -> onnx::shape_inference
// -> the types it found, merged back into the IR.
#include "engine/onnx/type_inference.h"

#include <exception>
#include <set>
#include <unordered_map>

#include "engine/onnx/contrib_schemas.h"
#include "engine/onnx/graph_proto.h"
#include "engine/onnx/tensor_proto.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

namespace edgeserve {

namespace {

// Constants inference may need the values of (shapes, axes, pads) are small; larger ones go in
// as typed graph inputs, so no weight is ever copied.
constexpr int64_t kMaxInlinedElements = 4096;

bool describable(const Node& n) {
  for (const auto& [name, a] : n.attributes) {
    if (a.kind == AttrKind::kGraph || a.kind == AttrKind::kGraphs || a.kind == AttrKind::kType) return false;
  }
  auto container = [](const Value* v) { return v != nullptr && v->type.kind != ValueKind::kTensor; };
  for (const Value* v : n.inputs) {
    if (container(v)) return false;
  }
  for (const Value* v : n.outputs) {
    if (container(v)) return false;
  }
  return true;
}

void write_opsets(const Graph& g, std::map<std::string, int64_t> opsets, onnx::ModelProto& mp) {
  for (const auto& n : g.nodes()) opsets.emplace(n->domain, n->domain == "edgeserve" ? 1 : n->opset);
  for (const auto& [domain, version] : opsets) {
    auto* os = mp.add_opset_import();
    os->set_domain(domain);
    os->set_version(version);
  }
}

Status build_inference_model(const Graph& g, const std::map<std::string, int64_t>& opsets, onnx::ModelProto& mp) {
  mp.set_ir_version(8);
  write_opsets(g, opsets, mp);
  auto* gp = mp.mutable_graph();
  std::set<const Value*> declared;
  for (const Value* v : g.inputs) {
    value_info(*v, gp->add_input());
    declared.insert(v);
  }
  for (const auto& v : g.values()) {
    if (!v->constant || v->consumers.empty()) continue;
    if (v->constant->num_elements() <= kMaxInlinedElements) tensor_to_proto(*v->constant, v->name, gp->add_initializer());
    else value_info(*v, gp->add_input());
    declared.insert(v.get());
  }
  for (const auto& n : g.nodes()) {
    if (describable(*n)) {
      EDGE_RETURN_IF_ERROR(node_to_proto(*n, gp->add_node()));
      continue;
    }
    for (const Value* out : n->outputs) {
      if (out != nullptr && declared.insert(out).second) value_info(*out, gp->add_input());
    }
  }
  for (const auto& v : g.values()) {
    if (!declared.count(v.get()) && v->producer != nullptr && v->type.dtype != DType::kUndefined) {
      value_info(*v, gp->add_value_info());
    }
  }
  for (const Value* v : g.outputs) gp->add_output()->set_name(v->name);
  return Status::ok();
}

std::vector<Dim> dims_from_proto(const onnx::TensorShapeProto& shape) {
  std::vector<Dim> dims;
  for (const auto& d : shape.dim()) {
    Dim dim;
    if (d.has_dim_value() && d.dim_value() >= 0) dim.value = d.dim_value();
    // ONNX names the dims it cannot relate to anything "unk__N": they carry no information.
    if (d.has_dim_param() && d.dim_param().rfind("unk__", 0) != 0) dim.symbol = d.dim_param();
    dims.push_back(dim);
  }
  return dims;
}

// Takes what `inferred` knows and `type` does not; returns whether anything was taken.
bool merge_type(TensorType& type, const onnx::TypeProto& inferred) {
  if (!inferred.has_tensor_type()) return false;
  const auto& tt = inferred.tensor_type();
  bool changed = false;
  if (type.dtype == DType::kUndefined && dtype_from_onnx(tt.elem_type()) != DType::kUndefined) {
    type.dtype = dtype_from_onnx(tt.elem_type());
    changed = true;
  }
  if (!tt.has_shape()) return changed;
  std::vector<Dim> dims = dims_from_proto(tt.shape());
  if (!type.dims) {
    type.dims = std::move(dims);
    return true;
  }
  if (type.dims->size() != dims.size()) return changed;
  for (size_t i = 0; i < dims.size(); ++i) {
    Dim& cur = (*type.dims)[i];
    if (cur.is_known()) continue;
    if (dims[i].is_known() || (cur.symbol.empty() && !dims[i].symbol.empty())) {
      cur = dims[i];
      changed = true;
    }
  }
  return changed;
}

// A Reshape whose target is computed at run time still has a static rank when the target's
// length is known (Concat of scalars, as attention layers build [seq, batch * heads, dim]).
// ONNX leaves such outputs untyped; the rank alone lets the ops downstream be typed and claimed.
int type_reshape_ranks(Graph& graph) {
  int changed = 0;
  for (const auto& n : graph.nodes()) {
    if (n->op_type != "Reshape" || !n->domain.empty() || n->inputs.size() < 2 || n->outputs.empty()) continue;
    Value* y = n->outputs[0];
    const Value* target = n->inputs[1];
    if (y == nullptr || target == nullptr || y->type.dims || !target->type.dims || target->type.dims->size() != 1) continue;
    const Dim& length = target->type.dims->front();
    if (!length.is_known()) continue;
    y->type.dims = std::vector<Dim>(static_cast<size_t>(length.value));
    if (y->type.dtype == DType::kUndefined && n->inputs[0] != nullptr) y->type.dtype = n->inputs[0]->type.dtype;
    ++changed;
  }
  return changed;
}

}  // namespace

Result<int> refresh_value_types(Graph& graph, const std::map<std::string, int64_t>& opsets) {
  int changed = type_reshape_ranks(graph);
  onnx::ModelProto mp;
  EDGE_RETURN_IF_ERROR(build_inference_model(graph, opsets, mp));
  register_contrib_schemas();
  try {
    onnx::ShapeInferenceOptions options{/*check_type=*/false, /*error_mode=*/0, /*enable_data_propagation=*/true};
    onnx::shape_inference::InferShapes(mp, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception&) {
    return changed;
  }
  std::unordered_map<std::string, const onnx::TypeProto*> inferred;
  for (const auto& vi : mp.graph().value_info()) inferred[vi.name()] = &vi.type();
  for (const auto& vi : mp.graph().output()) inferred[vi.name()] = &vi.type();
  for (const auto& v : graph.values()) {
    auto it = inferred.find(v->name);
    if (v->constant || v->type.kind != ValueKind::kTensor || it == inferred.end()) continue;
    changed += merge_type(v->type, *it->second) ? 1 : 0;
  }
  return changed;
}

}  // namespace edgeserve
