// Attention fusion: MatMul(Q scaled, Kt) - Softmax - MatMul(P, V) in each way torch writes the
// scaling becomes one edgeserve.Attention at level 2 with the outputs of the unfused graph (level 0
// on the reference provider is the oracle; rel 1e-5: the fused kernels sum the same products in
// another order, the reference in double), on both providers; a second reader of an intermediate
// keeps the graph as it is; batch dims broadcast; shapes that do not fit are errors. Also the
// reference kernel on a hand-computed case.
#include <gtest/gtest.h>

#include "fusion_test_util.h"
#include "kernel_test_util.h"

namespace edgeserve {
namespace {

using testing::OnnxModelBuilder;

constexpr float kRel = 1e-5f;

struct AttnOptions {
  std::string scaling = "pre_div";  // pre_div, pre_mul, post_div, post_mul, none
  std::string extra_reader;         // an intermediate ("s", "p") also read by Neg -> output z
  Dims q{2, 3, 4, 8}, kt{2, 3, 8, 5}, v{2, 3, 5, 6};
  bool symbolic = false;            // inputs declared with named dims only
};

std::vector<std::string> dim_names(const Dims& dims, bool symbolic, const std::string& prefix) {
  std::vector<std::string> names;
  for (size_t i = 0; i < dims.size(); ++i) names.push_back(symbolic ? prefix + std::to_string(i) : std::to_string(dims[i]));
  return names;
}

std::string attention_model(const AttnOptions& o) {
  OnnxModelBuilder b(13);
  b.input("q", dim_names(o.q, o.symbolic, "q")).input("kt", dim_names(o.kt, o.symbolic, "k"));
  b.input("v", dim_names(o.v, o.symbolic, "v"));
  b.initializer("c", {}, {2.8284271f}).initializer("inv_c", {}, {0.35355339f});
  std::string qs = "q", s = "s";
  if (o.scaling == "pre_div") b.node("Div", {"q", "c"}, {"qs"});
  if (o.scaling == "pre_mul") b.node("Mul", {"inv_c", "q"}, {"qs"});
  if (o.scaling.starts_with("pre")) qs = "qs";
  if (o.scaling.starts_with("post")) s = "mm";
  b.node("MatMul", {qs, "kt"}, {s});
  if (o.scaling == "post_div") b.node("Div", {"mm", "c"}, {"s"});
  if (o.scaling == "post_mul") b.node("Mul", {"mm", "inv_c"}, {"s"});
  testing::set_int(b.node("Softmax", {"s"}, {"p"}), "axis", -1);
  b.node("MatMul", {"p", "v"}, {"y"});
  b.output("y");
  if (!o.extra_reader.empty()) {
    b.node("Neg", {o.extra_reader}, {"z"});
    b.output("z");
  }
  return b.bytes();
}

struct Inputs {
  Tensor q, kt, v;
};

Inputs random_inputs(const AttnOptions& o) {
  return {testing::random_input(o.q, 1), testing::random_input(o.kt, 2), testing::random_input(o.v, 3)};
}

Result<std::vector<Tensor>> run_attention_model(const Session& s, const Inputs& in) {
  return s.run({{"q", in.q}, {"kt", in.kt}, {"v", in.v}});
}

// Level 0 on the reference provider against level 2 on `provider`; returns the level-2 op counts.
std::map<std::string, int> check_level2(const AttnOptions& o, Provider provider, const std::string& what) {
  const std::string model = attention_model(o);
  auto oracle = testing::load_at_level(model, Provider::kReference, 0);
  auto fused = testing::load_at_level(model, provider, 2);
  if (!oracle.session || !fused.session) return {};
  const Inputs in = random_inputs(o);
  auto want = run_attention_model(*oracle.session, in);
  auto got = run_attention_model(*fused.session, in);
  EXPECT_TRUE(want.is_ok() && got.is_ok()) << what;
  if (want.is_ok() && got.is_ok()) testing::expect_outputs_close(*want, *got, kRel, what);
  return fused.ops;
}

TEST(AttentionFusion, EveryScalingBecomesOneNode) {
  const std::map<std::string, int> want = {{"edgeserve.Attention", 1}};
  for (const char* scaling : {"pre_div", "pre_mul", "post_div", "post_mul", "none"}) {
    const AttnOptions o{.scaling = scaling};
    EXPECT_EQ(check_level2(o, Provider::kReference, scaling), want) << scaling;
    EXPECT_EQ(check_level2(o, Provider::kCpu, std::string(scaling) + " (cpu)"), want) << scaling;
  }
}

TEST(AttentionFusion, RunsOnTheCpuProvider) {
  auto cpu = testing::load_at_level(attention_model({}), Provider::kCpu, 2);
  ASSERT_TRUE(cpu.session);
  EXPECT_EQ(cpu.session->step_providers(), std::vector<std::string>{"cpu"});
}

TEST(AttentionFusion, IntermediateWithAnotherReaderIsNotFused) {
  for (const char* extra : {"s", "p", "mm"}) {
    const AttnOptions o{.scaling = std::string(extra) == "mm" ? "post_div" : "pre_div", .extra_reader = extra};
    for (Provider provider : {Provider::kReference, Provider::kCpu}) {
      auto ops = check_level2(o, provider, extra);
      EXPECT_EQ(ops.count("edgeserve.Attention"), 0u) << extra;
      EXPECT_EQ(ops["Softmax"], 1) << extra;
    }
  }
}

// A scaled Q that something else reads too stays computed; the fused node takes it unscaled.
TEST(AttentionFusion, SharedScaledQueryIsKept) {
  const AttnOptions o{.extra_reader = "qs"};
  const std::map<std::string, int> want = {{"Div", 1}, {"Neg", 1}, {"edgeserve.Attention", 1}};
  EXPECT_EQ(check_level2(o, Provider::kReference, "qs"), want);
  EXPECT_EQ(check_level2(o, Provider::kCpu, "qs (cpu)"), want);
}

TEST(AttentionFusion, BatchDimsBroadcast) {
  const AttnOptions o{.q = {2, 3, 4, 8}, .kt = {1, 3, 8, 5}, .v = {2, 1, 5, 6}};
  const std::map<std::string, int> want = {{"edgeserve.Attention", 1}};
  EXPECT_EQ(check_level2(o, Provider::kReference, "broadcast"), want);
  EXPECT_EQ(check_level2(o, Provider::kCpu, "broadcast (cpu)"), want);
  const AttnOptions rank2{.q = {7, 4}, .kt = {4, 9}, .v = {9, 3}};  // no batch dims, rows not a block multiple
  EXPECT_EQ(check_level2(rank2, Provider::kCpu, "rank 2 (cpu)"), want);
  const AttnOptions long_rows{.q = {2, 70, 16}, .kt = {2, 16, 33}, .v = {2, 33, 5}};  // several row blocks
  EXPECT_EQ(check_level2(long_rows, Provider::kCpu, "70 rows (cpu)"), want);
}

TEST(AttentionFusion, ShapesThatDoNotFitAreErrors) {
  const AttnOptions symbolic{.q = {2, 4, 8}, .kt = {2, 8, 5}, .v = {2, 5, 6}, .symbolic = true};
  const std::vector<AttnOptions> bad = {
      {.q = {2, 4, 8}, .kt = {2, 7, 5}, .v = {2, 5, 6}},  // D differs
      {.q = {2, 4, 8}, .kt = {2, 8, 5}, .v = {2, 4, 6}},  // N differs
      {.q = {2, 4, 8}, .kt = {3, 8, 5}, .v = {2, 5, 6}},  // batch dims do not broadcast
  };
  for (Provider provider : {Provider::kReference, Provider::kCpu}) {
    auto fused = testing::load_at_level(attention_model(symbolic), provider, 2);
    ASSERT_TRUE(fused.session);
    EXPECT_EQ(fused.ops["edgeserve.Attention"], 1);
    for (const AttnOptions& o : bad) {
      auto out = run_attention_model(*fused.session, random_inputs(o));
      EXPECT_FALSE(out.is_ok()) << dims_to_string(o.q) << " " << dims_to_string(o.kt) << " " << dims_to_string(o.v);
    }
  }
}

testing::NodeSpec attention_spec(std::vector<Tensor> inputs, float scale = 1.f) {
  testing::NodeSpec s = testing::spec("Attention", std::move(inputs), {{"scale", testing::float_attr(scale)}});
  s.domain = "edgeserve";
  s.opset = 1;
  return s;
}

TEST(AttentionKernel, HandComputed) {
  // S = [2, 0] * 0.5 = [1, 0]; P = [e, 1] / (e + 1); O = 2 P0 + 4 P1.
  const Tensor q = Tensor::from_vector<float>({1, 2}, {2.f, 0.f});
  const Tensor kt = Tensor::from_vector<float>({2, 2}, {1.f, 0.f, 0.f, 1.f});
  const Tensor v = Tensor::from_vector<float>({2, 1}, {2.f, 4.f});
  const Tensor y = testing::run_ok(attention_spec({q, kt, v}, 0.5f));
  ASSERT_EQ(y.dims(), (Dims{1, 1}));
  EXPECT_NEAR(y.data<float>()[0], 2.5378828f, 1e-6f);
}

TEST(AttentionKernel, BadShapesAndArityAreErrors) {
  const Tensor q = Tensor::from_vector<float>({1, 2}, {1.f, 2.f});
  const Tensor kt = Tensor::from_vector<float>({2, 3}, std::vector<float>(6, 1.f));
  const Tensor v = Tensor::from_vector<float>({3, 1}, {1.f, 2.f, 3.f});
  EXPECT_TRUE(testing::run_node(attention_spec({q, kt, v})).is_ok());
  EXPECT_FALSE(testing::run_node(attention_spec({q, v, v})).is_ok());    // Kt [3, 1]: D 2 vs 3
  EXPECT_FALSE(testing::run_node(attention_spec({q, kt, kt})).is_ok());  // V [2, 3]: N 3 vs 2
  EXPECT_FALSE(testing::run_node(attention_spec({Tensor::from_vector<float>({2}, {1.f, 2.f}), kt, v})).is_ok());
  EXPECT_FALSE(testing::run_node(attention_spec({q, kt})).is_ok());
}

}  // namespace
}  // namespace edgeserve
