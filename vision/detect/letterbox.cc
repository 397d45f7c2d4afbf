#include "vision/detect/letterbox.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace edgeserve::vision {

Box LetterboxTransform::to_frame(const Box& b) const {
  auto fx = [&](float x) { return std::clamp((x - offset_x) / ratio, 0.0f, static_cast<float>(frame_width)); };
  auto fy = [&](float y) { return std::clamp((y - offset_y) / ratio, 0.0f, static_cast<float>(frame_height)); };
  return {fx(b.x1), fy(b.y1), fx(b.x2), fy(b.y2)};
}

LetterboxTransform letterbox_transform(int frame_width, int frame_height, const LetterboxSpec& spec) {
  LetterboxTransform t;
  t.frame_width = frame_width;
  t.frame_height = frame_height;
  t.ratio = std::min(static_cast<float>(spec.width) / frame_width, static_cast<float>(spec.height) / frame_height);
  if (spec.centered) {
    // Ultralytics rounds the resized size, then splits the padding with -0.1/+0.1 rounding.
    const int new_w = static_cast<int>(std::lround(frame_width * t.ratio));
    const int new_h = static_cast<int>(std::lround(frame_height * t.ratio));
    t.offset_x = static_cast<float>(std::lround((spec.width - new_w) / 2.0 - 0.1));
    t.offset_y = static_cast<float>(std::lround((spec.height - new_h) / 2.0 - 0.1));
  }
  return t;
}

namespace {

// The resized image's size: YOLOX truncates (int(w * r)), Ultralytics rounds.
cv::Size resized_size(const Frame& frame, const LetterboxSpec& spec, float ratio) {
  if (spec.centered) {
    return {static_cast<int>(std::lround(frame.width * ratio)), static_cast<int>(std::lround(frame.height * ratio))};
  }
  return {static_cast<int>(frame.width * ratio), static_cast<int>(frame.height * ratio)};
}

// Packed BGR8 -> planar float channels at `dst` (already holding the padding).
void write_planes(const cv::Mat& bgr, const LetterboxSpec& spec, int x0, int y0, float* dst) {
  const size_t plane = static_cast<size_t>(spec.width) * spec.height;
  for (int y = 0; y < bgr.rows; ++y) {
    const uint8_t* row = bgr.ptr<uint8_t>(y);
    const size_t base = static_cast<size_t>(y0 + y) * spec.width + x0;
    for (int c = 0; c < 3; ++c) {
      const int src_c = spec.rgb ? 2 - c : c;
      float* out = dst + c * plane + base;
      for (int x = 0; x < bgr.cols; ++x) out[x] = row[x * 3 + src_c] * spec.scale;
    }
  }
}

}  // namespace

LetterboxTransform letterbox(const Frame& frame, const LetterboxSpec& spec, float* dst) {
  LetterboxTransform t = letterbox_transform(frame.width, frame.height, spec);
  std::fill(dst, dst + 3 * static_cast<size_t>(spec.width) * spec.height, spec.pad_value * spec.scale);
  const cv::Mat src(frame.height, frame.width, CV_8UC3, const_cast<uint8_t*>(frame.bgr->data()));
  const cv::Size size = resized_size(frame, spec, t.ratio);
  if (size.width <= 0 || size.height <= 0) return t;
  cv::Mat resized;
  cv::resize(src, resized, size, 0, 0, cv::INTER_LINEAR);
  const int x0 = static_cast<int>(t.offset_x), y0 = static_cast<int>(t.offset_y);
  // Clip so a rounding overshoot of the centred path never writes past the canvas.
  const cv::Rect fit(0, 0, std::min(resized.cols, spec.width - x0), std::min(resized.rows, spec.height - y0));
  write_planes(resized(fit), spec, x0, y0, dst);
  return t;
}

}  // namespace edgeserve::vision
