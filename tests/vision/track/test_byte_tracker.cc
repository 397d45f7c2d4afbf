// ByteTracker behaviour on synthetic detections with known ground truth.
#include "vision/track/byte_tracker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace edgeserve::vision {
namespace {

Detection person_at(float x, float y, float score = 0.9f) {
  return {{x - 20, y - 50, x + 20, y + 50}, score, 0};
}

TEST(ByteTracker, KeepsOneIdForASteadilyMovingBox) {
  ByteTracker tracker;
  for (int f = 0; f < 60; ++f) {
    const TrackerUpdate u = tracker.update({person_at(100 + 4.0f * f, 200 + 1.0f * f)});
    if (f == 0) {
      EXPECT_TRUE(u.active.empty()) << "min_hits = 2: not confirmed on the first frame";
      continue;
    }
    ASSERT_EQ(u.active.size(), 1u) << "frame " << f;
    EXPECT_EQ(u.active[0].id, 1);
    EXPECT_EQ(u.active[0].hits, f + 1);
    EXPECT_FLOAT_EQ(u.active[0].box.x1, 100 + 4.0f * f - 20) << "box is the detection's, not the prediction";
    EXPECT_TRUE(u.removed.empty());
  }
  EXPECT_EQ(tracker.live_tracks(), 1u);
}

TEST(ByteTracker, MinHitsOneConfirmsAtOnce) {
  TrackerOptions options;
  options.min_hits = 1;
  ByteTracker tracker(options);
  const TrackerUpdate u = tracker.update({person_at(100, 100)});
  ASSERT_EQ(u.active.size(), 1u);
  EXPECT_EQ(u.active[0].id, 1);
}

// Runs `visible` frames, a gap of `gap` empty frames, then more visible frames; the object keeps
// moving during the gap. Returns the ids seen after the gap and all removed ids.
struct GapResult {
  int64_t id_before = 0;
  int64_t id_after = 0;
  std::vector<int64_t> removed;
};

GapResult run_with_gap(int gap, int lost_buffer_frames) {
  TrackerOptions options;
  options.lost_buffer_frames = lost_buffer_frames;
  ByteTracker tracker(options);
  GapResult result;
  int f = 0;
  auto step = [&](bool visible) {
    std::vector<Detection> dets;
    if (visible) dets.push_back(person_at(100 + 3.0f * f, 300));
    const TrackerUpdate u = tracker.update(dets);
    result.removed.insert(result.removed.end(), u.removed.begin(), u.removed.end());
    ++f;
    return u;
  };
  for (int i = 0; i < 10; ++i) {
    const TrackerUpdate u = step(true);
    if (!u.active.empty()) result.id_before = u.active[0].id;
  }
  for (int i = 0; i < gap; ++i) EXPECT_TRUE(step(false).active.empty());
  for (int i = 0; i < 3; ++i) {
    const TrackerUpdate u = step(true);
    if (!u.active.empty() && result.id_after == 0) result.id_after = u.active[0].id;
  }
  return result;
}

TEST(ByteTracker, RefindsAnOccludedObjectWithinTheBuffer) {
  const GapResult r = run_with_gap(/*gap=*/20, /*lost_buffer_frames=*/30);
  EXPECT_EQ(r.id_before, 1);
  EXPECT_EQ(r.id_after, 1);
  EXPECT_TRUE(r.removed.empty());
}

TEST(ByteTracker, GivesANewIdAfterTheBufferAndReportsTheRemoval) {
  const GapResult r = run_with_gap(/*gap=*/40, /*lost_buffer_frames=*/30);
  EXPECT_EQ(r.id_before, 1);
  EXPECT_EQ(r.id_after, 2);
  EXPECT_EQ(r.removed, (std::vector<int64_t>{1}));
}

TEST(ByteTracker, BufferBoundaryIsExact) {
  // As in ByteTrack: up to lost_buffer_frames missed frames are bridged; one more removes it.
  EXPECT_EQ(run_with_gap(/*gap=*/5, /*lost_buffer_frames=*/5).id_after, 1);
  const GapResult r = run_with_gap(/*gap=*/6, /*lost_buffer_frames=*/5);
  EXPECT_EQ(r.id_after, 2);
  EXPECT_EQ(r.removed, (std::vector<int64_t>{1}));
}

TEST(ByteTracker, TwoCrossingObjectsKeepTheirIds) {
  ByteTracker tracker;
  int64_t id_a = 0, id_b = 0;
  for (int f = 0; f < 80; ++f) {
    const float xa = 100 + 5.0f * f;  // left to right
    const float xb = 500 - 5.0f * f;  // right to left, overlapping A around frame 40
    const TrackerUpdate u = tracker.update({person_at(xa, 300), person_at(xb, 310)});
    if (f == 0) continue;
    ASSERT_EQ(u.active.size(), 2u) << "frame " << f;
    for (const Track& t : u.active) {
      const bool is_a = std::fabs(t.box.center().x - xa) < 1e-3f && std::fabs(t.box.center().y - 300) < 1e-3f;
      int64_t& expected = is_a ? id_a : id_b;
      if (expected == 0) expected = t.id;
      EXPECT_EQ(t.id, expected) << "frame " << f << (is_a ? " object A" : " object B");
    }
  }
  EXPECT_NE(id_a, id_b);
  EXPECT_EQ(tracker.live_tracks(), 2u);
}

TEST(ByteTracker, LowScoreDetectionsExtendTracksButNeverStartOne) {
  ByteTracker tracker;
  for (int f = 0; f < 5; ++f) tracker.update({person_at(100 + 2.0f * f, 100)});
  // Partly occluded: scores between low_score and high_score; the track continues.
  for (int f = 5; f < 15; ++f) {
    const TrackerUpdate u = tracker.update({person_at(100 + 2.0f * f, 100, 0.3f), person_at(600, 400, 0.3f)});
    ASSERT_EQ(u.active.size(), 1u) << "frame " << f;
    EXPECT_EQ(u.active[0].id, 1);
    EXPECT_FLOAT_EQ(u.active[0].score, 0.3f);
  }
  EXPECT_EQ(tracker.live_tracks(), 1u) << "the lone low-score box at (600, 400) started nothing";

  ByteTracker fresh;
  for (int f = 0; f < 20; ++f) {
    EXPECT_TRUE(fresh.update({person_at(300, 300, 0.4f)}).active.empty());
    // Above high_score but below new_track_score: may match, never starts.
    EXPECT_TRUE(fresh.update({person_at(300, 300, 0.55f)}).active.empty());
    EXPECT_TRUE(fresh.update({person_at(300, 300, 0.05f)}).active.empty());  // below low_score
  }
  EXPECT_EQ(fresh.live_tracks(), 0u);
}

TEST(ByteTracker, LowScoreStageRequiresItsOwnIou) {
  ByteTracker tracker;
  for (int f = 0; f < 5; ++f) tracker.update({person_at(100, 100)});
  // IoU of this low-score box with the track is about 0.33: enough for stage 1 (0.2), not for
  // the low-score stage (0.5).
  const TrackerUpdate u = tracker.update({person_at(120, 100, 0.3f)});
  EXPECT_TRUE(u.active.empty());
  EXPECT_EQ(tracker.live_tracks(), 1u) << "lost, still in the buffer";
}

TEST(ByteTracker, ClassesNeverMatchEachOther) {
  ByteTracker tracker;
  Detection car = person_at(100, 100);
  car.class_id = 2;
  tracker.update({person_at(100, 100)});
  tracker.update({person_at(100, 100)});
  const TrackerUpdate u = tracker.update({car});
  EXPECT_TRUE(u.active.empty()) << "the person track must not take the car box";
  const TrackerUpdate v = tracker.update({car});
  ASSERT_EQ(v.active.size(), 1u);
  EXPECT_EQ(v.active[0].id, 2);
  EXPECT_EQ(v.active[0].class_id, 2);
}

TEST(ByteTracker, IgnoresGarbageDetections) {
  ByteTracker tracker;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  for (int f = 0; f < 5; ++f) {
    const TrackerUpdate u = tracker.update({{{nan, 0, 10, 10}, 0.9f, 0},
                                            {{0, 0, inf, 10}, 0.9f, 0},
                                            {{10, 10, 5, 20}, 0.9f, 0},   // x2 < x1
                                            {{0, 0, 10, 10}, nan, 0},
                                            {{0, 0, 2e7f, 10}, 0.9f, 0}});
    EXPECT_TRUE(u.active.empty());
  }
  EXPECT_EQ(tracker.live_tracks(), 0u);
}

TEST(ByteTracker, LiveTracksStayBoundedUnderRandomBoxes) {
  ByteTracker tracker;  // default max_live_tracks = 1024
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> pos(0, 1920), size(10, 150), score(0, 1);
  size_t max_live = 0;
  for (int f = 0; f < 8; ++f) {
    std::vector<Detection> dets(10000);
    for (Detection& d : dets) {
      const float x = pos(rng), y = pos(rng) * 0.5625f, w = size(rng), h = size(rng);
      d = {{x, y, x + w, y + h}, score(rng), 0};
    }
    const TrackerUpdate u = tracker.update(dets);
    EXPECT_LE(tracker.live_tracks(), 1024u) << "frame " << f;
    max_live = std::max(max_live, tracker.live_tracks());
    for (size_t i = 1; i < u.active.size(); ++i) EXPECT_LT(u.active[i - 1].id, u.active[i].id);
  }
  EXPECT_EQ(max_live, 1024u) << "the bound was reached, so it was exercised";
}

TEST(ByteTracker, EvictsTheLongestLostTrackWhenFull) {
  TrackerOptions options;
  options.max_live_tracks = 2;
  options.min_hits = 1;
  ByteTracker tracker(options);
  tracker.update({person_at(100, 100), person_at(400, 100)});  // ids 1, 2
  tracker.update({person_at(400, 100)});                       // 1 lost
  const TrackerUpdate u = tracker.update({person_at(400, 100), person_at(700, 100)});
  EXPECT_EQ(u.removed, (std::vector<int64_t>{1}));
  ASSERT_EQ(u.active.size(), 2u);
  EXPECT_EQ(u.active[1].id, 3);
  EXPECT_EQ(tracker.live_tracks(), 2u);
  // Full with tracked tracks only: a new object must wait.
  const TrackerUpdate v = tracker.update({person_at(400, 100), person_at(700, 100), person_at(1000, 100)});
  EXPECT_EQ(v.active.size(), 2u);
  EXPECT_EQ(tracker.live_tracks(), 2u);
}

TEST(ByteTracker, ValidateNamesTheBadField) {
  EXPECT_TRUE(validate(TrackerOptions{}).is_ok());
  TrackerOptions o;
  o.match_iou = 0;
  Status s = validate(o);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("match_iou"), std::string::npos) << s.message();
  o = {};
  o.low_score = 0.7f;
  s = validate(o);
  EXPECT_NE(s.message().find("low_score"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("high_score"), std::string::npos) << s.message();
  o = {};
  o.min_hits = 0;
  s = validate(o);
  EXPECT_NE(s.message().find("min_hits"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("[1"), std::string::npos) << s.message();
  o = {};
  o.high_score = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(validate(o).message().find("high_score"), std::string::npos);
  o = {};
  o.lost_buffer_frames = -1;
  EXPECT_NE(validate(o).message().find("lost_buffer_frames"), std::string::npos);
}

}  // namespace
}  // namespace edgeserve::vision
