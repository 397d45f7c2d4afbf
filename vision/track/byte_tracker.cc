// ByteTracker: the per-frame association cascade; the filter and the solver live in their own
// files.
#include "vision/track/byte_tracker.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "vision/track/assignment.h"

namespace edgeserve::vision {
namespace {

constexpr float kMaxCoordinate = 1e6f;

TrackerOptions clamped(TrackerOptions o) {
  auto clamp01 = [](float v, float fallback) { return std::isfinite(v) ? std::clamp(v, 0.0f, 1.0f) : fallback; };
  o.high_score = clamp01(o.high_score, 0.5f);
  o.low_score = std::min(clamp01(o.low_score, 0.1f), o.high_score);
  o.new_track_score = clamp01(o.new_track_score, 0.6f);
  o.match_iou = std::max(clamp01(o.match_iou, 0.2f), 1e-6f);
  o.low_match_iou = std::max(clamp01(o.low_match_iou, 0.5f), 1e-6f);
  o.lost_buffer_frames = std::clamp(o.lost_buffer_frames, 0, 100000);
  o.min_hits = std::clamp(o.min_hits, 1, 1000);
  o.max_live_tracks = std::clamp(o.max_live_tracks, 1, 100000);
  o.max_detections = std::clamp(o.max_detections, 1, 100000);
  return o;
}

bool usable(const Detection& d) {
  const Box& b = d.box;
  for (float v : {b.x1, b.y1, b.x2, b.y2}) {
    if (!std::isfinite(v) || std::fabs(v) > kMaxCoordinate) return false;
  }
  return std::isfinite(d.score) && b.x2 > b.x1 && b.y2 > b.y1;
}

}  // namespace

ByteTracker::ByteTracker(TrackerOptions options) : options_(clamped(options)) {}

std::vector<Detection> ByteTracker::usable_detections(const std::vector<Detection>& detections) const {
  std::vector<Detection> kept;
  for (const Detection& d : detections) {
    if (usable(d) && d.score >= options_.low_score) kept.push_back(d);
  }
  const size_t cap = static_cast<size_t>(options_.max_detections);
  if (kept.size() > cap) {
    std::stable_sort(kept.begin(), kept.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
    kept.resize(cap);
  }
  return kept;
}

void ByteTracker::apply_match(TrackState& track, const Detection& det) {
  KalmanBoxFilter::update(track.filter, box_to_measurement(det.box));
  track.box = det.box;
  track.score = det.score;
  track.class_id = det.class_id;
  track.hits += 1;
  track.last_frame = frame_;
  track.state = State::kTracked;
  if (track.id == 0 && track.hits >= options_.min_hits) track.id = next_id_++;
}

void ByteTracker::associate(std::vector<size_t>& track_indices, const std::vector<Detection>& dets,
                            std::vector<size_t>& det_indices, float min_iou) {
  if (track_indices.empty() || det_indices.empty()) return;
  Matrix similarity(static_cast<int>(track_indices.size()), static_cast<int>(det_indices.size()));
  for (size_t r = 0; r < track_indices.size(); ++r) {
    const TrackState& t = tracks_[track_indices[r]];
    const Box predicted = state_to_box(t.filter);
    for (size_t c = 0; c < det_indices.size(); ++c) {
      const Detection& d = dets[det_indices[c]];
      similarity.at(static_cast<int>(r), static_cast<int>(c)) = d.class_id == t.class_id ? iou(predicted, d.box) : 0.0;
    }
  }
  std::vector<char> track_matched(track_indices.size(), 0), det_matched(det_indices.size(), 0);
  for (const Match& m : match_max_similarity(similarity, min_iou)) {
    apply_match(tracks_[track_indices[m.row]], dets[det_indices[m.col]]);
    track_matched[m.row] = det_matched[m.col] = 1;
  }
  auto erase_matched = [](std::vector<size_t>& indices, const std::vector<char>& matched) {
    size_t kept = 0;
    for (size_t i = 0; i < indices.size(); ++i) {
      if (!matched[i]) indices[kept++] = indices[i];
    }
    indices.resize(kept);
  };
  erase_matched(track_indices, track_matched);
  erase_matched(det_indices, det_matched);
}

bool ByteTracker::make_room(TrackerUpdate& out) {
  if (tracks_.size() < static_cast<size_t>(options_.max_live_tracks)) return true;
  auto oldest_lost = tracks_.end();
  for (auto it = tracks_.begin(); it != tracks_.end(); ++it) {
    if (it->state == State::kLost && (oldest_lost == tracks_.end() || it->last_frame < oldest_lost->last_frame)) {
      oldest_lost = it;
    }
  }
  if (oldest_lost == tracks_.end()) return false;
  if (oldest_lost->id != 0) out.removed.push_back(oldest_lost->id);
  tracks_.erase(oldest_lost);
  return true;
}

void ByteTracker::start_tracks(const std::vector<Detection>& dets, const std::vector<size_t>& det_indices,
                               TrackerUpdate& out) {
  for (size_t i : det_indices) {
    const Detection& d = dets[i];
    if (d.score < options_.new_track_score) continue;
    if (!make_room(out)) return;
    TrackState t;
    t.filter = KalmanBoxFilter::initiate(box_to_measurement(d.box));
    t.box = d.box;
    t.score = d.score;
    t.class_id = d.class_id;
    t.hits = 1;
    t.last_frame = frame_;
    if (t.hits >= options_.min_hits) t.id = next_id_++;
    tracks_.push_back(t);
  }
}

void ByteTracker::remove_expired(TrackerUpdate& out) {
  auto expired = [&](const TrackState& t) {
    return t.state == State::kLost && frame_ - t.last_frame > options_.lost_buffer_frames;
  };
  for (const TrackState& t : tracks_) {
    if (expired(t) && t.id != 0) out.removed.push_back(t.id);
  }
  tracks_.erase(std::remove_if(tracks_.begin(), tracks_.end(), expired), tracks_.end());
}

TrackerUpdate ByteTracker::update(const std::vector<Detection>& detections) {
  ++frame_;
  TrackerUpdate out;
  const std::vector<Detection> dets = usable_detections(detections);
  std::vector<size_t> high, low;
  for (size_t i = 0; i < dets.size(); ++i) (dets[i].score >= options_.high_score ? high : low).push_back(i);

  std::vector<size_t> confirmed, unconfirmed;
  for (size_t i = 0; i < tracks_.size(); ++i) {
    TrackState& t = tracks_[i];
    // As in ByteTrack, a track that is not being seen keeps its motion but not its growth.
    if (t.state != State::kTracked) t.filter.mean[7] = 0;
    KalmanBoxFilter::predict(t.filter);
    (t.id != 0 ? confirmed : unconfirmed).push_back(i);
  }

  associate(confirmed, dets, high, options_.match_iou);
  std::vector<size_t> still_tracked;
  for (size_t i : confirmed) {
    if (tracks_[i].state == State::kTracked) still_tracked.push_back(i);
  }
  associate(still_tracked, dets, low, options_.low_match_iou);
  for (size_t i : still_tracked) tracks_[i].state = State::kLost;

  associate(unconfirmed, dets, high, options_.match_iou);
  // Candidates that missed a frame are dropped outright: they are the likeliest false positives.
  std::vector<char> drop(tracks_.size(), 0);
  for (size_t i : unconfirmed) drop[i] = 1;
  size_t kept = 0;
  for (size_t i = 0; i < tracks_.size(); ++i) {
    if (!drop[i]) tracks_[kept++] = tracks_[i];
  }
  tracks_.resize(kept);

  remove_expired(out);
  start_tracks(dets, high, out);

  for (const TrackState& t : tracks_) {
    if (t.id != 0 && t.last_frame == frame_) out.active.push_back({t.id, t.box, t.score, t.class_id, t.hits});
  }
  std::sort(out.active.begin(), out.active.end(), [](const Track& a, const Track& b) { return a.id < b.id; });
  std::sort(out.removed.begin(), out.removed.end());
  return out;
}

}  // namespace edgeserve::vision
