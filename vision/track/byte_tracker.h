// ByteTrack-style multi-object tracker (Zhang et al., "ByteTrack: Multi-Object Tracking by
// Associating Every Detection Box", ECCV 2022): a constant-velocity Kalman filter per track and
// association by IoU in two stages by detection score, so that low-score boxes (partly occluded
// people) extend existing tracks instead of being thrown away.
//
// Per frame:
//   1. high-score detections (>= high_score) vs confirmed tracks, tracked and lost, by IoU of the
//      Kalman prediction, optimal assignment, IoU >= match_iou;
//   2. low-score detections ([low_score, high_score)) vs the still unmatched *tracked* tracks,
//      IoU >= low_match_iou; tracked tracks left unmatched become lost;
//   3. unconfirmed tracks vs the remaining high-score detections (IoU >= match_iou); an
//      unconfirmed track that misses a frame is dropped;
//   4. remaining high-score detections with score >= new_track_score start unconfirmed tracks;
//   5. lost tracks not re-found for more than lost_buffer_frames frames are removed: a track
//      missed in up to lost_buffer_frames consecutive frames can be re-found in the next one
//      (same id); in the (lost_buffer_frames + 1)-th missed frame it is removed (`removed`).
// A detection only matches tracks of its own class_id. Differences from the reference code:
// public ids are given on confirmation (so reported ids run 1, 2, 3... without gaps left by
// short-lived candidates), there is no first-frame exception to min_hits, every track's filter is
// predicted each frame, and the tracked/lost duplicate removal step is not done.
//
// Threading: not thread-safe; one tracker per video stream, called from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "vision/base/geometry.h"
#include "vision/track/kalman_filter.h"
#include "vision/track/tracker_options.h"

namespace edgeserve::vision {

struct Track {
  int64_t id = 0;           // 1, 2, 3... per tracker, never reused
  Box box;                  // the matched detection's box this frame (not the Kalman prediction)
  float score = 0;
  int class_id = 0;
  int64_t hits = 0;         // frames matched
};

struct TrackerUpdate {
  std::vector<Track> active;       // confirmed tracks matched in this frame, ascending id
  std::vector<int64_t> removed;    // ids of confirmed tracks dropped this frame (lost too long)
};

class ByteTracker {
 public:
  // `options` should pass validate(); values outside the ranges are clamped into them.
  explicit ByteTracker(TrackerOptions options = {});

  // One call per frame. Detections with non-finite or empty boxes, or non-finite scores, are
  // ignored (they can come from a broken model); so are boxes with a coordinate beyond 1e6 px.
  TrackerUpdate update(const std::vector<Detection>& detections);

  size_t live_tracks() const { return tracks_.size(); }  // tracked + lost (+ unconfirmed)

 private:
  enum class State { kTracked, kLost };
  struct TrackState {
    int64_t id = 0;          // 0 until confirmed
    KalmanState filter;
    Box box;
    float score = 0;
    int class_id = 0;
    int64_t hits = 0;
    int64_t last_frame = 0;  // frame of the last match
    State state = State::kTracked;
  };

  std::vector<Detection> usable_detections(const std::vector<Detection>& detections) const;
  // Matches tracks_[track_indices] against dets[det_indices]; updates matched tracks and erases
  // the matched entries from both index lists.
  void associate(std::vector<size_t>& track_indices, const std::vector<Detection>& dets,
                 std::vector<size_t>& det_indices, float min_iou);
  void apply_match(TrackState& track, const Detection& det);
  void start_tracks(const std::vector<Detection>& dets, const std::vector<size_t>& det_indices,
                    TrackerUpdate& out);
  bool make_room(TrackerUpdate& out);
  void remove_expired(TrackerUpdate& out);

  TrackerOptions options_;
  std::vector<TrackState> tracks_;
  int64_t frame_ = 0;
  int64_t next_id_ = 1;
};

}  // namespace edgeserve::vision
