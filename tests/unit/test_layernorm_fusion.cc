// LayerNorm fusion: the decomposed LayerNorm torch exports below opset 17 becomes one
// LayerNormalization at level 2 with the same outputs (level 0 on the reference provider is the
// oracle), runs on the cpu provider, and is left alone when an intermediate has another reader.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "fusion_test_util.h"

namespace edgeserve {
namespace {

using testing::OnnxModelBuilder;

constexpr int64_t kC = 16;
constexpr float kRel = 1e-5f;

struct PatternOptions {
  bool square_by_mul = false;      // Mul(d, d) instead of Pow(d, 2)
  bool scale = true;
  bool bias = true;
  bool scale_2d = false;           // scale and bias as [1, C] rather than [C]
  bool axes_positive = false;      // axes = [2] rather than [-1]
  std::string extra_output;        // an intermediate also made a graph output
  std::string extra_reader;        // an intermediate also read by Neg -> graph output z
  std::string c_dim = "16";        // the last input dim ("c": symbolic)
};

void mean_node(OnnxModelBuilder& b, const std::string& in, const std::string& out, const PatternOptions& o) {
  testing::set_ints(b.node("ReduceMean", {in}, {out}), "axes", {o.axes_positive ? 2 : -1});
}

// x[2, 5, C] -> decomposed LayerNorm -> y, the way torch.onnx writes nn.LayerNorm at opset 13.
std::string layernorm_model(const PatternOptions& o) {
  std::mt19937 rng(5);
  OnnxModelBuilder b(13);
  b.input("x", {"2", "5", o.c_dim});
  b.initializer("two", {}, {2.f}).initializer("eps", {}, {1e-6f});
  const std::vector<int64_t> param_dims = o.scale_2d ? std::vector<int64_t>{1, kC} : std::vector<int64_t>{kC};
  b.initializer("gamma", param_dims, testing::random_floats(rng, kC, 0.5f, 1.5f));
  b.initializer("beta", param_dims, testing::random_floats(rng, kC));
  mean_node(b, "x", "m", o);
  b.node("Sub", {"x", "m"}, {"d"});
  if (o.square_by_mul) b.node("Mul", {"d", "d"}, {"sq"});
  else b.node("Pow", {"d", "two"}, {"sq"});
  mean_node(b, "sq", "var", o);
  b.node("Add", {"var", "eps"}, {"ve"});
  b.node("Sqrt", {"ve"}, {"std"});
  // The last node writes graph output y: the fused node takes that output over, name included.
  b.node("Div", {"d", "std"}, {o.scale || o.bias ? "n" : "y"});
  if (o.scale) b.node("Mul", {"n", "gamma"}, {o.bias ? "ns" : "y"});
  if (o.bias) b.node("Add", {o.scale ? "ns" : "n", "beta"}, {"y"});
  b.output("y");
  if (!o.extra_output.empty()) b.output(o.extra_output);
  if (!o.extra_reader.empty()) {
    b.node("Neg", {o.extra_reader}, {"z"});
    b.output("z");
  }
  return b.bytes();
}

// Level 0 on the reference provider against level 2 on `provider`; returns the level-2 op counts.
std::map<std::string, int> check_level2(const std::string& model, Provider provider, const std::string& what) {
  auto oracle = testing::load_at_level(model, Provider::kReference, 0);
  auto fused = testing::load_at_level(model, provider, 2);
  if (!oracle.session || !fused.session) return {};
  const Tensor x = testing::random_input({2, 5, kC}, 7);
  testing::expect_outputs_close(testing::run_on(*oracle.session, x), testing::run_on(*fused.session, x), kRel, what);
  return fused.ops;
}

// The models import opset 13, so the fused op is the edgeserve-domain LayerNormalization.
const std::map<std::string, int> kFusedOnly = {{"edgeserve.LayerNormalization", 1}};

TEST(LayerNormFusion, TorchPatternBecomesOneNodeOnBothProviders) {
  const std::string model = layernorm_model({});
  EXPECT_EQ(check_level2(model, Provider::kReference, "reference"), kFusedOnly);
  EXPECT_EQ(check_level2(model, Provider::kCpu, "cpu"), kFusedOnly);
  auto cpu = testing::load_at_level(model, Provider::kCpu, 2);
  ASSERT_TRUE(cpu.session);
  EXPECT_EQ(cpu.session->step_providers(), std::vector<std::string>{"cpu"});  // claimed: static rank, constant params
}

TEST(LayerNormFusion, VariantsFuse) {
  std::vector<std::pair<std::string, PatternOptions>> cases = {
      {"d * d", {.square_by_mul = true}},
      {"no scale, no bias", {.scale = false, .bias = false}},
      {"bias only", {.scale = false}},
      {"scale only", {.bias = false}},
      {"[1, C] parameters", {.scale_2d = true}},
      {"axes = [rank - 1]", {.axes_positive = true}},
  };
  for (const auto& [what, options] : cases) {
    const std::string model = layernorm_model(options);
    EXPECT_EQ(check_level2(model, Provider::kReference, what), kFusedOnly) << what;
    EXPECT_EQ(check_level2(model, Provider::kCpu, what + " (cpu)"), kFusedOnly) << what;
  }
}

// An intermediate with a second reader (another node, or the graph's outputs) keeps the whole
// pattern: the fused node would not produce that value.
TEST(LayerNormFusion, IntermediateWithAnotherReaderIsNotFused) {
  for (const char* extra : {"m", "d", "sq", "var", "ve", "std"}) {
    for (bool as_output : {false, true}) {
      PatternOptions o;
      (as_output ? o.extra_output : o.extra_reader) = extra;
      const std::string what = std::string(extra) + (as_output ? " is an output" : " read by Neg");
      auto ops = check_level2(layernorm_model(o), Provider::kReference, what);
      EXPECT_EQ(ops.count("edgeserve.LayerNormalization"), 0u) << what;
      EXPECT_EQ(ops["ReduceMean"], 2) << what;
    }
  }
}

// The Div's output read twice: the LayerNorm ends at the Div (scale 1) and the Mul, Add stay.
TEST(LayerNormFusion, NormalizedValueWithAnotherReaderKeepsTheAffineNodes) {
  const std::string model = layernorm_model({.extra_output = "n"});
  EXPECT_EQ(check_level2(model, Provider::kReference, "n read twice"),
            (std::map<std::string, int>{{"Add", 1}, {"Mul", 1}, {"edgeserve.LayerNormalization", 1}}));
}

TEST(LayerNormFusion, UnknownChannelCountIsNotFused) {
  const std::string model = layernorm_model({.c_dim = "c"});
  auto fused = testing::load_at_level(model, Provider::kReference, 2);
  ASSERT_TRUE(fused.session);
  EXPECT_EQ(fused.ops.count("edgeserve.LayerNormalization"), 0u);
  EXPECT_EQ(fused.ops["ReduceMean"], 2);
}

TEST(LayerNormFusion, OptimizedModelLoadsBack) {
  // `edgeserve optimize` writes the fused node; an opset-13 model must load it back.
  const std::string model = layernorm_model({});
  const std::string in = ::testing::TempDir() + "/layernorm_in.onnx";
  const std::string out = ::testing::TempDir() + "/layernorm_optimized.onnx";
  std::ofstream(in, std::ios::binary) << model;
  Status st = optimize_model(in, out, 2);
  ASSERT_TRUE(st.is_ok()) << st.message();
  std::ifstream file(out, std::ios::binary);
  const std::string optimized((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  auto reloaded = testing::load_at_level(optimized, Provider::kCpu, 0);
  ASSERT_TRUE(reloaded.session);
  EXPECT_EQ(reloaded.ops, kFusedOnly);
  auto oracle = testing::load_at_level(model, Provider::kReference, 0);
  ASSERT_TRUE(oracle.session);
  const Tensor x = testing::random_input({2, 5, kC}, 11);
  testing::expect_outputs_close(testing::run_on(*oracle.session, x), testing::run_on(*reloaded.session, x), kRel,
                                "reloaded");
}

}  // namespace
}  // namespace edgeserve
