// Validation of TrackerOptions: every bad value yields a message naming the field.
#include "vision/track/tracker_options.h"

#include <cmath>
#include <string>

namespace edgeserve::vision {
namespace {

Status check_range(const char* field, double value, double lo, double hi, bool lo_open = false) {
  const bool ok = std::isfinite(value) && (lo_open ? value > lo : value >= lo) && value <= hi;
  if (ok) return Status::ok();
  return invalid_argument(std::string("tracker option ") + field + " = " + std::to_string(value) +
                          " is out of range; expected " + (lo_open ? "(" : "[") + std::to_string(lo) + ", " +
                          std::to_string(hi) + "]");
}

}  // namespace

Status validate(const TrackerOptions& o) {
  EDGE_RETURN_IF_ERROR(check_range("high_score", o.high_score, 0, 1));
  EDGE_RETURN_IF_ERROR(check_range("low_score", o.low_score, 0, 1));
  if (o.low_score > o.high_score) {
    return invalid_argument("tracker option low_score = " + std::to_string(o.low_score) +
                            " must not exceed high_score = " + std::to_string(o.high_score));
  }
  EDGE_RETURN_IF_ERROR(check_range("new_track_score", o.new_track_score, 0, 1));
  EDGE_RETURN_IF_ERROR(check_range("match_iou", o.match_iou, 0, 1, /*lo_open=*/true));
  EDGE_RETURN_IF_ERROR(check_range("low_match_iou", o.low_match_iou, 0, 1, /*lo_open=*/true));
  EDGE_RETURN_IF_ERROR(check_range("lost_buffer_frames", o.lost_buffer_frames, 0, 100000));
  EDGE_RETURN_IF_ERROR(check_range("min_hits", o.min_hits, 1, 1000));
  EDGE_RETURN_IF_ERROR(check_range("max_live_tracks", o.max_live_tracks, 1, 100000));
  EDGE_RETURN_IF_ERROR(check_range("max_detections", o.max_detections, 1, 100000));
  return Status::ok();
}

}  // namespace edgeserve::vision
