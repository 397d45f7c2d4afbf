// Helpers for tests that build ONNX graphs by hand with typed values of any kind (tensors of any
// element type, sequences, optionals) and graph attributes: the bodies of If, Loop and Scan.
#pragma once

#include <cctype>
#include <string>
#include <vector>

#include "edgeserve/session.h"
#include "onnx/onnx_pb.h"

namespace edgeserve::testing {

using ValueInfos = google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>;

// Fills a tensor type; dims are numbers or symbol names ("n"); an empty list is a scalar.
inline void set_tensor_type(onnx::TypeProto_Tensor* tt, int elem, const std::vector<std::string>& dims) {
  tt->set_elem_type(elem);
  auto* shape = tt->mutable_shape();
  for (const auto& d : dims) {
    auto* dim = shape->add_dim();
    if (std::isdigit(static_cast<unsigned char>(d[0]))) dim->set_dim_value(std::stoll(d));
    else dim->set_dim_param(d);
  }
}

// Appends a tensor value (a graph input or output) of element type `elem`.
inline void add_tensor(ValueInfos* list, const std::string& name, int elem, const std::vector<std::string>& dims) {
  auto* vi = list->Add();
  vi->set_name(name);
  set_tensor_type(vi->mutable_type()->mutable_tensor_type(), elem, dims);
}

// Appends a value declared as a sequence of tensors of element type `elem` (rank unknown).
inline void add_sequence(ValueInfos* list, const std::string& name, int elem) {
  auto* vi = list->Add();
  vi->set_name(name);
  vi->mutable_type()->mutable_sequence_type()->mutable_elem_type()->mutable_tensor_type()->set_elem_type(elem);
}

// Appends a value declared as an optional tensor of element type `elem` (rank unknown).
inline void add_optional(ValueInfos* list, const std::string& name, int elem) {
  auto* vi = list->Add();
  vi->set_name(name);
  vi->mutable_type()->mutable_optional_type()->mutable_elem_type()->mutable_tensor_type()->set_elem_type(elem);
}

inline onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& op, const std::vector<std::string>& inputs,
                                 const std::vector<std::string>& outputs) {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(op + "_" + std::to_string(g->node_size()));
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) n->add_output(o);
  return n;
}

inline void set_graph(onnx::NodeProto* n, const std::string& name, const onnx::GraphProto& body) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::GRAPH);
  *a->mutable_g() = body;
}

inline void add_float_init(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims,
                           const std::vector<float>& values) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  for (float v : values) t->add_float_data(v);
}

// A scalar int64 or bool initializer.
inline void add_int64_init(onnx::GraphProto* g, const std::string& name, int64_t value) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_int64_data(value);
}

inline void add_bool_init(onnx::GraphProto* g, const std::string& name, bool value) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::BOOL);
  t->add_int32_data(value ? 1 : 0);
}

inline std::string model_bytes(const onnx::GraphProto& g, int opset = 16) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(opset);
  *m.mutable_graph() = g;
  return m.SerializeAsString();
}

inline SessionOptions options_for(Provider p) {
  SessionOptions o;
  o.provider = p;
  o.threads = 1;
  return o;
}

template <typename T>
std::vector<T> elements(const Tensor& t) {
  if (t.is_container() || t.dtype() != dtype_of<T>) return {};
  return std::vector<T>(t.data<T>(), t.data<T>() + t.num_elements());
}

inline bool contains(const std::string& text, const std::string& fragment) {
  return text.find(fragment) != std::string::npos;
}

}  // namespace edgeserve::testing
