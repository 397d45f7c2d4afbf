// Session: loading from bytes, input validation, summary and concurrent runs.
#include <gtest/gtest.h>

#include <thread>

#include "edgeserve/session.h"
#include "onnx/onnx_pb.h"
#include "onnx_model_builder.h"

namespace edgeserve {
namespace {

using testing::add_float_input;

// y = Relu(a + b) + c, with c a Constant node; a and b share a symbolic batch dim.
std::string make_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  add_float_input(g, "a", {"batch", "3"});
  add_float_input(g, "b", {"batch", "3"});
  auto* c = g->add_node();
  c->set_op_type("Constant");
  c->add_output("c");
  auto* attr = c->add_attribute();
  attr->set_name("value_floats");
  attr->set_type(onnx::AttributeProto::FLOATS);
  for (float v : {1.f, 2.f, 3.f}) attr->add_floats(v);
  auto node = [&](const char* op, std::vector<std::string> in, const char* out) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(std::string(op) + "_node");
    for (auto& i : in) n->add_input(i);
    n->add_output(out);
  };
  node("Add", {"a", "b"}, "s");
  node("Relu", {"s"}, "r");
  node("Add", {"r", "c"}, "y");
  g->add_output()->set_name("y");
  return m.SerializeAsString();
}

Tensor filled(Dims dims, float v) {
  Tensor t = Tensor::allocate(DType::kFloat32, dims).value();
  for (int64_t i = 0; i < t.num_elements(); ++i) t.mutable_data<float>()[i] = v;
  return t;
}

TEST(Session, RunsAModelFromBytes) {
  auto s = Session::load_from_bytes(make_model());
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  ASSERT_EQ((*s)->inputs().size(), 2u);
  EXPECT_EQ((*s)->inputs()[0].type.to_string(), "float32[batch, 3]");
  auto out = (*s)->run({{"a", filled({2, 3}, 1)}, {"b", filled({2, 3}, -3)}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].dims(), (Dims{2, 3}));
  EXPECT_EQ((*out)[0].data<float>()[2], 3.0f);  // relu(-2) + 3
}

TEST(Session, SummaryCountsOpsAndParameters) {
  auto s = Session::load_from_bytes(make_model());
  ASSERT_TRUE(s.is_ok());
  ModelSummary sum = (*s)->summary();
  EXPECT_EQ(sum.op_histogram["Add"], 2);
  EXPECT_EQ(sum.op_histogram.count("Constant"), 0u);  // folded into an initializer
  EXPECT_EQ(sum.parameter_count, 3);
}

TEST(Session, RejectsAnUnknownInputName) {
  auto s = Session::load_from_bytes(make_model());
  auto out = (*s)->run({{"a", filled({1, 3}, 1)}, {"bb", filled({1, 3}, 1)}});
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("unknown input 'bb'"), std::string::npos);
  EXPECT_NE(out.status().message().find("'b'"), std::string::npos);
}

TEST(Session, RejectsAWrongDtype) {
  auto s = Session::load_from_bytes(make_model());
  auto out = (*s)->run({{"a", filled({1, 3}, 1)}, {"b", Tensor::allocate(DType::kInt64, {1, 3}).value()}});
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("input 'b': dtype is int64, expected float32"), std::string::npos);
}

TEST(Session, RejectsInconsistentSymbolicDims) {
  auto s = Session::load_from_bytes(make_model());
  auto out = (*s)->run({{"a", filled({1, 3}, 1)}, {"b", filled({2, 3}, 1)}});
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("'batch'"), std::string::npos);
}

TEST(Session, RejectsAWrongStaticDim) {
  auto s = Session::load_from_bytes(make_model());
  auto out = (*s)->run({{"a", filled({1, 4}, 1)}, {"b", filled({1, 4}, 1)}});
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("at axis 1"), std::string::npos);
}

TEST(Session, ConcurrentRunsAgree) {
  auto s = Session::load_from_bytes(make_model());
  ASSERT_TRUE(s.is_ok());
  const Session& session = **s;
  std::vector<std::thread> threads;
  std::vector<float> results(8, -1);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto out = session.run({{"a", filled({4, 3}, static_cast<float>(t))}, {"b", filled({4, 3}, 1)}});
        if (out.is_ok()) results[t] = (*out)[0].data<float>()[11];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(results[t], static_cast<float>(t) + 1 + 3);
}

TEST(Session, RejectsGarbageBytes) {
  auto s = Session::load_from_bytes(std::string("\x08\x96\x01garbage", 10));
  ASSERT_FALSE(s.is_ok());
}

TEST(Session, RejectsACycle) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  for (auto [in, out] : {std::pair{"x", "y"}, std::pair{"y", "x"}}) {
    auto* n = g->add_node();
    n->set_op_type("Relu");
    n->add_input(in);
    n->add_output(out);
  }
  g->add_output()->set_name("y");
  auto s = Session::load_from_bytes(m.SerializeAsString());
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find("cycle"), std::string::npos);
}

}  // namespace
}  // namespace edgeserve
