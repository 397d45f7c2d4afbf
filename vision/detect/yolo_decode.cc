#include "vision/detect/yolo_decode.h"

#include <algorithm>
#include <cmath>

#include "common/strings.h"

namespace edgeserve::vision {

bool parse_yolo_family(std::string_view name, YoloFamily* out) {
  if (name == "yolox") *out = YoloFamily::kYolox;
  else if (name == "yolov5") *out = YoloFamily::kYolov5;
  else if (name == "yolov8") *out = YoloFamily::kYolov8;
  else return false;
  return true;
}

const char* yolo_family_name(YoloFamily family) {
  switch (family) {
    case YoloFamily::kYolox: return "yolox";
    case YoloFamily::kYolov5: return "yolov5";
    case YoloFamily::kYolov8: return "yolov8";
  }
  return "unknown";
}

LetterboxSpec family_letterbox(YoloFamily family, int input_width, int input_height) {
  LetterboxSpec s;
  s.width = input_width;
  s.height = input_height;
  if (family != YoloFamily::kYolox) {
    s.centered = true;
    s.rgb = true;
    s.scale = 1.0f / 255.0f;
  }
  return s;
}

std::vector<Detection> non_max_suppression(std::vector<Detection> candidates, float iou_threshold,
                                           bool class_agnostic, int max_keep) {
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> kept;
  for (const Detection& c : candidates) {
    if (static_cast<int>(kept.size()) >= max_keep) break;
    bool suppressed = false;
    for (const Detection& k : kept) {
      if ((class_agnostic || k.class_id == c.class_id) && iou(k.box, c.box) > iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(c);
  }
  return kept;
}

namespace {

// Best kept class of one candidate, its score multiplied by `objectness`; -1 when none passes.
int best_class(const float* scores, int64_t stride, int num_classes, float objectness, const DecodeOptions& o,
               float* score) {
  int best = -1;
  *score = o.score_threshold;
  auto consider = [&](int c) {
    const float s = objectness * scores[c * stride];
    if (s >= *score) {
      *score = s;
      best = c;
    }
  };
  if (o.classes.empty()) {
    for (int c = 0; c < num_classes; ++c) consider(c);
  } else {
    for (int c : o.classes) {
      if (c >= 0 && c < num_classes) consider(c);
    }
  }
  return best;
}

Box center_box(float cx, float cy, float w, float h) { return {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2}; }

// YOLOX's grid: anchors run over strides 8, 16, 32, each row-major (y, then x).
Status decode_yolox_rows(const float* rows, int64_t anchors, int64_t width, int input_w, int input_h,
                         const DecodeOptions& o, std::vector<Detection>& out) {
  int64_t a = 0;
  for (int stride : {8, 16, 32}) {
    const int gw = input_w / stride, gh = input_h / stride;
    for (int gy = 0; gy < gh; ++gy) {
      for (int gx = 0; gx < gw; ++gx, ++a) {
        if (a >= anchors) return invalid_argument("fewer anchors than the 8/16/32 grid of the input size");
        const float* r = rows + a * width;
        float score = 0;
        const int c = best_class(r + 5, 1, static_cast<int>(width - 5), r[4], o, &score);
        if (c < 0) continue;
        const float w = std::exp(std::min(r[2], 20.0f)) * stride, h = std::exp(std::min(r[3], 20.0f)) * stride;
        out.push_back({center_box((r[0] + gx) * stride, (r[1] + gy) * stride, w, h), score, c});
      }
    }
  }
  if (a != anchors) return invalid_argument(str_cat(anchors, " anchors, but the 8/16/32 grid of a ", input_w, "x",
                                                    input_h, " input has ", a));
  return Status::ok();
}

Status check_rank3(const std::vector<int64_t>& dims, int64_t item) {
  if (dims.size() != 3) return invalid_argument("expected a rank-3 output [batch, ...], got rank " + std::to_string(dims.size()));
  if (item < 0 || item >= dims[0]) return out_of_range("batch item past the output's batch");
  return Status::ok();
}

}  // namespace

Result<std::vector<Detection>> decode_yolo(YoloFamily family, const float* output, const std::vector<int64_t>& dims,
                                           int64_t item, int input_w, int input_h, const LetterboxTransform& transform,
                                           const DecodeOptions& o) {
  EDGE_RETURN_IF_ERROR(check_rank3(dims, item));
  const float* base = output + item * dims[1] * dims[2];
  std::vector<Detection> candidates;
  if (family == YoloFamily::kYolov8) {
    const int64_t channels = dims[1], anchors = dims[2];
    if (channels < 5) return invalid_argument(str_cat("yolov8 output [N, 4 + classes, anchors] has ", channels, " channels"));
    for (int64_t a = 0; a < anchors; ++a) {
      const float* col = base + a;
      float score = 0;
      const int c = best_class(col + 4 * anchors, anchors, static_cast<int>(channels - 4), 1.0f, o, &score);
      if (c >= 0) candidates.push_back({center_box(col[0], col[anchors], col[2 * anchors], col[3 * anchors]), score, c});
    }
  } else {
    const int64_t anchors = dims[1], width = dims[2];
    if (width < 6) return invalid_argument(str_cat(yolo_family_name(family), " output rows have ", width,
                                                   " values; expected 5 + classes"));
    if (family == YoloFamily::kYolox) {
      EDGE_RETURN_IF_ERROR(decode_yolox_rows(base, anchors, width, input_w, input_h, o, candidates));
    } else {
      for (int64_t a = 0; a < anchors; ++a) {
        const float* r = base + a * width;
        float score = 0;
        const int c = best_class(r + 5, 1, static_cast<int>(width - 5), r[4], o, &score);
        if (c >= 0) candidates.push_back({center_box(r[0], r[1], r[2], r[3]), score, c});
      }
    }
  }
  for (Detection& d : candidates) d.box = transform.to_frame(d.box);
  return non_max_suppression(std::move(candidates), o.nms_iou, o.class_agnostic_nms, o.max_detections);
}

}  // namespace edgeserve::vision
