// GELU fusion: the Erf-form GELU that no Conv/Gemm/FusedMatMul takes (e.g. on a graph input) becomes one edgeserve.Gelu at level 2 with the same outputs (level 0 on the
// reference provider is the oracle) and runs on the cpu provider; Gemm + GELU keeps fusing into
// the Gemm; a pattern with a second reader of an intermediate is left alone. Also the reference
// edgeserve.Gelu kernel on hand-computed values.
#include <gtest/gtest.h>

#include "fusion_test_util.h"
#include "kernel_test_util.h"

namespace edgeserve {
namespace {

using testing::OnnxModelBuilder;

constexpr float kRel = 1e-5f;

struct GeluOptions {
  bool half_first = false;      // Mul(Mul(x, 0.5), 1 + erf) rather than Mul(Mul(x, 1 + erf), 0.5)
  bool scale_by_mul = false;    // Mul(x, 1/sqrt2) rather than Div(x, sqrt2)
  std::string producer = "MatMul";  // "MatMul" (3-D, + Add), "Gemm" (2-D), "" (GELU of the input)
  std::string extra_reader;     // an intermediate also read by Neg -> graph output z
};

// Writes GELU(in) -> "y" the way torch.onnx exports nn.GELU() at opset 13.
void add_gelu(OnnxModelBuilder& b, const std::string& in, const GeluOptions& o) {
  b.initializer("sqrt2", {}, {1.4142135f}).initializer("inv_sqrt2", {}, {0.70710677f});
  b.initializer("one", {}, {1.f}).initializer("half", {}, {0.5f});
  if (o.scale_by_mul) b.node("Mul", {in, "inv_sqrt2"}, {"s"});
  else b.node("Div", {in, "sqrt2"}, {"s"});
  b.node("Erf", {"s"}, {"e"});
  b.node("Add", {"e", "one"}, {"a"});
  if (o.half_first) {
    b.node("Mul", {in, "half"}, {"h"});
    b.node("Mul", {"h", "a"}, {"y"});
  } else {
    b.node("Mul", {in, "a"}, {"m"});
    b.node("Mul", {"m", "half"}, {"y"});
  }
}

Dims input_dims(const GeluOptions& o) { return o.producer == "Gemm" ? Dims{10, 8} : Dims{2, 5, 8}; }

std::string gelu_model(const GeluOptions& o) {
  std::mt19937 rng(9);
  OnnxModelBuilder b(13);
  const Dims dims = input_dims(o);
  std::vector<std::string> dim_names;
  for (int64_t d : dims) dim_names.push_back(std::to_string(d));
  b.input("x", dim_names);
  b.initializer("w", {8, 6}, testing::random_floats(rng, 48));
  b.initializer("bias", {6}, testing::random_floats(rng, 6));
  std::string in = "x";
  if (o.producer == "MatMul") {
    b.node("MatMul", {"x", "w"}, {"mm"});
    b.node("Add", {"mm", "bias"}, {"g"});
    in = "g";
  } else if (o.producer == "Gemm") {
    b.node("Gemm", {"x", "w", "bias"}, {"g"});
    in = "g";
  }
  add_gelu(b, in, o);
  b.output("y");
  if (!o.extra_reader.empty()) {
    b.node("Neg", {o.extra_reader}, {"z"});
    b.output("z");
  }
  return b.bytes();
}

// Level 0 on the reference provider against level 2 on `provider`; returns the level-2 op counts.
std::map<std::string, int> check_level2(const GeluOptions& o, Provider provider, const std::string& what) {
  const std::string model = gelu_model(o);
  auto oracle = testing::load_at_level(model, Provider::kReference, 0);
  auto fused = testing::load_at_level(model, provider, 2);
  if (!oracle.session || !fused.session) return {};
  const Tensor x = testing::random_input(input_dims(o), 4);
  testing::expect_outputs_close(testing::run_on(*oracle.session, x), testing::run_on(*fused.session, x), kRel, what);
  return fused.ops;
}

TEST(GeluFusion, AfterMatMulAddFusesIntoTheMatMulInEveryWriting) {
  // MatMul + bias becomes edgeserve.FusedMatMul, which then takes the GELU as its activation.
  const std::map<std::string, int> want = {{"edgeserve.FusedMatMul", 1}};
  for (bool half_first : {false, true}) {
    for (bool scale_by_mul : {false, true}) {
      const GeluOptions o{.half_first = half_first, .scale_by_mul = scale_by_mul};
      const std::string what =
          std::string("half first ") + (half_first ? "1" : "0") + ", mul " + (scale_by_mul ? "1" : "0");
      EXPECT_EQ(check_level2(o, Provider::kReference, what), want) << what;
      EXPECT_EQ(check_level2(o, Provider::kCpu, what + " (cpu)"), want) << what;
    }
  }
}

TEST(GeluFusion, OnAGraphInputRunsOnTheCpuProvider) {
  const GeluOptions o{.producer = ""};
  EXPECT_EQ(check_level2(o, Provider::kCpu, "cpu"), (std::map<std::string, int>{{"edgeserve.Gelu", 1}}));
  auto cpu = testing::load_at_level(gelu_model(o), Provider::kCpu, 2);
  ASSERT_TRUE(cpu.session);
  EXPECT_EQ(cpu.session->step_providers(), std::vector<std::string>{"cpu"});  // claimed as eltwise_gelu_erf
}

TEST(GeluFusion, GemmKeepsTheActivation) {
  const GeluOptions o{.producer = "Gemm"};
  EXPECT_EQ(check_level2(o, Provider::kReference, "gemm"), (std::map<std::string, int>{{"edgeserve.FusedGemm", 1}}));
}

TEST(GeluFusion, IntermediateWithAnotherReaderIsNotFused) {
  for (const char* extra : {"s", "e", "a", "m"}) {
    auto ops = check_level2({.extra_reader = extra}, Provider::kReference, extra);
    EXPECT_EQ(ops.count("edgeserve.Gelu"), 0u) << extra;
    EXPECT_EQ(ops["Erf"], 1) << extra;
  }
}

TEST(GeluKernel, ExactErfFormula) {
  testing::NodeSpec s = testing::spec("Gelu", {Tensor::from_vector<float>({5}, {0.f, 1.f, -1.f, 2.f, -3.f})});
  s.domain = "edgeserve";
  s.opset = 1;
  const Tensor y = testing::run_ok(s);
  ASSERT_EQ(y.dims(), (Dims{5}));
  // x * Phi(x), from the normal distribution's CDF.
  const float want[] = {0.f, 0.8413447f, -0.1586553f, 1.9544997f, -0.0040497f};
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(y.data<float>()[i], want[i], 1e-6f) << i;
}

TEST(GeluKernel, WrongArityIsAnError) {
  testing::NodeSpec s = testing::spec("Gelu", {Tensor::scalar(1.f), Tensor::scalar(2.f)});
  s.domain = "edgeserve";
  s.opset = 1;
  EXPECT_FALSE(testing::run_node(s).is_ok());
}

}  // namespace
}  // namespace edgeserve
