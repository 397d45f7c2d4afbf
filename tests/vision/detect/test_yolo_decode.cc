// Box decoding for the three YOLO output layouts, NMS, and the letterbox's way back to frame
// pixels, on hand-built outputs whose right answer is known.
#include <gtest/gtest.h>

#include <cmath>

#include "vision/detect/yolo_decode.h"

namespace edgeserve::vision {
namespace {

constexpr int kClasses = 3;

void expect_box(const Box& b, float x1, float y1, float x2, float y2) {
  EXPECT_NEAR(b.x1, x1, 1e-3);
  EXPECT_NEAR(b.y1, y1, 1e-3);
  EXPECT_NEAR(b.x2, x2, 1e-3);
  EXPECT_NEAR(b.y2, y2, 1e-3);
}

TEST(YoloDecode, Yolov5RowsInInputPixelsBackThroughACentredLetterbox) {
  // A 640x320 frame into a 320x320 input: ratio 0.5, 80 px of padding above and below.
  const LetterboxSpec spec = family_letterbox(YoloFamily::kYolov5, 320, 320);
  const LetterboxTransform t = letterbox_transform(640, 320, spec);
  EXPECT_FLOAT_EQ(t.ratio, 0.5f);
  EXPECT_FLOAT_EQ(t.offset_y, 80.0f);
  std::vector<float> out(2 * (5 + kClasses), 0.0f);
  float* r = out.data();
  r[0] = 100; r[1] = 130; r[2] = 20; r[3] = 40; r[4] = 0.9f; r[5] = 0.8f;  // person, 0.72
  float* low = out.data() + 5 + kClasses;
  low[0] = 10; low[1] = 10; low[2] = 5; low[3] = 5; low[4] = 0.5f; low[5] = 0.5f;  // 0.25 < 0.3
  auto dets = decode_yolo(YoloFamily::kYolov5, out.data(), {1, 2, 5 + kClasses}, 0, 320, 320, t, {});
  ASSERT_TRUE(dets.is_ok()) << dets.status().to_string();
  ASSERT_EQ(dets->size(), 1u);
  EXPECT_NEAR((*dets)[0].score, 0.72f, 1e-6);
  expect_box((*dets)[0].box, 180, 60, 220, 140);  // (cx 100, cy 130 - 80) / 0.5
}

TEST(YoloDecode, Yolov8ColumnsWithoutObjectness) {
  const LetterboxTransform t = letterbox_transform(320, 320, family_letterbox(YoloFamily::kYolov8, 320, 320));
  constexpr int kAnchors = 2;
  std::vector<float> out((4 + kClasses) * kAnchors, 0.0f);
  auto at = [&](int channel, int anchor) -> float& { return out[channel * kAnchors + anchor]; };
  at(0, 1) = 50; at(1, 1) = 60; at(2, 1) = 10; at(3, 1) = 20; at(4, 1) = 0.4f;  // person 0.4
  at(0, 0) = 5; at(1, 0) = 5; at(2, 0) = 4; at(3, 0) = 4; at(5, 0) = 0.9f;      // class 1: not kept
  auto dets = decode_yolo(YoloFamily::kYolov8, out.data(), {1, 4 + kClasses, kAnchors}, 0, 320, 320, t, {});
  ASSERT_TRUE(dets.is_ok());
  ASSERT_EQ(dets->size(), 1u);
  expect_box((*dets)[0].box, 45, 50, 55, 70);
  DecodeOptions all;
  all.classes.clear();
  auto both = decode_yolo(YoloFamily::kYolov8, out.data(), {1, 4 + kClasses, kAnchors}, 0, 320, 320, t, all);
  ASSERT_TRUE(both.is_ok());
  EXPECT_EQ(both->size(), 2u);
}

TEST(YoloDecode, YoloxGridCellsAndStrides) {
  // A 64x64 input: 8x8 cells of stride 8, then 4x4 of 16, then 2x2 of 32 = 84 anchors.
  const int anchors = 64 + 16 + 4;
  std::vector<float> out(anchors * (5 + kClasses), 0.0f);
  // Anchor 64 + 5 is the stride-16 cell (x 1, y 1): box centre (1 + 0.5) * 16 = 24.
  float* r = out.data() + (64 + 5) * (5 + kClasses);
  r[0] = 0.5f; r[1] = 0.5f; r[2] = 0; r[3] = std::log(2.0f); r[4] = 1.0f; r[5] = 0.9f;
  const LetterboxTransform t = letterbox_transform(64, 64, family_letterbox(YoloFamily::kYolox, 64, 64));
  auto dets = decode_yolo(YoloFamily::kYolox, out.data(), {1, anchors, 5 + kClasses}, 0, 64, 64, t, {});
  ASSERT_TRUE(dets.is_ok()) << dets.status().to_string();
  ASSERT_EQ(dets->size(), 1u);
  expect_box((*dets)[0].box, 16, 8, 32, 40);  // w = 1 * 16, h = 2 * 16
}

TEST(YoloDecode, ShapesThatDoNotFitTheFamilyAreErrors) {
  std::vector<float> out(100, 0.0f);
  const LetterboxTransform t = letterbox_transform(64, 64, family_letterbox(YoloFamily::kYolox, 64, 64));
  auto wrong_grid = decode_yolo(YoloFamily::kYolox, out.data(), {1, 10, 10}, 0, 64, 64, t, {});
  ASSERT_FALSE(wrong_grid.is_ok());
  EXPECT_NE(wrong_grid.status().message().find("anchors"), std::string::npos);
  EXPECT_FALSE(decode_yolo(YoloFamily::kYolov5, out.data(), {1, 100}, 0, 64, 64, t, {}).is_ok());
  EXPECT_FALSE(decode_yolo(YoloFamily::kYolov5, out.data(), {1, 20, 5}, 0, 64, 64, t, {}).is_ok());
  EXPECT_FALSE(decode_yolo(YoloFamily::kYolov5, out.data(), {1, 10, 10}, 1, 64, 64, t, {}).is_ok());
}

TEST(Nms, SuppressesOverlapsKeepsDistinctAndRespectsClasses) {
  std::vector<Detection> c = {
      {{0, 0, 10, 10}, 0.9f, 0}, {{1, 1, 11, 11}, 0.8f, 0}, {{20, 20, 30, 30}, 0.7f, 0}, {{1, 1, 11, 11}, 0.6f, 2}};
  auto agnostic = non_max_suppression(c, 0.45f, true, 100);
  ASSERT_EQ(agnostic.size(), 2u);
  EXPECT_FLOAT_EQ(agnostic[0].score, 0.9f);
  EXPECT_FLOAT_EQ(agnostic[1].score, 0.7f);
  EXPECT_EQ(non_max_suppression(c, 0.45f, false, 100).size(), 3u);
  EXPECT_EQ(non_max_suppression(c, 0.45f, true, 1).size(), 1u);
}

TEST(Letterbox, TopLeftTransformClipsToTheFrame) {
  const LetterboxTransform t = letterbox_transform(768, 576, family_letterbox(YoloFamily::kYolox, 416, 416));
  const Box b = t.to_frame({-10, 100, 500, 200});
  EXPECT_FLOAT_EQ(b.x1, 0);
  EXPECT_FLOAT_EQ(b.x2, 768);
  EXPECT_NEAR(b.y1, 100 / t.ratio, 1e-3);
}

}  // namespace
}  // namespace edgeserve::vision
