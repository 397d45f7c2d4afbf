// Cast, CumSum, TopK, NonZero, Det, Unique and (de)quantization kernels against hand-computed values.
#include <cmath>
#include <limits>

#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

NodeSpec cast_to(Tensor x, DType to) {
  return {"Cast", {std::move(x)}, {{"to", int_attr(static_cast<int64_t>(to))}}};
}

TEST(Cast, FloatToIntTruncatesAndSaturatesWithoutUb) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto out = run_node(cast_to(Tensor::from_vector<float>({4}, {-1.7f, 2.9f, 1e10f, nan}), DType::kInt32));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  auto v = values<int32_t>((*out)[0]);
  EXPECT_EQ(v[0], -1);
  EXPECT_EQ(v[1], 2);
  EXPECT_EQ(v[2], std::numeric_limits<int32_t>::max());
}

TEST(Cast, ToFloat16AndBack) {
  auto half = run_node(cast_to(Tensor::from_vector<float>({2}, {1.5f, -2.0f}), DType::kFloat16));
  ASSERT_TRUE(half.is_ok());
  ASSERT_EQ((*half)[0].dtype(), DType::kFloat16);
  auto back = run_node(cast_to((*half)[0], DType::kFloat32));
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(values<float>((*back)[0]), (std::vector<float>{1.5f, -2.0f}));
}

TEST(Cast, StringRoundTrip) {
  const float inf = std::numeric_limits<float>::infinity();
  auto s = run_node(cast_to(Tensor::from_vector<float>({3}, {0.1f, -inf, 3.0f}), DType::kString));
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(values<std::string>((*s)[0]), (std::vector<std::string>{"0.1", "-INF", "3"}));
  auto f = run_node(cast_to(Tensor::from_vector<std::string>({2}, {"+INF", "2.5"}), DType::kFloat32));
  ASSERT_TRUE(f.is_ok());
  EXPECT_EQ(values<float>((*f)[0]), (std::vector<float>{inf, 2.5f}));
}

TEST(Cast, BadStringIsAnError) {
  EXPECT_FALSE(run_node(cast_to(Tensor::from_vector<std::string>({1}, {"1.5abc"}), DType::kFloat32)).is_ok());
}

TEST(Cast, UnknownTargetTypeIsAnError) {
  EXPECT_FALSE(run_node({"Cast", {Tensor::scalar<float>(1)}, {{"to", int_attr(1000)}}}).is_ok());
}

TEST(CastLike, UsesSecondInputType) {
  auto out = run_node({"CastLike", {Tensor::from_vector<float>({2}, {0, 2}), Tensor::scalar<bool>(false)}});
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(values<bool>((*out)[0]), (std::vector<bool>{false, true}));
}

TEST(CumSum, ExclusiveReverseAlongAxis) {
  Tensor x = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  auto out = run_node({"CumSum", {x, Tensor::scalar<int64_t>(-1)}, {{"exclusive", int_attr(1)}, {"reverse", int_attr(1)}}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{5, 3, 0, 11, 6, 0}));
}

TEST(CumSum, AxisOutOfRangeIsAnError) {
  EXPECT_FALSE(run_node({"CumSum", {Tensor::from_vector<float>({2}, {1, 2}), Tensor::scalar<int32_t>(1)}}).is_ok());
}

TEST(TopK, LargestBreaksTiesByLowerIndex) {
  Tensor x = Tensor::from_vector<float>({5}, {1, 3, 3, 2, 3});
  auto out = run_node({"TopK", {x, Tensor::from_vector<int64_t>({1}, {3})}, {}, 2});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{3, 3, 3}));
  EXPECT_EQ(values<int64_t>((*out)[1]), (std::vector<int64_t>{1, 2, 4}));
}

TEST(TopK, SmallestAlongAxis0WithNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor x = Tensor::from_vector<float>({3, 2}, {nan, 5, 1, 4, 2, 6});
  auto out = run_node({"TopK", {x, Tensor::from_vector<int64_t>({1}, {2})}, {{"axis", int_attr(0)}, {"largest", int_attr(0)}}, 2});
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{1, 4, 2, 5}));
  EXPECT_EQ(values<int64_t>((*out)[1]), (std::vector<int64_t>{1, 1, 2, 0}));
}

TEST(TopK, KFromAttributeBeforeOpset10) {
  auto out = run_node({"TopK", {Tensor::from_vector<int32_t>({3}, {7, 9, 8})}, {{"k", int_attr(1)}}, 2, 9});
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(values<int32_t>((*out)[0]), (std::vector<int32_t>{9}));
}

TEST(TopK, KLargerThanAxisIsAnError) {
  auto out = run_node({"TopK", {Tensor::from_vector<float>({2}, {1, 2}), Tensor::from_vector<int64_t>({1}, {3})}, {}, 2});
  EXPECT_FALSE(out.is_ok());
  out = run_node({"TopK", {Tensor::from_vector<float>({2}, {1, 2}), Tensor::from_vector<int64_t>({1}, {-1})}, {}, 2});
  EXPECT_FALSE(out.is_ok());
}

TEST(NonZero, ReturnsCoordinatesPerDimension) {
  auto out = run_node({"NonZero", {Tensor::from_vector<int32_t>({2, 2}, {1, 0, 0, 3})}});
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ((*out)[0].dims(), (Dims{2, 2}));
  EXPECT_EQ(values<int64_t>((*out)[0]), (std::vector<int64_t>{0, 1, 0, 1}));
}

TEST(QuantizeLinear, RoundsHalfToEvenAndSaturates) {
  Tensor x = Tensor::from_vector<float>({5}, {2.5f, 3.5f, -1000, 1000, 0});
  auto out = run_node({"QuantizeLinear", {x, Tensor::scalar<float>(1), Tensor::scalar<int8_t>(1)}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<int8_t>((*out)[0]), (std::vector<int8_t>{3, 5, -128, 127, 1}));
}

TEST(QuantizeLinear, PerAxis) {
  Tensor x = Tensor::from_vector<float>({2, 2}, {2, 4, 2, 4});
  Tensor scale = Tensor::from_vector<float>({2}, {1, 2});
  Tensor zp = Tensor::from_vector<uint8_t>({2}, {10, 20});
  auto out = run_node({"QuantizeLinear", {x, scale, zp}, {{"axis", int_attr(0)}}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<uint8_t>((*out)[0]), (std::vector<uint8_t>{12, 14, 21, 22}));
}

TEST(QuantizeLinear, PerAxisNeedsOpset13AndMatchingLength) {
  Tensor x = Tensor::from_vector<float>({2, 2}, {2, 4, 2, 4});
  EXPECT_FALSE(run_node({"QuantizeLinear", {x, Tensor::from_vector<float>({2}, {1, 2})}, {}, 1, 10}).is_ok());
  EXPECT_FALSE(run_node({"QuantizeLinear", {x, Tensor::from_vector<float>({3}, {1, 2, 3})}}).is_ok());
}

TEST(DequantizeLinear, Int32AndUint8) {
  auto out = run_node({"DequantizeLinear", {Tensor::from_vector<int32_t>({2}, {-4, 6}), Tensor::scalar<float>(0.5f)}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{-2, 3}));
  out = run_node({"DequantizeLinear", {Tensor::from_vector<uint8_t>({2}, {0, 255}), Tensor::scalar<float>(2),
                                       Tensor::scalar<uint8_t>(128)}});
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{-256, 254}));
}

TEST(Det, BatchedWithPivoting) {
  // The first matrix needs a row swap (zero leading pivot): det = -1 * 2 = -2.
  Tensor x = Tensor::from_vector<double>({2, 2, 2}, {0, 1, 2, 0, 1, 2, 3, 4});
  auto out = run_node({"Det", {x}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  auto v = values<double>((*out)[0]);
  EXPECT_DOUBLE_EQ(v[0], -2);
  EXPECT_DOUBLE_EQ(v[1], -2);
  EXPECT_FALSE(run_node({"Det", {Tensor::from_vector<float>({2, 3}, {})}}).is_ok());
}

TEST(Unique, UnsortedKeepsFirstOccurrenceOrder) {
  Tensor x = Tensor::from_vector<int32_t>({6}, {3, 1, 3, 2, 1, 3});
  auto out = run_node({"Unique", {x}, {{"sorted", int_attr(0)}}, 4});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<int32_t>((*out)[0]), (std::vector<int32_t>{3, 1, 2}));
  EXPECT_EQ(values<int64_t>((*out)[1]), (std::vector<int64_t>{0, 1, 3}));
  EXPECT_EQ(values<int64_t>((*out)[2]), (std::vector<int64_t>{0, 1, 0, 2, 1, 0}));
  EXPECT_EQ(values<int64_t>((*out)[3]), (std::vector<int64_t>{3, 2, 1}));
}

TEST(Unique, SortedRowsAlongAxis) {
  Tensor x = Tensor::from_vector<float>({3, 2}, {2, 0, 1, 5, 2, 0});
  auto out = run_node({"Unique", {x}, {{"axis", int_attr(0)}}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].dims(), (Dims{2, 2}));
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{1, 5, 2, 0}));
}

}  // namespace
}  // namespace edgeserve::testing
