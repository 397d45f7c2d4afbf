// Preprocessing as each detector family was trained: scale the frame to fit the network input
// keeping its aspect ratio, pad the rest with a constant, write planar NCHW floats.
//   YOLOX (>= 0.1.1): BGR, raw 0..255, image at the top-left, pad 114.
//   Ultralytics YOLOv5 / YOLOv8 exports: RGB, 0..1, image centred, pad 114 (114/255 after scaling).
#pragma once

#include "vision/base/frame.h"
#include "vision/base/geometry.h"

namespace edgeserve::vision {

struct LetterboxSpec {
  int width = 416;          // network input size
  int height = 416;
  bool centered = false;    // false: image at (0, 0); true: padding split evenly (Ultralytics)
  bool rgb = false;         // channel order written: false BGR, true RGB
  float pad_value = 114;    // in 0..255 pixel units, before `scale`
  float scale = 1.0f;       // multiplies every written value (1/255 for Ultralytics)
};

// How a letterboxed input maps back to the frame: input = frame * ratio + offset.
struct LetterboxTransform {
  float ratio = 1;
  float offset_x = 0;
  float offset_y = 0;
  int frame_width = 0;
  int frame_height = 0;
  // An input-pixel box in frame pixels, clipped to the frame.
  Box to_frame(const Box& input_box) const;
};

// The transform for a frame of this size (no pixels touched).
LetterboxTransform letterbox_transform(int frame_width, int frame_height, const LetterboxSpec& spec);

// Writes 3 * spec.height * spec.width floats (C, H, W) at `dst`. The resize is OpenCV's
// bilinear (cv::INTER_LINEAR), what the YOLOX and Ultralytics pipelines use, so inputs match
// theirs to within rounding.
LetterboxTransform letterbox(const Frame& frame, const LetterboxSpec& spec, float* dst);

}  // namespace edgeserve::vision
