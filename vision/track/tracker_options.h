// Options of the ByteTrack-style tracker and their validation (they come from user configs).
#pragma once

#include "common/status.h"

namespace edgeserve::vision {

struct TrackerOptions {
  float high_score = 0.5f;        // first association stage
  float low_score = 0.1f;         // detections below this are ignored
  float new_track_score = 0.6f;   // an unmatched detection above this starts a track
  float match_iou = 0.2f;         // minimum IoU for a first-stage match (ByteTrack's match_thresh 0.8 = 1 - IoU)
  float low_match_iou = 0.5f;     // minimum IoU for the second (low-score) stage
  int lost_buffer_frames = 30;    // frames a lost track may be re-found before it is removed
  int min_hits = 2;               // a track is confirmed after this many matched frames (1 = at once)
  // Memory bounds, so that garbage input (thousands of boxes per frame) cannot grow the tracker
  // or its per-frame work without limit. Live tracks = tracked + lost + unconfirmed; when full,
  // the longest-lost track is evicted to make room (reported in `removed` if confirmed), and if
  // no track is lost, no new track starts. Detections beyond max_detections per frame are
  // dropped lowest score first.
  int max_live_tracks = 1024;
  int max_detections = 1024;
};

// Checks every field; the message names the field, its value and the allowed range.
// Ranges: 0 <= low_score <= high_score <= 1; new_track_score in [0, 1]; match_iou and
// low_match_iou in (0, 1]; lost_buffer_frames in [0, 100000]; min_hits in [1, 1000];
// max_live_tracks and max_detections in [1, 100000].
Status validate(const TrackerOptions& options);

}  // namespace edgeserve::vision
