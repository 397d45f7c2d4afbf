// Unary element-wise kernels against hand-computed values.
#include <cmath>

#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

TEST(Elementwise, ReluClampsNegatives) {
  auto out = run_node({"Relu", {Tensor::from_vector<float>({4}, {-2, -0.5f, 0, 3})}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{0, 0, 0, 3}));
}

TEST(Elementwise, LeakyReluUsesAlpha) {
  auto out = run_node({"LeakyRelu", {Tensor::from_vector<float>({2}, {-2, 4})}, {{"alpha", float_attr(0.5f)}}});
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{-1, 4}));
}

TEST(Elementwise, ClipBeforeOpset11UsesAttributes) {
  auto out = run_node({"Clip", {Tensor::from_vector<float>({3}, {-5, 0.5f, 5})},
                       {{"min", float_attr(-1)}, {"max", float_attr(1)}}, 1, 6 + 4});
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{-1, 0.5f, 1}));
}

TEST(Elementwise, ClipFromOpset11UsesInputs) {
  auto out = run_node({"Clip", {Tensor::from_vector<float>({3}, {-5, 0.5f, 5}), Tensor::scalar<float>(0), Tensor()},
                       {}, 1, 13});
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{0, 0.5f, 5}));
}

TEST(Elementwise, RoundHalfToEven) {
  auto out = run_node({"Round", {Tensor::from_vector<float>({4}, {0.5f, 1.5f, 2.5f, -0.5f})}});
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{0, 2, 2, -0.f}));
}

TEST(Elementwise, Float16ComputesThroughFloat) {
  Tensor x = Tensor::allocate(DType::kFloat16, {2}).value();
  x.mutable_data<Float16>()[0] = Float16(-1.0f);
  x.mutable_data<Float16>()[1] = Float16(2.0f);
  auto out = run_node({"Relu", {x}});
  ASSERT_TRUE(out.is_ok());
  ASSERT_EQ((*out)[0].dtype(), DType::kFloat16);
  EXPECT_EQ(static_cast<float>((*out)[0].data<Float16>()[1]), 2.0f);
  EXPECT_EQ(static_cast<float>((*out)[0].data<Float16>()[0]), 0.0f);
}

TEST(Elementwise, UnsupportedDtypeIsAnError) {
  auto out = run_node({"Sqrt", {Tensor::from_vector<int32_t>({1}, {4})}});
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("int32"), std::string::npos);
}

}  // namespace
}  // namespace edgeserve::testing
