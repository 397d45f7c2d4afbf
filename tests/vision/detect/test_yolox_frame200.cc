// Preprocessing and detection are exact: vtest.avi frame 200 letterboxed as YOLOX expects
// matches the model's reference input, and the person boxes match OpenCV DNN's reference.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "edgeserve/tensor_io.h"
#include "shared_data.h"
#include "vision/detect/letterbox.h"
#include "vision/detect/yolo_detector.h"

namespace edgeserve::vision {
namespace {

Frame frame_from_png(const std::string& path) {
  cv::Mat img = cv::imread(path, cv::IMREAD_COLOR);
  Frame f;
  f.width = img.cols;
  f.height = img.rows;
  f.bgr = std::make_shared<const std::vector<uint8_t>>(img.data, img.data + img.total() * 3);
  return f;
}

// The person boxes of vtest_frame200_detections.json (yolox-nano, OpenCV DNN), read with a
// minimal scan: every "cls": 0 entry's box_xyxy.
std::vector<Box> reference_person_boxes(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::vector<Box> boxes;
  size_t pos = 0;
  while ((pos = text.find("\"cls\":", pos)) != std::string::npos) {
    const int cls = std::atoi(text.c_str() + pos + 6);
    pos = text.find("[", pos);
    float v[4];
    for (float& x : v) {
      x = std::strtof(text.c_str() + pos + 1, nullptr);
      pos = text.find_first_of(",]", pos + 1);
    }
    if (cls == 0) boxes.push_back({v[0], v[1], v[2], v[3]});
  }
  return boxes;
}

class YoloxFrame200 : public ::testing::Test {
 protected:
  void SetUp() override {
    png_ = testing::shared_path("models/testdata/vtest_frame200.png");
    model_ = testing::shared_path("models/yolox-nano/yolox_nano.onnx");
    input_pb_ = testing::shared_path("models/yolox-nano/test_data_set_0/input_0.pb");
    json_ = testing::shared_path("models/testdata/vtest_frame200_detections.json");
    if (png_.empty() || model_.empty() || input_pb_.empty() || json_.empty()) GTEST_SKIP() << "../shared models absent";
  }
  std::string png_, model_, input_pb_, json_;
};

TEST_F(YoloxFrame200, LetterboxMatchesTheReferenceInputWithinOneGrayLevel) {
  const Frame f = frame_from_png(png_);
  auto ref = read_tensor_file(input_pb_);
  ASSERT_TRUE(ref.is_ok()) << ref.status().to_string();
  ASSERT_EQ(ref->tensor.num_elements(), 3 * 416 * 416);
  std::vector<float> ours(3 * 416 * 416);
  const LetterboxTransform t = letterbox(f, family_letterbox(YoloFamily::kYolox, 416, 416), ours.data());
  EXPECT_FLOAT_EQ(t.ratio, 416.0f / 768.0f);
  float max_diff = 0;
  for (size_t i = 0; i < ours.size(); ++i) max_diff = std::max(max_diff, std::abs(ours[i] - ref->tensor.data<float>()[i]));
  EXPECT_LE(max_diff, 1.0f);
  std::printf("letterbox vs input_0.pb: max |diff| %.3f gray levels\n", max_diff);
}

TEST_F(YoloxFrame200, PersonBoxesMatchTheReferenceAtIou09) {
  YoloDetectorOptions o;
  o.model_path = model_;
  o.max_batch = 2;
  auto detector = make_yolo_detector(o);
  ASSERT_TRUE(detector.is_ok()) << detector.status().to_string();
  const Frame f = frame_from_png(png_);
  // Batch 2 of the same frame: both items must give the reference boxes.
  auto result = (*detector)->detect({&f, &f});
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  const std::vector<Box> expected = reference_person_boxes(json_);
  ASSERT_EQ(expected.size(), 8u);
  for (const auto& dets : *result) {
    ASSERT_EQ(dets.size(), expected.size());
    for (const Box& e : expected) {
      float best = 0;
      for (const Detection& d : dets) best = std::max(best, iou(d.box, e));
      EXPECT_GE(best, 0.9f) << "reference box " << e.x1 << "," << e.y1 << " best IoU " << best;
    }
  }
}

}  // namespace
}  // namespace edgeserve::vision
