// Generator kernels (ConstantOfShape, Range, EyeLike, OneHot, Trilu) and their input checks.
#include <limits>

#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

TEST(ConstantOfShape, DefaultsToFloatZero) {
  auto out = run_node({"ConstantOfShape", {Tensor::from_vector<int64_t>({2}, {2, 3})}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].dtype(), DType::kFloat32);
  EXPECT_EQ(values<float>((*out)[0]), std::vector<float>(6, 0.0f));
}

TEST(ConstantOfShape, NegativeDimIsAnError) {
  EXPECT_FALSE(run_node({"ConstantOfShape", {Tensor::from_vector<int64_t>({1}, {-1})}}).is_ok());
}

TEST(ConstantOfShape, HugeShapeIsRefused) {
  auto out = run_node({"ConstantOfShape", {Tensor::from_vector<int64_t>({2}, {int64_t{1} << 40, int64_t{1} << 40})}});
  EXPECT_FALSE(out.is_ok());
}

TEST(Range, CountsWithCeilAndNegativeDelta) {
  auto out = run_node({"Range", {Tensor::scalar<int32_t>(10), Tensor::scalar<int32_t>(4), Tensor::scalar<int32_t>(-3)}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<int32_t>((*out)[0]), (std::vector<int32_t>{10, 7}));
  out = run_node({"Range", {Tensor::scalar<float>(0), Tensor::scalar<float>(1), Tensor::scalar<float>(0.25f)}});
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{0, 0.25f, 0.5f, 0.75f}));
}

TEST(Range, EmptyWhenLimitIsBehindStart) {
  auto out = run_node({"Range", {Tensor::scalar<int64_t>(5), Tensor::scalar<int64_t>(1), Tensor::scalar<int64_t>(1)}});
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ((*out)[0].num_elements(), 0);
}

TEST(Range, ZeroDeltaAndHugeCountAreErrors) {
  EXPECT_FALSE(run_node({"Range", {Tensor::scalar<int64_t>(0), Tensor::scalar<int64_t>(5), Tensor::scalar<int64_t>(0)}}).is_ok());
  auto huge = run_node({"Range", {Tensor::scalar<int64_t>(INT64_MIN), Tensor::scalar<int64_t>(INT64_MAX),
                                  Tensor::scalar<int64_t>(1)}});
  EXPECT_FALSE(huge.is_ok());
}

TEST(Range, LargeStepsDoNotOverflow) {
  const int64_t step = int64_t{1} << 62;
  auto out = run_node({"Range", {Tensor::scalar<int64_t>(INT64_MIN), Tensor::scalar<int64_t>(INT64_MAX),
                                 Tensor::scalar<int64_t>(step)}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<int64_t>((*out)[0]), (std::vector<int64_t>{INT64_MIN, INT64_MIN + step, 0, step}));
}

TEST(EyeLike, OffDiagonalWithDtype) {
  NodeSpec spec{"EyeLike", {Tensor::from_vector<float>({2, 3}, {})},
                {{"k", int_attr(1)}, {"dtype", int_attr(static_cast<int64_t>(DType::kInt32))}}};
  auto out = run_node(spec);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<int32_t>((*out)[0]), (std::vector<int32_t>{0, 1, 0, 0, 0, 1}));
}

TEST(OneHot, AxisZeroWithNegativeIndex) {
  Tensor idx = Tensor::from_vector<int64_t>({2}, {-1, 5});
  Tensor vals = Tensor::from_vector<float>({2}, {0, 1});
  auto out = run_node({"OneHot", {idx, Tensor::scalar<float>(3), vals}, {{"axis", int_attr(0)}}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].dims(), (Dims{3, 2}));
  // Index -1 selects depth - 1; index 5 is out of range and stays all off.
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{0, 0, 0, 0, 1, 0}));
}

TEST(OneHot, NonPositiveDepthIsAnError) {
  Tensor vals = Tensor::from_vector<float>({2}, {0, 1});
  EXPECT_FALSE(run_node({"OneHot", {Tensor::scalar<int64_t>(0), Tensor::scalar<int64_t>(0), vals}}).is_ok());
  EXPECT_FALSE(run_node({"OneHot", {Tensor::scalar<int64_t>(0), Tensor::scalar<float>(std::numeric_limits<float>::quiet_NaN()), vals}}).is_ok());
}

TEST(Trilu, LowerWithNegativeK) {
  Tensor x = Tensor::from_vector<int64_t>({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  auto out = run_node({"Trilu", {x, Tensor::scalar<int64_t>(-1)}, {{"upper", int_attr(0)}}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<int64_t>((*out)[0]), (std::vector<int64_t>{0, 0, 0, 4, 0, 0, 7, 8, 0}));
}

TEST(Trilu, ExtremeKDoesNotOverflow) {
  Tensor x = Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4});
  auto out = run_node({"Trilu", {x, Tensor::scalar<int64_t>(INT64_MIN)}});
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{1, 2, 3, 4}));
  out = run_node({"Trilu", {x, Tensor::scalar<int64_t>(INT64_MAX)}});
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{0, 0, 0, 0}));
}

}  // namespace
}  // namespace edgeserve::testing
