// MatMul of a rank-3+ A by a constant [K, N] plus a bias of N values becomes one
// edgeserve.FusedMatMul at level 2, with the same outputs as level 0 on the reference provider,
// on both providers; shapes and readers that do not qualify are left alone.
#include <gtest/gtest.h>

#include "fusion_test_util.h"

namespace edgeserve {
namespace {

using testing::OnnxModelBuilder;

constexpr float kRel = 1e-5f;

struct BiasOptions {
  bool bias_first = false;          // Add(bias, product), as torch exports it
  std::vector<int64_t> bias_dims = {6};
  Dims x_dims = {2, 5, 8};
  bool extra_reader = false;        // the product is also a graph output
  bool relu = false;                // a Relu after the Add (fuses as the activation)
};

std::string bias_model(const BiasOptions& o) {
  std::mt19937 rng(5);
  OnnxModelBuilder b(13);
  std::vector<std::string> dims;
  for (int64_t d : o.x_dims) dims.push_back(std::to_string(d));
  b.input("x", dims);
  b.initializer("w", {8, 6}, testing::random_floats(rng, 48));
  b.initializer("bias", o.bias_dims, testing::random_floats(rng, 6));
  b.node("MatMul", {"x", "w"}, {"mm"});
  if (o.bias_first) b.node("Add", {"bias", "mm"}, {o.relu ? "a" : "y"});
  else b.node("Add", {"mm", "bias"}, {o.relu ? "a" : "y"});
  if (o.relu) b.node("Relu", {"a"}, {"y"});
  b.output("y");
  if (o.extra_reader) b.output("mm");
  return b.bytes();
}

std::map<std::string, int> check_level2(const BiasOptions& o, Provider provider, const std::string& what) {
  const std::string model = bias_model(o);
  auto oracle = testing::load_at_level(model, Provider::kReference, 0);
  auto fused = testing::load_at_level(model, provider, 2);
  if (!oracle.session || !fused.session) return {};
  const Tensor x = testing::random_input(o.x_dims, 3);
  testing::expect_outputs_close(testing::run_on(*oracle.session, x), testing::run_on(*fused.session, x), kRel, what);
  return fused.ops;
}

const std::map<std::string, int> kFused = {{"edgeserve.FusedMatMul", 1}};

TEST(MatMulBiasFusion, BiasInEitherOrderAndShapeFuses) {
  for (bool bias_first : {false, true}) {
    for (std::vector<int64_t> dims : {std::vector<int64_t>{6}, std::vector<int64_t>{1, 1, 6}}) {
      const BiasOptions o{.bias_first = bias_first, .bias_dims = dims};
      const std::string what = std::string("bias first ") + (bias_first ? "1" : "0") + ", rank " +
                               std::to_string(dims.size());
      EXPECT_EQ(check_level2(o, Provider::kReference, what), kFused) << what;
      EXPECT_EQ(check_level2(o, Provider::kCpu, what + " (cpu)"), kFused) << what;
    }
  }
}

TEST(MatMulBiasFusion, RunsOnTheCpuProviderWithItsActivation) {
  const BiasOptions o{.x_dims = {3, 2, 4, 8}, .relu = true};
  EXPECT_EQ(check_level2(o, Provider::kCpu, "4-D + relu"), kFused);
  auto cpu = testing::load_at_level(bias_model(o), Provider::kCpu, 2);
  ASSERT_TRUE(cpu.session);
  EXPECT_EQ(cpu.session->step_providers(), std::vector<std::string>{"cpu"});
}

TEST(MatMulBiasFusion, TwoDimensionalAIsAGemmAndASecondReaderBlocks) {
  EXPECT_EQ(check_level2({.x_dims = {5, 8}}, Provider::kReference, "2-D"),
            (std::map<std::string, int>{{"Gemm", 1}}));
  auto ops = check_level2({.extra_reader = true}, Provider::kReference, "product read twice");
  EXPECT_EQ(ops.count("edgeserve.FusedMatMul"), 0u);
  EXPECT_EQ(ops["MatMul"], 1);
}

TEST(MatMulBiasFusion, BiasOfTheWrongLengthIsNotFused) {
  // A [1, 6] bias row broadcast over [.., 6] fuses; a [6, 1] column does not (it is not a bias).
  const BiasOptions o{.bias_dims = {6, 1}, .x_dims = {2, 6, 8}};
  auto ops = check_level2(o, Provider::kReference, "column");
  EXPECT_EQ(ops.count("edgeserve.FusedMatMul"), 0u);
}

}  // namespace
}  // namespace edgeserve
