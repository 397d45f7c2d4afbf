// Softmax family: opset-dependent axis semantics, numerical stability, Hardmax ties.
#include <cmath>

#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

TEST(Softmax, Opset13NormalizesOneAxis) {
  auto out = run_node(spec("Softmax", {Tensor::from_vector<float>({2, 2}, {0, 0, 1000, 1000})}, {}, 1, 13));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f}));
}

TEST(Softmax, BeforeOpset13CoercesTo2D) {
  // axis 1 of [1, 2, 2] flattens the trailing 4 elements into one row.
  auto out = run_node(spec("Softmax", {Tensor::from_vector<float>({1, 2, 2}, {0, 0, 0, 0})}, {}, 1, 11));
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{0.25f, 0.25f, 0.25f, 0.25f}));
  auto per_axis = run_node(spec("Softmax", {Tensor::from_vector<float>({1, 2, 2}, {0, 0, 0, 0})}, {{"axis", int_attr(1)}}, 1, 13));
  ASSERT_TRUE(per_axis.is_ok());
  EXPECT_EQ(values<float>((*per_axis)[0]), (std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f}));
}

TEST(LogSoftmax, MatchesLogOfSoftmax) {
  auto out = run_node(spec("LogSoftmax", {Tensor::from_vector<float>({2}, {1, 3})}, {}, 1, 13));
  ASSERT_TRUE(out.is_ok());
  const float log_sum = 3 + std::log1p(std::exp(-2.0f));
  EXPECT_NEAR(values<float>((*out)[0])[0], 1 - log_sum, 1e-6);
  EXPECT_NEAR(values<float>((*out)[0])[1], 3 - log_sum, 1e-6);
}

TEST(Hardmax, FirstMaximumWins) {
  auto out = run_node(spec("Hardmax", {Tensor::from_vector<float>({2, 3}, {3, 3, 1, 0, 2, 1})}, {}, 1, 13));
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{1, 0, 0, 0, 1, 0}));
}

TEST(Softmax, ErrorsOnBadAxisAndType) {
  EXPECT_FALSE(run_node(spec("Softmax", {Tensor::from_vector<float>({2}, {1, 2})}, {{"axis", int_attr(1)}}, 1, 13)).is_ok());
  EXPECT_FALSE(run_node(spec("Softmax", {Tensor::from_vector<int32_t>({2}, {1, 2})}, {}, 1, 13)).is_ok());
}

}  // namespace
}  // namespace edgeserve::testing
