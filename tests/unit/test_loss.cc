// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: reductions, weights, ignore_index,
// spatial dims, the optional log_prob output, and errors on malformed targets.
#include <cmath>

#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

// Log-probabilities of 2 samples over 3 classes.
Tensor nll_input() { return Tensor::from_vector<float>({2, 3}, {-1, -2, -3, -0.5f, -1.5f, -2.5f}); }

TEST(NegativeLogLikelihoodLoss, NoneGathersNegatedLogProb) {
  Tensor y = run_ok(spec("NegativeLogLikelihoodLoss", {nll_input(), Tensor::from_vector<int64_t>({2}, {2, 0})},
                         {{"reduction", string_attr("none")}}, 1, 13));
  EXPECT_EQ(y.dims(), (Dims{2}));
  EXPECT_EQ(values<float>(y), (std::vector<float>{3, 0.5f}));
}

TEST(NegativeLogLikelihoodLoss, DefaultMeanAndSum) {
  const Tensor t = Tensor::from_vector<int32_t>({2}, {1, 2});  // int32 targets are accepted too
  Tensor mean = run_ok(spec("NegativeLogLikelihoodLoss", {nll_input(), t}, {}, 1, 12));
  EXPECT_EQ(mean.rank(), 0u);
  EXPECT_FLOAT_EQ(values<float>(mean)[0], (2 + 2.5f) / 2);
  Tensor sum = run_ok(spec("NegativeLogLikelihoodLoss", {nll_input(), t}, {{"reduction", string_attr("sum")}}, 1, 13));
  EXPECT_FLOAT_EQ(values<float>(sum)[0], 4.5f);
}

TEST(NegativeLogLikelihoodLoss, WeightedMeanDividesBySummedWeights) {
  const Tensor w = Tensor::from_vector<float>({3}, {1, 2, 4});
  Tensor y = run_ok(spec("NegativeLogLikelihoodLoss", {nll_input(), Tensor::from_vector<int64_t>({2}, {2, 1}), w}, {}, 1, 13));
  // (3 * 4 + 1.5 * 2) / (4 + 2)
  EXPECT_FLOAT_EQ(values<float>(y)[0], 15.0f / 6);
}

TEST(NegativeLogLikelihoodLoss, NegativeIgnoreIndexSkipsElementAndItsWeight) {
  const Tensor w = Tensor::from_vector<float>({3}, {1, 2, 4});
  const Tensor t = Tensor::from_vector<int64_t>({2}, {-7, 1});  // -7 would be out of range if not ignored
  std::map<std::string, Attribute> attrs{{"ignore_index", int_attr(-7)}};
  Tensor mean = run_ok(spec("NegativeLogLikelihoodLoss", {nll_input(), t, w}, attrs, 1, 13));
  EXPECT_FLOAT_EQ(values<float>(mean)[0], 1.5f);
  attrs["reduction"] = string_attr("none");
  Tensor none = run_ok(spec("NegativeLogLikelihoodLoss", {nll_input(), t, w}, attrs, 1, 13));
  EXPECT_EQ(values<float>(none), (std::vector<float>{0, 3}));
}

TEST(NegativeLogLikelihoodLoss, MeanOverOnlyIgnoredTargetsIsNaN) {
  Tensor y = run_ok(spec("NegativeLogLikelihoodLoss", {nll_input(), Tensor::from_vector<int64_t>({2}, {5, 5})},
                         {{"ignore_index", int_attr(5)}}, 1, 13));
  EXPECT_TRUE(std::isnan(values<float>(y)[0]));
}

TEST(NegativeLogLikelihoodLoss, SpatialDimsFollowTheClassAxis) {
  // [N=1, C=2, d1=2]: element k reads x[0, target[k], k].
  const Tensor x = Tensor::from_vector<double>({1, 2, 2}, {-1, -2, -3, -4});
  Tensor y = run_ok(spec("NegativeLogLikelihoodLoss", {x, Tensor::from_vector<int64_t>({1, 2}, {1, 0})},
                         {{"reduction", string_attr("none")}}, 1, 13));
  EXPECT_EQ(y.dims(), (Dims{1, 2}));
  EXPECT_EQ(values<double>(y), (std::vector<double>{3, 2}));
}

TEST(SoftmaxCrossEntropyLoss, LossAndLogProb) {
  const Tensor x = Tensor::from_vector<float>({2, 2}, {0, 0, 1000, 0});  // large scores must not overflow
  auto out = run_node(spec("SoftmaxCrossEntropyLoss", {x, Tensor::from_vector<int64_t>({2}, {0, 1})},
                           {{"reduction", string_attr("none")}}, 2, 13));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  const std::vector<float> loss = values<float>((*out)[0]);
  EXPECT_NEAR(loss[0], std::log(2.0f), 1e-6);
  EXPECT_NEAR(loss[1], 1000, 1e-3);
  const std::vector<float> lp = values<float>((*out)[1]);
  EXPECT_EQ((*out)[1].dims(), (Dims{2, 2}));
  EXPECT_NEAR(lp[0], -std::log(2.0f), 1e-6);
  EXPECT_NEAR(lp[2], 0, 1e-6);
  EXPECT_NEAR(lp[3], -1000, 1e-3);
}

TEST(SoftmaxCrossEntropyLoss, WeightedMeanWithoutLogProbOutput) {
  const Tensor x = Tensor::from_vector<double>({2, 2}, {0, 0, 0, 0});
  const Tensor w = Tensor::from_vector<double>({2}, {1, 3});
  Tensor y = run_ok(spec("SoftmaxCrossEntropyLoss", {x, Tensor::from_vector<int64_t>({2}, {0, 1}), w}, {}, 1, 12));
  EXPECT_NEAR(values<double>(y)[0], std::log(2.0), 1e-12);  // (ln2 * 1 + ln2 * 3) / 4
}

TEST(LossKernels, ErrorsOnMalformedInputs) {
  const Tensor t2 = Tensor::from_vector<int64_t>({2}, {0, 1});
  const char* op = "NegativeLogLikelihoodLoss";
  expect_error(spec(op, {nll_input(), Tensor::from_vector<int64_t>({2}, {0, 3})}, {}, 1, 13), "class index 3");
  expect_error(spec(op, {nll_input(), Tensor::from_vector<int64_t>({2}, {-1, 0})}, {}, 1, 13), "class index -1");
  expect_error(spec(op, {nll_input(), t2}, {{"reduction", string_attr("avg")}}, 1, 13), "reduction");
  expect_error(spec(op, {nll_input(), Tensor::from_vector<int64_t>({3}, {0, 1, 2})}, {}, 1, 13), "target");
  expect_error(spec(op, {nll_input(), t2, Tensor::from_vector<float>({2}, {1, 1})}, {}, 1, 13), "weight");
  expect_error(spec(op, {nll_input(), t2, Tensor::from_vector<double>({3}, {1, 1, 1})}, {}, 1, 13), "weight");
  expect_error(spec(op, {Tensor::from_vector<float>({3}, {1, 2, 3}), Tensor::scalar<int64_t>(0)}, {}, 1, 13), "rank");
  expect_error(spec(op, {nll_input(), Tensor::from_vector<float>({2}, {0, 1})}, {}, 1, 13), "target",
               StatusCode::kUnimplemented);
  expect_error(spec("SoftmaxCrossEntropyLoss", {nll_input(), Tensor::from_vector<int64_t>({2}, {0, 9})}, {}, 2, 13),
               "class index 9");
}

}  // namespace
}  // namespace edgeserve::testing
