// ByteTracker + Counter on synthetic walking people rendered as noisy detections, with missed
// frames, short occlusions and low-score frames; the in/out counts must be exact.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "vision/count/counter.h"
#include "vision/track/byte_tracker.h"

namespace edgeserve::vision {
namespace {

struct Walker {
  float x;           // lane (bottom-centre x)
  int start_frame;
  bool down;         // down = from y 100 to 500 = "in" for the line below
  float speed;       // px per frame
  int occluded_from = -1;  // a short occlusion: frames [occluded_from, occluded_from + 3)
  bool low_score_near_line = false;
};

// Ground-truth bottom-centre y of a walker at `frame`, or nothing when off screen.
std::optional<float> walker_y(const Walker& w, int frame) {
  const float travelled = (frame - w.start_frame) * w.speed;
  if (travelled < 0 || travelled > 400) return std::nullopt;
  return w.down ? 100 + travelled : 500 - travelled;
}

struct ScenarioResult {
  CountSnapshot snapshot;
  std::map<int64_t, int> crossings_per_track;
  std::set<int64_t> track_ids;
  size_t live_tracks_at_end = 0;
};

ScenarioResult run_scenario(const std::vector<Walker>& walkers, TrackerOptions tracker_options, int occlusion_frames) {
  const LineSpec line{"entrance", {0, 300}, {640, 300}, 8};
  const ZoneSpec platform{"platform", {{0, 330}, {640, 330}, {640, 450}, {0, 450}}};
  ByteTracker tracker(tracker_options);
  Counter counter("synthetic", SceneSpec{{platform}, {line}});
  std::mt19937 rng(2024);
  std::normal_distribution<float> noise(0, 1.5f);
  std::bernoulli_distribution missed(0.07);
  std::uniform_real_distribution<float> anywhere(0, 640);
  ScenarioResult result;

  for (int frame = 0; frame < 240; ++frame) {
    std::vector<Detection> dets;
    for (const Walker& w : walkers) {
      const std::optional<float> y = walker_y(w, frame);
      if (!y) continue;
      if (w.occluded_from >= 0 && frame >= w.occluded_from && frame < w.occluded_from + occlusion_frames) continue;
      if (missed(rng)) continue;
      float score = 0.85f;
      if (w.low_score_near_line && *y > 270 && *y < 330) score = 0.3f;
      if (frame == 75) score = 0.35f;  // a whole frame of weak detections (motion blur)
      dets.push_back({{w.x - 20 + noise(rng), *y - 100 + noise(rng), w.x + 20 + noise(rng), *y + noise(rng)}, score, 0});
    }
    if (frame % 7 == 0) {  // clutter: low-score boxes that must never become tracks
      const float x = anywhere(rng);
      dets.push_back({{x, 20, x + 30, 80}, 0.2f, 0});
    }
    const TrackerUpdate update = tracker.update(dets);
    for (const Track& t : update.active) result.track_ids.insert(t.id);
    for (const CountEvent& e : counter.update(1700000000.0 + frame * 0.1, update)) {
      if (e.kind == EventKind::kLineCrossing) result.crossings_per_track[e.track_id] += 1;
    }
  }
  result.snapshot = counter.snapshot();
  result.live_tracks_at_end = tracker.live_tracks();
  return result;
}

std::vector<Walker> scenario_walkers() {
  return {
      {60, 0, true, 7},
      {110, 0, true, 7},  // side by side with the first, 50 px apart
      {220, 10, false, 6, /*occluded_from=*/42},  // hidden right at the line (y 248..)
      {300, 20, true, 8.5f, -1, /*low_score_near_line=*/true},
      {380, 30, false, 9},
      {460, 45, true, 6.5f, /*occluded_from=*/70},  // hidden right at the line (y 265..)
      {540, 60, false, 7.5f},
      {600, 80, true, 8},
      {220, 100, true, 7},  // same lane as walker 3, later
      {380, 110, false, 6},
  };
}

void expect_exact_counts(const std::vector<Walker>& walkers, const ScenarioResult& r) {
  int expected_in = 0, expected_out = 0;
  for (const Walker& w : walkers) (w.down ? expected_in : expected_out) += 1;
  EXPECT_EQ(r.snapshot.lines[0].in, expected_in);
  EXPECT_EQ(r.snapshot.lines[0].out, expected_out);
  for (const auto& [id, n] : r.crossings_per_track) EXPECT_EQ(n, 1) << "track " << id;
  EXPECT_EQ(r.snapshot.zones[0].entries, static_cast<int64_t>(walkers.size()));
  EXPECT_EQ(r.snapshot.zones[0].exits, static_cast<int64_t>(walkers.size()));
  EXPECT_EQ(r.snapshot.zones[0].occupancy, 0);
  EXPECT_EQ(r.live_tracks_at_end, 0u) << "everyone left and was removed";
}

TEST(EndToEnd, SyntheticWalkersAreCountedExactlyOnce) {
  const std::vector<Walker> walkers = scenario_walkers();
  const ScenarioResult r = run_scenario(walkers, TrackerOptions{}, /*occlusion_frames=*/3);
  expect_exact_counts(walkers, r);
  EXPECT_EQ(r.track_ids.size(), walkers.size()) << "the tracker bridged every gap";
}

TEST(EndToEnd, IdSwitchesAtTheLineAreCountedOnce) {
  // A tracker that gives up after 2 missed frames and occlusions of 6 frames across the line:
  // the occluded walkers come back under new ids on the far side of the line.
  const std::vector<Walker> walkers = scenario_walkers();
  TrackerOptions options;
  options.lost_buffer_frames = 2;
  const ScenarioResult r = run_scenario(walkers, options, /*occlusion_frames=*/6);
  expect_exact_counts(walkers, r);
  EXPECT_GE(r.track_ids.size(), walkers.size() + 2) << "the scenario must produce ID switches";
}

}  // namespace
}  // namespace edgeserve::vision
