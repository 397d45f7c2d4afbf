#include "engine/onnx/batch_rewrite.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <map>

namespace edgeserve {
namespace {

constexpr const char* kBatchName = "batch";

bool leading_dim_is_one(const onnx::ValueInfoProto& v) {
  if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) return false;
  const auto& shape = v.type().tensor_type().shape();
  return shape.dim_size() > 0 && shape.dim(0).has_dim_value() && shape.dim(0).dim_value() == 1;
}

int free_leading_dims(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* values) {
  int freed = 0;
  for (auto& v : *values) {
    if (!leading_dim_is_one(v)) continue;
    v.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_param(kBatchName);
    ++freed;
  }
  return freed;
}

// Every value whose inferred (or declared) leading dim is 1, before the rewrite.
std::map<std::string, bool> leading_one_values(const onnx::GraphProto& g) {
  std::map<std::string, bool> out;
  for (const auto* list : {&g.input(), &g.value_info(), &g.output()}) {
    for (const auto& v : *list) out[v.name()] = leading_dim_is_one(v);
  }
  return out;
}

// The int64 shape tensor a Reshape reads, when it is a constant we can edit.
onnx::TensorProto* constant_shape(onnx::GraphProto& g, const std::string& name) {
  for (auto& init : *g.mutable_initializer()) {
    if (init.name() == name) return &init;
  }
  for (auto& node : *g.mutable_node()) {
    if (node.op_type() != "Constant" || node.output_size() != 1 || node.output(0) != name) continue;
    for (auto& attr : *node.mutable_attribute()) {
      if (attr.name() == "value" && attr.has_t()) return attr.mutable_t();
    }
  }
  return nullptr;
}

// Sets element 0 of an int64 shape tensor from 1 to 0, in whichever field holds its data.
bool zero_leading_one(onnx::TensorProto* t) {
  if (t->data_type() != onnx::TensorProto::INT64 || t->dims_size() != 1 || t->dims(0) < 1) return false;
  if (t->int64_data_size() > 0) {
    if (t->int64_data(0) != 1) return false;
    t->set_int64_data(0, 0);
    return true;
  }
  std::string* raw = t->mutable_raw_data();
  if (raw->size() < sizeof(int64_t)) return false;
  int64_t first = 0;
  std::memcpy(&first, raw->data(), sizeof first);
  if (first != 1) return false;
  first = 0;
  std::memcpy(raw->data(), &first, sizeof first);
  return true;
}

}  // namespace

Status free_batch_dimension(onnx::ModelProto& mp) {
  onnx::GraphProto& g = *mp.mutable_graph();
  const auto leading_one = leading_one_values(g);
  if (free_leading_dims(g.mutable_input()) == 0) {
    return invalid_argument("no graph input has a fixed batch of 1 to free");
  }
  free_leading_dims(g.mutable_output());
  for (auto& node : *g.mutable_node()) {
    if (node.op_type() != "Reshape" || node.input_size() < 2) continue;
    auto it = leading_one.find(node.input(0));
    if (it == leading_one.end() || !it->second) continue;
    if (onnx::TensorProto* shape = constant_shape(g, node.input(1))) zero_leading_one(shape);
  }
  // The old inferred shapes carry the fixed batch; inference runs again after this.
  g.clear_value_info();
  return Status::ok();
}

}  // namespace edgeserve
