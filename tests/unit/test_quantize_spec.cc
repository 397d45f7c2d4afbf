// `edgeserve quantize --preprocess`: SPEC parsing (presets, fields, errors) and the numbers
// preprocessing makes from a tiny synthetic image written with cv::imwrite.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "apps/edgeserve/calibration_images.h"
#include "apps/edgeserve/preprocess_spec.h"
#include "apps/edgeserve/progress_bar.h"

namespace edgeserve::cli {
namespace {

TEST(QuantizeSpec, EmptySpecIsTheDefault) {
  auto s = parse_preprocess_spec("");
  ASSERT_TRUE(s.is_ok());
  EXPECT_TRUE(s->rgb);
  EXPECT_FALSE(s->nhwc);
  EXPECT_EQ(s->scale, 1.0f);
  EXPECT_EQ(s->resize, ResizeMode::kStretch);
}

TEST(QuantizeSpec, ImagenetPresetThenOverrides) {
  auto s = parse_preprocess_spec("imagenet,nhwc,size=160x128");
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_EQ(s->resize, ResizeMode::kCrop);
  EXPECT_EQ(s->shorter_side, 256);
  EXPECT_FLOAT_EQ(s->scale, 1.0f / 255);
  EXPECT_FLOAT_EQ(s->mean[2], 0.406f);
  EXPECT_FLOAT_EQ(s->std[0], 0.229f);
  EXPECT_TRUE(s->nhwc);
  EXPECT_EQ(s->width, 160);
  EXPECT_EQ(s->height, 128);
}

TEST(QuantizeSpec, YoloxPresetIsBgrLetterboxTopLeft) {
  auto s = parse_preprocess_spec("yolox");
  ASSERT_TRUE(s.is_ok());
  EXPECT_FALSE(s->rgb);
  EXPECT_EQ(s->resize, ResizeMode::kLetterbox);
  EXPECT_FALSE(s->pad_center);
  EXPECT_EQ(s->pad_value, 114.0f);
  EXPECT_EQ(s->scale, 1.0f);
}

TEST(QuantizeSpec, FieldsWithValues) {
  auto s = parse_preprocess_spec("bgr,crop=256,size=224,mean=104:117:123,std=2,scale=1/2,letterbox,pad=0,align=center");
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_EQ(s->width, 224);
  EXPECT_EQ(s->height, 224);
  EXPECT_FLOAT_EQ(s->mean[1], 117);
  EXPECT_FLOAT_EQ(s->std[2], 2);
  EXPECT_FLOAT_EQ(s->scale, 0.5f);
  EXPECT_EQ(s->resize, ResizeMode::kLetterbox);  // the later field wins
  EXPECT_EQ(s->shorter_side, 256);
  EXPECT_TRUE(s->pad_center);
  EXPECT_EQ(s->pad_value, 0.0f);
}

TEST(QuantizeSpec, BadFieldsNameThemselves) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"bgr,sizes=3", "unknown field 'sizes'"}, {"mean=1:2", "'mean=1:2' is malformed"},
      {"std=1:0:1", "'std=1:0:1'"},             {"size=0x3", "'size=0x3'"},
      {"scale=1/0", "'scale=1/0'"},             {"align=middle", "'align=middle'"},
      {"rgb,,nchw", "empty field"},             {"layout=chw", "'layout=chw'"},
      {"crop=-1", "'crop=-1'"},                 {"rgba", "unknown field 'rgba'"}};
  for (const auto& [spec, fragment] : cases) {
    auto s = parse_preprocess_spec(spec);
    ASSERT_FALSE(s.is_ok()) << spec;
    EXPECT_NE(s.status().message().find(fragment), std::string::npos) << spec << ": " << s.status().message();
  }
}

TEST(QuantizeSpec, ResolveTakesTheModelSizeAndRejectsMismatches) {
  TensorInfo in{"x", TensorType{DType::kFloat32, std::vector<Dim>{{1, ""}, {3, ""}, {6, ""}, {8, ""}}}};
  auto s = resolve_spec(PreprocessSpec{}, in);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_EQ(s->width, 8);
  EXPECT_EQ(s->height, 6);
  PreprocessSpec wrong;
  wrong.width = wrong.height = 7;
  EXPECT_FALSE(resolve_spec(wrong, in).is_ok());
  PreprocessSpec nhwc;
  nhwc.nhwc = true;  // channels would be dim 3 (= 8)
  EXPECT_FALSE(resolve_spec(nhwc, in).is_ok());
}

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() / ("edge_quant_" + std::to_string(getpid()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A 4x2 BGR image: pixel (x, y) = (B, G, R) = (10x + y, 100 + y, 200 - x).
cv::Mat synthetic_image() {
  cv::Mat img(2, 4, CV_8UC3);
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 4; ++x) img.at<cv::Vec3b>(y, x) = cv::Vec3b(10 * x + y, 100 + y, 200 - x);
  }
  return img;
}

TEST(QuantizePreprocess, StretchAtTheSameSizeKeepsPixelsExactly) {
  TempDir dir;
  ASSERT_TRUE(cv::imwrite(dir.file("a.png"), synthetic_image()));
  auto spec = parse_preprocess_spec("rgb,size=4x2,scale=1/2,mean=1:2:3,std=1:2:4");
  ASSERT_TRUE(spec.is_ok());
  auto t = load_image_tensor(dir.file("a.png"), *spec);
  ASSERT_TRUE(t.is_ok()) << t.status().message();
  ASSERT_EQ(t->dims(), (Dims{1, 3, 2, 4}));
  const float* v = t->data<float>();
  // Channel 0 is R = 200 - x; (R/2 - 1) / 1 at x = 1, y = 1: index 0*8 + 1*4 + 1.
  EXPECT_FLOAT_EQ(v[5], (199 / 2.0f - 1) / 1);
  EXPECT_FLOAT_EQ(v[8 + 5], (101 / 2.0f - 2) / 2);  // G at (1, 1)
  EXPECT_FLOAT_EQ(v[16 + 7], (31 / 2.0f - 3) / 4);  // B at (3, 1) = 31
}

TEST(QuantizePreprocess, NhwcBgrLayout) {
  const cv::Mat img = synthetic_image();
  auto spec = parse_preprocess_spec("bgr,nhwc,size=4x2");
  ASSERT_TRUE(spec.is_ok());
  auto t = preprocess_bgr(img.ptr<uint8_t>(0), 4, 2, *spec);
  ASSERT_TRUE(t.is_ok());
  ASSERT_EQ(t->dims(), (Dims{1, 2, 4, 3}));
  EXPECT_FLOAT_EQ(t->data<float>()[(1 * 4 + 2) * 3 + 0], 21);   // B at (2, 1)
  EXPECT_FLOAT_EQ(t->data<float>()[(1 * 4 + 2) * 3 + 2], 198);  // R at (2, 1)
}

TEST(QuantizePreprocess, LetterboxPadsTopLeftOrCentred) {
  cv::Mat img(2, 4, CV_8UC3, cv::Scalar(50, 50, 50));  // 4 wide, 2 high into 4x4
  for (const bool centre : {false, true}) {
    auto spec = parse_preprocess_spec(std::string("bgr,letterbox,size=4x4,pad=114") + (centre ? ",align=center" : ""));
    ASSERT_TRUE(spec.is_ok());
    auto t = preprocess_bgr(img.ptr<uint8_t>(0), 4, 2, *spec);
    ASSERT_TRUE(t.is_ok());
    const float* v = t->data<float>();  // channel 0, rows 0..3
    const std::vector<float> rows = centre ? std::vector<float>{114, 50, 50, 114} : std::vector<float>{50, 50, 114, 114};
    for (int y = 0; y < 4; ++y) EXPECT_FLOAT_EQ(v[y * 4], rows[static_cast<size_t>(y)]) << "row " << y << " centre " << centre;
  }
}

TEST(QuantizePreprocess, CropTakesTheCentre) {
  cv::Mat img(2, 6, CV_8UC3);
  for (int x = 0; x < 6; ++x) img.col(x).setTo(cv::Scalar(x * 10, 0, 0));
  auto spec = parse_preprocess_spec("bgr,crop=2,size=2x2");  // shorter side already 2
  ASSERT_TRUE(spec.is_ok());
  auto t = preprocess_bgr(img.ptr<uint8_t>(0), 6, 2, *spec);
  ASSERT_TRUE(t.is_ok());
  EXPECT_FLOAT_EQ(t->data<float>()[0], 20);  // columns 2 and 3 of 0..5
  EXPECT_FLOAT_EQ(t->data<float>()[1], 30);
}

TEST(QuantizePreprocess, UnreadableImageNamesTheFile) {
  TempDir dir;
  std::ofstream(dir.file("bad.jpg")) << "not an image";
  auto t = load_image_tensor(dir.file("bad.jpg"), *parse_preprocess_spec("size=4x4"));
  ASSERT_FALSE(t.is_ok());
  EXPECT_NE(t.status().message().find("bad.jpg"), std::string::npos) << t.status().message();
}

TEST(QuantizeProgress, FormatsCountRateAndEta) {
  EXPECT_EQ(format_progress("cal", 0, 10, 0, 10), "cal [>         ] 0/10");
  EXPECT_EQ(format_progress("cal", 5, 10, 2.5, 10), "cal [=====>    ] 5/10  2.0/s  ETA 2s");
  EXPECT_EQ(format_progress("cal", 10, 10, 5, 10), "cal [==========] 10/10  2.0/s  ETA 0s");
}

}  // namespace
}  // namespace edgeserve::cli
