// If, Loop and Scan through Session: branch choice, outer-scope values passed to bodies as
// implicit inputs (also through a nested body), loop-carried values, stacked scan outputs, early
// exit on the body's condition, zero iterations, Scan directions and output axes; and the errors
// a model or a request can trigger (a bad condition, a body of the wrong arity, scan inputs of
// different lengths) come back as a Status. Every case runs on both providers, since bodies run
// on the session's providers.
#include <gtest/gtest.h>

#include "edgeserve/session.h"
#include "onnx_graph_util.h"

namespace edgeserve {
namespace {

using namespace testing;  // NOLINT: the graph helpers
constexpr int kFloat = onnx::TensorProto::FLOAT;
constexpr int kInt64 = onnx::TensorProto::INT64;
constexpr int kBool = onnx::TensorProto::BOOL;

class ControlFlow : public ::testing::TestWithParam<Provider> {
 protected:
  std::unique_ptr<Session> load(const onnx::GraphProto& g, int opset = 16) {
    auto s = Session::load_from_bytes(model_bytes(g, opset), options_for(GetParam()));
    EXPECT_TRUE(s.is_ok()) << s.status().to_string();
    return s.is_ok() ? std::move(s).value() : nullptr;
  }
};

Tensor floats(const Dims& dims, const std::vector<float>& v) { return Tensor::from_vector<float>(dims, v); }

// y = If(c) then x + w else w - x: `w` is an initializer and `x` a graph input of the outer
// graph; the branches read them in different orders.
onnx::GraphProto if_model() {
  onnx::GraphProto g;
  add_tensor(g.mutable_input(), "c", kBool, {});
  add_tensor(g.mutable_input(), "x", kFloat, {"3"});
  add_float_init(&g, "w", {3}, {10, 20, 30});
  onnx::GraphProto then_g, else_g;
  then_g.set_name("then");
  add_node(&then_g, "Add", {"x", "w"}, {"t"});
  add_tensor(then_g.mutable_output(), "t", kFloat, {"3"});
  else_g.set_name("else");
  add_node(&else_g, "Sub", {"w", "x"}, {"e"});
  add_tensor(else_g.mutable_output(), "e", kFloat, {"3"});
  auto* n = add_node(&g, "If", {"c"}, {"y"});
  set_graph(n, "then_branch", then_g);
  set_graph(n, "else_branch", else_g);
  add_tensor(g.mutable_output(), "y", kFloat, {"3"});
  return g;
}

TEST_P(ControlFlow, IfRunsTheChosenBranchOnOuterScopeValues) {
  auto s = load(if_model());
  ASSERT_NE(s, nullptr);
  const Tensor x = floats({3}, {1, 2, 3});
  auto then_out = s->run({{"c", Tensor::scalar<bool>(true)}, {"x", x}});
  ASSERT_TRUE(then_out.is_ok()) << then_out.status().to_string();
  EXPECT_EQ(elements<float>((*then_out)[0]), (std::vector<float>{11, 22, 33}));
  auto else_out = s->run({{"c", Tensor::scalar<bool>(false)}, {"x", x}});
  ASSERT_TRUE(else_out.is_ok()) << else_out.status().to_string();
  EXPECT_EQ(elements<float>((*else_out)[0]), (std::vector<float>{9, 18, 27}));
}

TEST_P(ControlFlow, IfBranchMayReturnAnOuterValueItself) {
  onnx::GraphProto g = if_model();
  // The else branch becomes a graph with no nodes whose output is the outer input `x`.
  onnx::GraphProto else_g;
  else_g.set_name("else");
  add_tensor(else_g.mutable_output(), "x", kFloat, {"3"});
  set_graph(g.mutable_node(0), "else_branch", else_g);
  g.mutable_node(0)->mutable_attribute()->DeleteSubrange(1, 1);  // the old else_branch
  auto s = load(g);
  ASSERT_NE(s, nullptr);
  auto out = s->run({{"c", Tensor::scalar<bool>(false)}, {"x", floats({3}, {4, 5, 6})}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(elements<float>((*out)[0]), (std::vector<float>{4, 5, 6}));
}

TEST_P(ControlFlow, IfConditionMustBeOneBool) {
  onnx::GraphProto g = if_model();
  g.mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_param("n");
  auto s = load(g);
  ASSERT_NE(s, nullptr);
  Tensor two = Tensor::from_vector<bool>({2}, {true, false});
  auto out = s->run({{"c", two}, {"x", floats({3}, {1, 2, 3})}});
  ASSERT_FALSE(out.is_ok());
  EXPECT_TRUE(contains(out.status().message(), "input 'cond' must be a one-element bool tensor"))
      << out.status().to_string();
}

// Loop(M, cond, v) with body (i, c, v) -> (c, v + float(i), (v + float(i)) * two), where `two`
// is an outer initializer: final v, and the per-iteration values stacked.
onnx::GraphProto counting_loop(const std::string& trips, const std::string& cond) {
  onnx::GraphProto body;
  body.set_name("body");
  add_tensor(body.mutable_input(), "i", kInt64, {});
  add_tensor(body.mutable_input(), "c_in", kBool, {});
  add_tensor(body.mutable_input(), "v_in", kFloat, {"2"});
  auto* cast = add_node(&body, "Cast", {"i"}, {"fi"});
  auto* to = cast->add_attribute();
  to->set_name("to");
  to->set_type(onnx::AttributeProto::INT);
  to->set_i(kFloat);
  add_node(&body, "Add", {"v_in", "fi"}, {"v_out"});
  add_node(&body, "Identity", {"c_in"}, {"c_out"});
  add_node(&body, "Mul", {"v_out", "two"}, {"scan"});
  add_tensor(body.mutable_output(), "c_out", kBool, {});
  add_tensor(body.mutable_output(), "v_out", kFloat, {"2"});
  add_tensor(body.mutable_output(), "scan", kFloat, {"2"});

  onnx::GraphProto g;
  add_tensor(g.mutable_input(), "M", kInt64, {});
  add_tensor(g.mutable_input(), "v0", kFloat, {"2"});
  add_float_init(&g, "two", {1}, {2});
  add_bool_init(&g, "yes", true);
  auto* loop = add_node(&g, "Loop", {trips, cond, "v0"}, {"v", "stacked"});
  set_graph(loop, "body", body);
  add_tensor(g.mutable_output(), "v", kFloat, {"2"});
  add_tensor(g.mutable_output(), "stacked", kFloat, {"k", "2"});
  return g;
}

TEST_P(ControlFlow, LoopCarriesAValueAndStacksScanOutputs) {
  auto s = load(counting_loop("M", "yes"));
  ASSERT_NE(s, nullptr);
  auto out = s->run({{"M", Tensor::scalar<int64_t>(3)}, {"v0", floats({2}, {1, 2})}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  // v: [1,2] -> +0 [1,2] -> +1 [2,3] -> +2 [4,5]
  EXPECT_EQ(elements<float>((*out)[0]), (std::vector<float>{4, 5}));
  EXPECT_EQ((*out)[1].dims(), (Dims{3, 2}));
  EXPECT_EQ(elements<float>((*out)[1]), (std::vector<float>{2, 4, 4, 6, 8, 10}));
}

TEST_P(ControlFlow, LoopWithZeroTripsReturnsItsInputsAndEmptyScans) {
  auto s = load(counting_loop("M", "yes"));
  ASSERT_NE(s, nullptr);
  auto out = s->run({{"M", Tensor::scalar<int64_t>(0)}, {"v0", floats({2}, {7, 8})}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(elements<float>((*out)[0]), (std::vector<float>{7, 8}));
  EXPECT_EQ((*out)[1].dtype(), DType::kFloat32);
  EXPECT_EQ((*out)[1].dims(), (Dims{0, 2}));  // from the body's declared scan output shape
}

TEST_P(ControlFlow, LoopRejectsATripCountThatIsNotOneInt64) {
  onnx::GraphProto g = counting_loop("M", "yes");
  g.mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_param("n");
  auto s = load(g);
  ASSERT_NE(s, nullptr);
  auto out = s->run({{"M", Tensor::from_vector<int64_t>({2}, {1, 2})}, {"v0", floats({2}, {1, 2})}});
  ASSERT_FALSE(out.is_ok());
  EXPECT_TRUE(contains(out.status().message(), "input 'M'")) << out.status().to_string();
}

// Loop without M: the body counts v up by one while v < limit (an outer initializer).
TEST_P(ControlFlow, LoopStopsWhenTheBodyConditionTurnsFalse) {
  onnx::GraphProto body;
  body.set_name("body");
  add_tensor(body.mutable_input(), "i", kInt64, {});
  add_tensor(body.mutable_input(), "c_in", kBool, {});
  add_tensor(body.mutable_input(), "v_in", kFloat, {"1"});
  add_node(&body, "Add", {"v_in", "one"}, {"v_out"});
  add_node(&body, "Less", {"v_out", "limit"}, {"c_out"});
  add_node(&body, "Identity", {"i"}, {"iter"});
  add_tensor(body.mutable_output(), "c_out", kBool, {"1"});
  add_tensor(body.mutable_output(), "v_out", kFloat, {"1"});
  add_tensor(body.mutable_output(), "iter", kInt64, {});

  onnx::GraphProto g;
  add_tensor(g.mutable_input(), "v0", kFloat, {"1"});
  add_float_init(&g, "one", {1}, {1});
  add_float_init(&g, "limit", {1}, {5});
  add_bool_init(&g, "yes", true);
  set_graph(add_node(&g, "Loop", {"", "yes", "v0"}, {"v", "iters"}), "body", body);
  add_tensor(g.mutable_output(), "v", kFloat, {"1"});
  add_tensor(g.mutable_output(), "iters", kInt64, {"k"});
  auto s = load(g);
  ASSERT_NE(s, nullptr);
  auto out = s->run({{"v0", floats({1}, {0.5f})}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  // 1.5, 2.5, 3.5, 4.5 continue; 5.5 is not < 5, and that iteration's outputs still count.
  EXPECT_EQ(elements<float>((*out)[0]), (std::vector<float>{5.5f}));
  EXPECT_EQ(elements<int64_t>((*out)[1]), (std::vector<int64_t>{0, 1, 2, 3, 4}));
}

TEST_P(ControlFlow, LoopRejectsABodyConditionThatIsNotBool) {
  onnx::GraphProto g = counting_loop("M", "yes");
  onnx::GraphProto* body = g.mutable_node(0)->mutable_attribute(0)->mutable_g();
  body->mutable_node(2)->set_input(0, "i");  // c_out = Identity(i): an int64
  body->mutable_output(0)->mutable_type()->mutable_tensor_type()->set_elem_type(kInt64);
  auto s = load(g);
  ASSERT_NE(s, nullptr);
  auto out = s->run({{"M", Tensor::scalar<int64_t>(3)}, {"v0", floats({2}, {1, 2})}});
  ASSERT_FALSE(out.is_ok());
  EXPECT_TRUE(contains(out.status().message(), "condition output")) << out.status().to_string();
}

TEST_P(ControlFlow, LoopBodyWithTheWrongNumberOfOutputsIsRejectedAtLoad) {
  onnx::GraphProto g = counting_loop("M", "yes");
  g.mutable_node(0)->add_output("extra");  // 3 node outputs, the body gives 1 + 1 + 1
  auto s = Session::load_from_bytes(model_bytes(g), options_for(GetParam()));
  ASSERT_FALSE(s.is_ok());
  EXPECT_TRUE(contains(s.status().message(), "the body must take 2 + 1 inputs")) << s.status().to_string();
}

// Loop body containing If(i < thresh) then v + a else v * a: `a` (a graph input) and `thresh`
// (an initializer) come from the outermost graph through both bodies, `v` from the Loop body.
TEST_P(ControlFlow, NestedIfInALoopReadsTheOutermostGraph) {
  onnx::GraphProto then_g, else_g, body, g;
  then_g.set_name("then");
  add_node(&then_g, "Add", {"v_in", "a"}, {"t"});
  add_tensor(then_g.mutable_output(), "t", kFloat, {"2"});
  else_g.set_name("else");
  add_node(&else_g, "Mul", {"v_in", "a"}, {"e"});
  add_tensor(else_g.mutable_output(), "e", kFloat, {"2"});

  body.set_name("body");
  add_tensor(body.mutable_input(), "i", kInt64, {});
  add_tensor(body.mutable_input(), "c_in", kBool, {});
  add_tensor(body.mutable_input(), "v_in", kFloat, {"2"});
  add_node(&body, "Less", {"i", "thresh"}, {"early"});
  auto* branch = add_node(&body, "If", {"early"}, {"v_out"});
  set_graph(branch, "then_branch", then_g);
  set_graph(branch, "else_branch", else_g);
  add_node(&body, "Identity", {"c_in"}, {"c_out"});
  add_node(&body, "Identity", {"v_out"}, {"scan"});
  add_tensor(body.mutable_output(), "c_out", kBool, {});
  add_tensor(body.mutable_output(), "v_out", kFloat, {"2"});
  add_tensor(body.mutable_output(), "scan", kFloat, {"2"});

  add_tensor(g.mutable_input(), "a", kFloat, {"2"});
  add_int64_init(&g, "thresh", 2);
  add_int64_init(&g, "trips", 4);
  add_bool_init(&g, "yes", true);
  add_float_init(&g, "v0", {2}, {0, 0});
  set_graph(add_node(&g, "Loop", {"trips", "yes", "v0"}, {"v", "all"}), "body", body);
  add_tensor(g.mutable_output(), "v", kFloat, {"2"});
  add_tensor(g.mutable_output(), "all", kFloat, {"4", "2"});
  auto s = load(g);
  ASSERT_NE(s, nullptr);
  auto out = s->run({{"a", floats({2}, {1, 10})}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(elements<float>((*out)[0]), (std::vector<float>{2, 2000}));
  EXPECT_EQ(elements<float>((*out)[1]), (std::vector<float>{1, 10, 2, 20, 2, 200, 2, 2000}));
}

// Scan-11 over the rows of x (state s, scan input x): s += row; the running sum is the scan
// output.
onnx::GraphProto row_sum_scan() {
  onnx::GraphProto body, g;
  body.set_name("body");
  add_tensor(body.mutable_input(), "s_in", kFloat, {"2"});
  add_tensor(body.mutable_input(), "row", kFloat, {"2"});
  add_node(&body, "Add", {"s_in", "row"}, {"s_out"});
  add_node(&body, "Identity", {"s_out"}, {"running"});
  add_tensor(body.mutable_output(), "s_out", kFloat, {"2"});
  add_tensor(body.mutable_output(), "running", kFloat, {"2"});

  add_tensor(g.mutable_input(), "s0", kFloat, {"2"});
  add_tensor(g.mutable_input(), "x", kFloat, {"n", "2"});
  auto* scan = add_node(&g, "Scan", {"s0", "x"}, {"s", "sums"});
  set_graph(scan, "body", body);
  auto* m = scan->add_attribute();
  m->set_name("num_scan_inputs");
  m->set_type(onnx::AttributeProto::INT);
  m->set_i(1);
  add_tensor(g.mutable_output(), "s", kFloat, {"2"});
  g.add_output()->set_name("sums");  // its shape depends on the scan attributes
  return g;
}

void set_ints_attr(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

TEST_P(ControlFlow, ScanSumsRowsInReverseAndStacksAlongAxisOne) {
  onnx::GraphProto g = row_sum_scan();
  set_ints_attr(g.mutable_node(0), "scan_input_directions", {1});
  set_ints_attr(g.mutable_node(0), "scan_output_axes", {1});
  auto s = load(g, 11);
  ASSERT_NE(s, nullptr);
  auto out = s->run({{"s0", floats({2}, {0, 0})}, {"x", floats({3, 2}, {1, 2, 3, 4, 5, 6})}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(elements<float>((*out)[0]), (std::vector<float>{9, 12}));
  // Running sums [5,6], [8,10], [9,12] (last row first), stacked as columns.
  EXPECT_EQ((*out)[1].dims(), (Dims{2, 3}));
  EXPECT_EQ(elements<float>((*out)[1]), (std::vector<float>{5, 8, 9, 6, 10, 12}));
}

TEST_P(ControlFlow, ScanRejectsScanInputsOfDifferentLengths) {
  onnx::GraphProto g = row_sum_scan();
  // A second scan input y, added to each row.
  onnx::GraphProto* body = g.mutable_node(0)->mutable_attribute(0)->mutable_g();
  add_tensor(body->mutable_input(), "row2", kFloat, {"2"});
  body->mutable_node(1)->set_op_type("Add");
  body->mutable_node(1)->add_input("row2");
  add_tensor(g.mutable_input(), "y", kFloat, {"m", "2"});
  g.mutable_node(0)->add_input("y");
  g.mutable_node(0)->mutable_attribute(1)->set_i(2);
  auto s = load(g, 11);
  ASSERT_NE(s, nullptr);
  auto ok = s->run({{"s0", floats({2}, {0, 0})}, {"x", floats({1, 2}, {1, 2})}, {"y", floats({1, 2}, {3, 4})}});
  ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
  EXPECT_EQ(elements<float>((*ok)[1]), (std::vector<float>{4, 6}));  // s_out + row2 = [1,2] + [3,4]
  auto out = s->run({{"s0", floats({2}, {0, 0})}, {"x", floats({3, 2}, {1, 2, 3, 4, 5, 6})},
                     {"y", floats({4, 2}, {0, 0, 0, 0, 0, 0, 0, 0})}});
  ASSERT_FALSE(out.is_ok());
  EXPECT_TRUE(contains(out.status().message(), "scan input 1 has 4 steps, others 3")) << out.status().to_string();
}

// SequenceMap(s, k) over a sequence input, with body (e, k) -> e * k * three: `three` is an outer
// initializer, `k` a tensor passed to every call.
onnx::GraphProto sequence_map_model() {
  onnx::GraphProto body, g;
  body.set_name("body");
  add_tensor(body.mutable_input(), "e", kFloat, {"n"});
  add_tensor(body.mutable_input(), "k_in", kFloat, {"1"});
  add_node(&body, "Mul", {"e", "k_in"}, {"ek"});
  add_node(&body, "Mul", {"ek", "three"}, {"y"});
  add_tensor(body.mutable_output(), "y", kFloat, {"n"});
  add_sequence(g.mutable_input(), "s", kFloat);
  add_tensor(g.mutable_input(), "k", kFloat, {"1"});
  add_float_init(&g, "three", {1}, {3});
  set_graph(add_node(&g, "SequenceMap", {"s", "k"}, {"out"}), "body", body);
  add_sequence(g.mutable_output(), "out", kFloat);
  return g;
}

TEST_P(ControlFlow, SequenceMapRunsTheBodyOnEachElement) {
  auto s = load(sequence_map_model(), 17);
  ASSERT_NE(s, nullptr);
  Tensor seq = Tensor::sequence(DType::kFloat32, {floats({2}, {1, 2}), floats({1}, {3})});
  auto out = s->run({{"s", seq}, {"k", floats({1}, {2})}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  ASSERT_TRUE((*out)[0].is_sequence());
  ASSERT_EQ((*out)[0].items().size(), 2u);
  EXPECT_EQ(elements<float>((*out)[0].items()[0]), (std::vector<float>{6, 12}));
  EXPECT_EQ(elements<float>((*out)[0].items()[1]), (std::vector<float>{18}));
}

// An omitted ("") input that the op requires is a load error, not a null read at run time.
TEST_P(ControlFlow, OmittedRequiredInputsAreRejectedAtLoad) {
  struct Case {
    onnx::GraphProto graph;
    int input;
    int opset;
  };
  std::vector<Case> cases = {{if_model(), 0, 16},
                             {counting_loop("M", "yes"), 2, 16},
                             {row_sum_scan(), 1, 11},
                             {sequence_map_model(), 1, 17}};
  for (Case& c : cases) {
    onnx::NodeProto* node = c.graph.mutable_node(0);
    node->set_input(c.input, "");
    auto s = Session::load_from_bytes(model_bytes(c.graph, c.opset), options_for(GetParam()));
    ASSERT_FALSE(s.is_ok()) << node->op_type();
    EXPECT_TRUE(contains(s.status().message(), "input " + std::to_string(c.input) + " is missing"))
        << s.status().to_string();
  }
  // Loop's M and cond may be omitted; then only the body's condition ends the loop.
  onnx::GraphProto loop = counting_loop("", "");
  onnx::GraphProto* body = loop.mutable_node(0)->mutable_attribute(0)->mutable_g();
  body->mutable_node(2)->set_op_type("Less");  // c_out = i < two_i: runs iterations 0, 1 and 2
  body->mutable_node(2)->set_input(0, "i");
  body->mutable_node(2)->add_input("two_i");
  add_int64_init(&loop, "two_i", 2);
  auto s = load(loop);
  ASSERT_NE(s, nullptr);
  auto out = s->run({{"M", Tensor::scalar<int64_t>(0)}, {"v0", floats({2}, {1, 2})}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(elements<float>((*out)[0]), (std::vector<float>{4, 5}));
}

INSTANTIATE_TEST_SUITE_P(Providers, ControlFlow, ::testing::Values(Provider::kReference, Provider::kCpu),
                         [](const ::testing::TestParamInfo<Provider>& p) { return std::string(provider_name(p.param)); });

}  // namespace
}  // namespace edgeserve
