// Test helpers: build a one-node graph and run it through the reference provider.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "engine/ep/reference/reference_provider.h"
#include "engine/ir/graph.h"

namespace edgeserve::testing {

inline Attribute int_attr(int64_t v) { Attribute a; a.kind = AttrKind::kInt; a.i = v; return a; }
inline Attribute float_attr(float v) { Attribute a; a.kind = AttrKind::kFloat; a.f = v; return a; }
inline Attribute string_attr(std::string v) { Attribute a; a.kind = AttrKind::kString; a.s = std::move(v); return a; }
inline Attribute ints_attr(std::vector<int64_t> v) { Attribute a; a.kind = AttrKind::kInts; a.ints = std::move(v); return a; }
inline Attribute floats_attr(std::vector<float> v) { Attribute a; a.kind = AttrKind::kFloats; a.floats = std::move(v); return a; }

struct NodeSpec {
  std::string op_type;
  std::vector<Tensor> inputs;  // an undefined Tensor() marks an omitted optional input
  std::map<std::string, Attribute> attributes{};
  size_t num_outputs = 1;
  int64_t opset = 17;
  std::string domain{};
};

// Prepares and runs the node; returns its outputs or the kernel's error.
inline Result<std::vector<Tensor>> run_node(const NodeSpec& spec) {
  Graph g;
  Node node;
  node.name = "test_node";
  node.op_type = spec.op_type;
  node.domain = spec.domain;
  node.opset = spec.opset;
  node.attributes = spec.attributes;
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    node.inputs.push_back(spec.inputs[i].defined() ? g.value("in" + std::to_string(i)) : nullptr);
  }
  for (size_t i = 0; i < spec.num_outputs; ++i) node.outputs.push_back(g.value("out" + std::to_string(i)));
  ReferenceProvider provider;
  if (!provider.supports(node)) return unimplemented("no reference kernel for " + spec.op_type);
  EDGE_ASSIGN_OR_RETURN(auto kernel, provider.create_kernel(node));
  std::vector<const Tensor*> in;
  for (const Tensor& t : spec.inputs) in.push_back(t.defined() ? &t : nullptr);
  std::vector<Tensor> out(spec.num_outputs);
  KernelContext ctx(node, in, &out, kDefaultMaxTensorBytes);
  EDGE_RETURN_IF_ERROR(kernel->run(ctx));
  return out;
}

// Builds a NodeSpec with every field set.
inline NodeSpec spec(std::string op, std::vector<Tensor> inputs, std::map<std::string, Attribute> attrs = {},
                     size_t num_outputs = 1, int64_t opset = 17) {
  NodeSpec s;
  s.op_type = std::move(op);
  s.inputs = std::move(inputs);
  s.attributes = std::move(attrs);
  s.num_outputs = num_outputs;
  s.opset = opset;
  return s;
}

// Runs a node that must succeed and returns one of its outputs.
inline Tensor run_ok(const NodeSpec& s, size_t output = 0) {
  auto out = run_node(s);
  EXPECT_TRUE(out.is_ok()) << out.status().to_string();
  return out.is_ok() ? (*out)[output] : Tensor();
}

// Each malformed node must fail with an error naming the problem, never crash.
inline void expect_error(const NodeSpec& s, const std::string& fragment,
                         StatusCode code = StatusCode::kInvalidArgument) {
  auto out = run_node(s);
  ASSERT_FALSE(out.is_ok()) << "expected an error mentioning " << fragment;
  EXPECT_EQ(out.status().code(), code) << out.status().to_string();
  EXPECT_NE(out.status().message().find(fragment), std::string::npos) << out.status().to_string();
}

template <typename T>
std::vector<T> values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.num_elements());
}

}  // namespace edgeserve::testing
