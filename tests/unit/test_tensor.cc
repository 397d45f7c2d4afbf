// Tensor allocation bounds and float16 conversion.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/ir/tensor.h"

namespace edgeserve {
namespace {

TEST(Tensor, AllocatesZeroFilled) {
  auto t = Tensor::allocate(DType::kFloat32, {2, 3});
  ASSERT_TRUE(t.is_ok());
  EXPECT_EQ(t->num_elements(), 6);
  EXPECT_EQ(t->byte_size(), 24u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(t->data<float>()[i], 0.0f);
}

TEST(Tensor, RefusesNegativeDims) {
  auto t = Tensor::allocate(DType::kFloat32, {2, -1});
  ASSERT_FALSE(t.is_ok());
  EXPECT_NE(t.status().message().find("negative"), std::string::npos);
}

TEST(Tensor, RefusesMoreThanTheByteLimit) {
  auto t = Tensor::allocate(DType::kFloat32, {4'000'000'000});
  ASSERT_FALSE(t.is_ok());
  EXPECT_EQ(t.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(t.status().message().find("4000000000"), std::string::npos);
}

TEST(Tensor, ElementCountOverflowIsAnError) {
  auto n = checked_num_elements({int64_t{1} << 40, int64_t{1} << 40});
  EXPECT_FALSE(n.is_ok());
}

TEST(Tensor, ReshapedSharesTheBuffer) {
  Tensor t = Tensor::from_vector<int32_t>({2, 2}, {1, 2, 3, 4});
  Tensor r = t.reshaped({4});
  EXPECT_EQ(r.raw_data(), t.raw_data());
  EXPECT_EQ(r.dims(), (Dims{4}));
  Tensor c = t.clone();
  EXPECT_NE(c.raw_data(), t.raw_data());
  EXPECT_EQ(c.data<int32_t>()[3], 4);
}

TEST(Tensor, StringTensorsHoldStrings) {
  Tensor t = Tensor::from_vector<std::string>({2}, {"a", "bc"});
  EXPECT_EQ(t.data<std::string>()[1], "bc");
  EXPECT_EQ(t.clone().data<std::string>()[0], "a");
}

TEST(Float16, RoundTripsRepresentableValues) {
  for (float f : {0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 6.103515625e-05f, 5.9604645e-08f}) {
    EXPECT_EQ(static_cast<float>(Float16(f)), f) << f;
  }
}

TEST(Float16, RoundsToNearestEvenAndSaturatesToInfinity) {
  EXPECT_EQ(static_cast<float>(Float16(1.0f + 1.0f / 4096)), 1.0f);  // halfway: to even
  EXPECT_TRUE(std::isinf(static_cast<float>(Float16(1e6f))));
  EXPECT_TRUE(std::isnan(static_cast<float>(Float16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(BFloat16, KeepsTheTopSixteenBits) {
  EXPECT_EQ(static_cast<float>(BFloat16(1.0f)), 1.0f);
  EXPECT_EQ(static_cast<float>(BFloat16(-3.0f)), -3.0f);
}

}  // namespace
}  // namespace edgeserve
