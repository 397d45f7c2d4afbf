// Resize/Upsample: modes, coordinate transforms and validation of scales/sizes.
#include <cmath>
#include <limits>

#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

Tensor image_2x2() { return Tensor::from_vector<float>({1, 1, 2, 2}, {1, 2, 3, 4}); }
Tensor scales(std::vector<float> s) { return Tensor::from_vector<float>({static_cast<int64_t>(s.size())}, s); }

TEST(Resize, NearestUpsampleAsymmetricFloor) {
  auto out = run_node({"Resize", {image_2x2(), Tensor(), scales({1, 1, 1, 2})},
                       {{"coordinate_transformation_mode", string_attr("asymmetric")},
                        {"nearest_mode", string_attr("floor")}}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].dims(), (Dims{1, 1, 2, 4}));
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{1, 1, 2, 2, 3, 3, 4, 4}));
}

TEST(Resize, LinearHalfPixelClampsAtEdges) {
  Tensor x = Tensor::from_vector<float>({2}, {0, 4});
  auto out = run_node({"Resize", {x, Tensor(), scales({2})}, {{"mode", string_attr("linear")}}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{0, 1, 3, 4}));
}

TEST(Resize, SizesAlignCornersLinear) {
  Tensor x = Tensor::from_vector<float>({3}, {0, 10, 20});
  auto out = run_node({"Resize", {x, Tensor(), Tensor(), Tensor::from_vector<int64_t>({1}, {5})},
                       {{"mode", string_attr("linear")}, {"coordinate_transformation_mode", string_attr("align_corners")}}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{0, 5, 10, 15, 20}));
}

TEST(Resize, CubicIdentityScaleKeepsValues) {
  Tensor x = Tensor::from_vector<float>({4}, {1, -2, 7, 3});
  auto out = run_node({"Resize", {x, Tensor(), scales({1})}, {{"mode", string_attr("cubic")}}});
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{1, -2, 7, 3}));
}

TEST(Resize, TfCropAndResizeExtrapolates) {
  Tensor x = Tensor::from_vector<float>({2}, {1, 2});
  Tensor roi = Tensor::from_vector<float>({2}, {0.5f, 1.5f});
  auto out = run_node({"Resize", {x, roi, Tensor(), Tensor::from_vector<int64_t>({1}, {3})},
                       {{"mode", string_attr("linear")},
                        {"coordinate_transformation_mode", string_attr("tf_crop_and_resize")},
                        {"extrapolation_value", float_attr(-9)}}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  // Source positions 0.5, 1.0 and 1.5: the last lies past the input's end.
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{1.5f, 2, -9}));
}

TEST(Resize, Uint8NearestIsExact) {
  Tensor x = Tensor::from_vector<uint8_t>({2}, {7, 250});
  auto out = run_node({"Resize", {x, Tensor(), scales({1.5f})}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<uint8_t>((*out)[0]), (std::vector<uint8_t>{7, 7, 250}));
}

TEST(Resize, BadScalesAndSizesAreErrors) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (float s : {0.0f, -1.0f, nan, 1e30f}) {
    EXPECT_FALSE(run_node({"Resize", {image_2x2(), Tensor(), scales({1, 1, s, 1})}}).is_ok()) << s;
  }
  EXPECT_FALSE(run_node({"Resize", {image_2x2(), Tensor(), scales({2, 2})}}).is_ok());  // wrong length
  EXPECT_FALSE(run_node({"Resize", {image_2x2(), Tensor(), Tensor(),
                                    Tensor::from_vector<int64_t>({4}, {1, 1, -2, 2})}}).is_ok());
  // Both scales and sizes, and neither, are rejected.
  EXPECT_FALSE(run_node({"Resize", {image_2x2(), Tensor(), scales({1, 1, 1, 1}),
                                    Tensor::from_vector<int64_t>({4}, {1, 1, 2, 2})}}).is_ok());
  EXPECT_FALSE(run_node({"Resize", {image_2x2()}}).is_ok());
}

TEST(Resize, HugeOutputIsRefused) {
  auto out = run_node({"Resize", {image_2x2(), Tensor(), scales({1, 1, 1e6f, 1e6f})}});
  ASSERT_FALSE(out.is_ok());
}

TEST(Resize, UnknownModeIsAnError) {
  EXPECT_FALSE(run_node({"Resize", {image_2x2(), Tensor(), scales({1, 1, 1, 1})}, {{"mode", string_attr("area")}}}).is_ok());
}

TEST(Upsample, Opset7ScalesAttribute) {
  auto out = run_node({"Upsample", {image_2x2()}, {{"scales", floats_attr({1, 1, 2, 1})}}, 1, 7});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{1, 2, 1, 2, 3, 4, 3, 4}));
}

TEST(Upsample, Opset9LinearScalesInput) {
  Tensor x = Tensor::from_vector<float>({2}, {0, 4});
  auto out = run_node({"Upsample", {x, scales({2})}, {{"mode", string_attr("linear")}}, 1, 9});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{0, 2, 4, 4}));
}

}  // namespace
}  // namespace edgeserve::testing
