// Normalization kernels: BatchNorm (inference only), InstanceNorm, LayerNorm with statistics
// outputs, LRN, MeanVarianceNormalization, and their errors.
#include <cmath>

#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

Tensor vec(std::vector<float> v) { return Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v); }

void expect_near(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << "at " << i;
}

TEST(BatchNorm, AppliesPerChannelStatistics) {
  auto out = run_node(spec("BatchNormalization", {Tensor::from_vector<float>({1, 2, 1, 2}, {3, 5, 1, 2}), vec({1, 2}),
                                                  vec({0, 1}), vec({1, 0}), vec({4, 1})},
                           {{"epsilon", float_attr(0)}}));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  expect_near(values<float>((*out)[0]), {1, 2, 3, 5});
}

TEST(BatchNorm, TrainingModeIsUnimplemented) {
  auto out = run_node(spec("BatchNormalization", {Tensor::from_vector<float>({1, 1, 1}, {1}), vec({1}), vec({0}),
                                                  vec({0}), vec({1})},
                           {{"training_mode", int_attr(1)}}));
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(out.status().message().find("training"), std::string::npos);
}

TEST(InstanceNorm, NormalizesEachPlane) {
  auto out = run_node(spec("InstanceNormalization", {Tensor::from_vector<float>({1, 2, 2}, {1, 3, 5, 5}), vec({2, 1}),
                                                     vec({1, 0})},
                           {{"epsilon", float_attr(0)}}));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  // The second plane has zero variance: 0 / sqrt(0) is NaN, as the formula says.
  const std::vector<float> y = values<float>((*out)[0]);
  EXPECT_NEAR(y[0], -1, 1e-6);
  EXPECT_NEAR(y[1], 3, 1e-6);
}

TEST(LayerNorm, EmitsMeanAndInvStdDev) {
  auto out = run_node(spec("LayerNormalization", {Tensor::from_vector<float>({2, 2}, {1, 3, 0, 4}), vec({1, 2}), vec({0, 1})},
                           {{"epsilon", float_attr(0)}}, 3));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  expect_near(values<float>((*out)[0]), {-1, 3, -1, 3});
  EXPECT_EQ((*out)[1].dims(), (Dims{2, 1}));
  expect_near(values<float>((*out)[1]), {2, 2});
  expect_near(values<float>((*out)[2]), {1, 0.5f});
}

TEST(LayerNorm, AxisZeroNormalizesEverything) {
  auto out = run_node(spec("LayerNormalization", {Tensor::from_vector<float>({2, 1}, {1, 3}), Tensor::scalar<float>(1)},
                           {{"axis", int_attr(0)}, {"epsilon", float_attr(0)}}));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  expect_near(values<float>((*out)[0]), {-1, 1});
}

TEST(Lrn, SumsSquaresOverNeighbouringChannels) {
  auto out = run_node(spec("LRN", {Tensor::from_vector<float>({1, 3, 1}, {1, 2, 3})},
                           {{"size", int_attr(3)}, {"alpha", float_attr(3)}, {"beta", float_attr(1)}}));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  // Channel 0 sees channels 0-1 (1 + 4), channel 1 all (14), channel 2 channels 1-2 (13).
  expect_near(values<float>((*out)[0]), {1.0f / 6, 2.0f / 15, 3.0f / 14});
}

TEST(Mvn, NormalizesOverGivenAxes) {
  auto out = run_node(spec("MeanVarianceNormalization", {Tensor::from_vector<float>({2, 2}, {1, 3, 10, 10})},
                           {{"axes", ints_attr({1})}}));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  expect_near(values<float>((*out)[0]), {-1, 1, 0, 0});
}

TEST(Norm, MalformedNodesAreRejected) {
  const Tensor x = Tensor::from_vector<float>({1, 2, 2}, {1, 2, 3, 4});
  expect_error(spec("BatchNormalization", {x, vec({1}), vec({0, 0}), vec({0, 0}), vec({1, 1})}), "scale");
  expect_error(spec("BatchNormalization", {vec({1, 2}), vec({1}), vec({0}), vec({0}), vec({1})}), "rank");
  expect_error(spec("InstanceNormalization", {x, vec({1, 1, 1}), vec({0, 0})}), "scale");
  expect_error(spec("LayerNormalization", {x, vec({1, 1, 1})}), "Scale");
  expect_error(spec("LayerNormalization", {x, vec({1, 1})}, {{"axis", int_attr(3)}}), "axis");
  expect_error(spec("LayerNormalization", {x, vec({1, 1})}, {{"stash_type", int_attr(7)}}), "stash_type");
  expect_error(spec("LRN", {x}, {{"size", int_attr(0)}}), "size");
  expect_error(spec("MeanVarianceNormalization", {x}, {{"axes", ints_attr({5})}}), "axis");
  expect_error(spec("BatchNormalization", {x, vec({1, 1}), vec({0, 0}), vec({0, 0}), Tensor::from_vector<double>({2}, {1, 1})}),
               "different types");
}

}  // namespace
}  // namespace edgeserve::testing
