// From a YOLO-family network output to detections in frame pixels: candidate boxes above the
// score threshold for the kept classes, then non-maximum suppression.
//   yolox:  [N, A, 5 + C] rows (tx, ty, tw, th, obj, cls...), box terms raw on a grid of strides
//           8/16/32 (decoded here as YOLOX's demo_postprocess does), obj and cls already sigmoid.
//   yolov5: [N, A, 5 + C] rows (cx, cy, w, h, obj, cls...) in input pixels, scores sigmoid.
//   yolov8: [N, 4 + C, A] columns (cx, cy, w, h, cls...) in input pixels, no objectness.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "vision/base/geometry.h"
#include "vision/detect/letterbox.h"

namespace edgeserve::vision {

enum class YoloFamily { kYolox, kYolov5, kYolov8 };

bool parse_yolo_family(std::string_view name, YoloFamily* out);  // "yolox", "yolov5", "yolov8"
const char* yolo_family_name(YoloFamily family);
// How each family's training pipeline prepared images (see letterbox.h).
LetterboxSpec family_letterbox(YoloFamily family, int input_width, int input_height);

struct DecodeOptions {
  float score_threshold = 0.3f;   // obj * cls (YOLOX, v5) or cls (v8)
  float nms_iou = 0.45f;
  bool class_agnostic_nms = true; // one person is one box even if also scored as another class
  std::vector<int> classes = {0}; // kept class ids (COCO 0 = person); empty keeps all
  int max_detections = 300;       // per frame, after NMS (bounds the tracker's work)
};

// Greedy NMS by descending score; keeps at most `max_keep`.
std::vector<Detection> non_max_suppression(std::vector<Detection> candidates, float iou_threshold,
                                           bool class_agnostic, int max_keep);

// The output of one batch item: `dims` is the output tensor's shape (batch included), `item` the
// index in the batch. Checks the shape against the family's layout and the input size.
Result<std::vector<Detection>> decode_yolo(YoloFamily family, const float* output, const std::vector<int64_t>& dims,
                                           int64_t item, int input_width, int input_height,
                                           const LetterboxTransform& transform, const DecodeOptions& options);

}  // namespace edgeserve::vision
