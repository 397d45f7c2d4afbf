// IR -> onnx::ModelProto.
#include "engine/onnx/model_export.h"

#include <fstream>
#include <map>
#include <unordered_set>

#include "common/strings.h"
#include "engine/onnx/graph_proto.h"
#include "engine/onnx/tensor_proto.h"
#include "onnx/onnx_pb.h"

namespace edgeserve {

namespace {

void type_to_proto(const TensorType& type, onnx::TypeProto* proto) {
  auto* tt = proto->mutable_tensor_type();
  tt->set_elem_type(static_cast<int32_t>(type.dtype));  // DType values are ONNX's codes
  if (!type.dims) return;
  auto* shape = tt->mutable_shape();
  for (const Dim& d : *type.dims) {
    auto* dim = shape->add_dim();
    if (d.is_known()) dim->set_dim_value(d.value);
    else if (!d.symbol.empty()) dim->set_dim_param(d.symbol);
  }
}

}  // namespace

void value_info(const Value& v, onnx::ValueInfoProto* proto) {
  proto->set_name(v.name);
  if (v.type.dtype != DType::kUndefined && v.type.kind == ValueKind::kTensor) type_to_proto(v.type, proto->mutable_type());
}

namespace {

Status attribute_to_proto(const Node& node, const std::string& name, const Attribute& a, onnx::AttributeProto* p) {
  p->set_name(name);
  switch (a.kind) {
    case AttrKind::kFloat: p->set_type(onnx::AttributeProto::FLOAT); p->set_f(a.f); break;
    case AttrKind::kInt: p->set_type(onnx::AttributeProto::INT); p->set_i(a.i); break;
    case AttrKind::kString: p->set_type(onnx::AttributeProto::STRING); p->set_s(a.s); break;
    case AttrKind::kTensor: p->set_type(onnx::AttributeProto::TENSOR); tensor_to_proto(a.t, "", p->mutable_t()); break;
    case AttrKind::kFloats:
      p->set_type(onnx::AttributeProto::FLOATS);
      for (float f : a.floats) p->add_floats(f);
      break;
    case AttrKind::kInts:
      p->set_type(onnx::AttributeProto::INTS);
      for (int64_t i : a.ints) p->add_ints(i);
      break;
    case AttrKind::kStrings:
      p->set_type(onnx::AttributeProto::STRINGS);
      for (const auto& s : a.strings) p->add_strings(s);
      break;
    case AttrKind::kTensors:
      p->set_type(onnx::AttributeProto::TENSORS);
      for (const Tensor& t : a.tensors) tensor_to_proto(t, "", p->add_tensors());
      break;
    case AttrKind::kGraph:
    case AttrKind::kGraphs:
    case AttrKind::kType:
      return unimplemented(str_cat(node.describe(), ": attribute '", name, "' is a graph or a type; exporting ",
                                   "control flow and optionals is not supported yet"));
  }
  return Status::ok();
}

}  // namespace

Status node_to_proto(const Node& node, onnx::NodeProto* p) {
  p->set_name(node.name);
  p->set_op_type(node.op_type);
  if (!node.domain.empty()) p->set_domain(node.domain);
  for (const Value* in : node.inputs) p->add_input(in == nullptr ? "" : in->name);
  for (const Value* out : node.outputs) p->add_output(out == nullptr ? "" : out->name);
  for (const auto& [name, attr] : node.attributes) EDGE_RETURN_IF_ERROR(attribute_to_proto(node, name, attr, p->add_attribute()));
  return Status::ok();
}

namespace {

// The model's opsets, plus every domain that passes introduced (edgeserve's fused ops, the
// com.microsoft QLinear* ops of QDQ fusion) at the version its nodes carry.
void write_opsets(const Model& model, onnx::ModelProto& mp) {
  std::map<std::string, int64_t> opsets = model.opsets;
  for (const auto& n : model.graph->nodes()) {
    if (opsets.count(n->domain)) continue;
    opsets[n->domain] = n->domain == "edgeserve" ? kEdgeserveDomainVersion : n->opset;
  }
  for (const auto& [domain, version] : opsets) {
    auto* os = mp.add_opset_import();
    os->set_domain(domain);
    os->set_version(version);
  }
}

}  // namespace

Result<std::string> export_model_bytes(const Model& model) {
  onnx::ModelProto mp;
  mp.set_ir_version(model.ir_version);
  mp.set_producer_name("edgeserve optimize");
  write_opsets(model, mp);
  const Graph& g = *model.graph;
  auto* gp = mp.mutable_graph();
  gp->set_name(g.name.empty() ? "edgeserve" : g.name);
  std::unordered_set<const Value*> io(g.inputs.begin(), g.inputs.end());
  io.insert(g.outputs.begin(), g.outputs.end());
  for (const Value* v : g.inputs) value_info(*v, gp->add_input());
  for (const Value* v : g.outputs) value_info(*v, gp->add_output());
  for (const auto& v : g.values()) {
    const bool used = !v->consumers.empty() || io.count(v.get());
    if (v->constant && used) tensor_to_proto(*v->constant, v->name, gp->add_initializer());
    else if (!v->constant && !io.count(v.get()) && v->producer != nullptr) value_info(*v, gp->add_value_info());
  }
  for (const auto& n : g.nodes()) EDGE_RETURN_IF_ERROR(node_to_proto(*n, gp->add_node()));
  std::string bytes;
  if (!mp.SerializeToString(&bytes)) return internal_error("the optimized model could not be serialized (over 2 GiB?)");
  return bytes;
}

Status export_model_file(const Model& model, const std::string& path) {
  EDGE_ASSIGN_OR_RETURN(std::string bytes, export_model_bytes(model));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return not_found(str_cat(path, ": cannot be written"));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) return internal_error(str_cat(path, ": write failed"));
  return Status::ok();
}

}  // namespace edgeserve
