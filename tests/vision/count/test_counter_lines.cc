// Counter line counting: directions, jitter, occlusion, people side by side, ID switches.
#include <gtest/gtest.h>

#include "count_test_util.h"
#include "vision/count/counter.h"

namespace edgeserve::vision {
namespace {

using testing::count_kind;
using testing::door_line;
using testing::frame;
using testing::track_at;

struct Fixture {
  Counter counter{"cam1", SceneSpec{{}, {door_line()}}};
  double t = 1000;
  std::vector<CountEvent> events;

  void step(std::vector<Track> active, std::vector<int64_t> removed = {}) {
    const std::vector<CountEvent> e = counter.update(t, frame(std::move(active), std::move(removed)));
    events.insert(events.end(), e.begin(), e.end());
    t += 0.1;
  }
  // Walks track `id` at x from y0 to y1 in steps of `step_px`.
  void walk(int64_t id, float x, float y0, float y1, float step_px = 5) {
    const float dir = y1 > y0 ? 1.0f : -1.0f;
    for (float y = y0; dir * (y1 - y) >= 0; y += dir * step_px) step({track_at(id, x, y)});
  }
  LineCounts door() const { return counter.snapshot().lines.at(0); }
};

TEST(CounterLines, CrossingsInBothDirectionsWithFullEvents) {
  Fixture f;
  f.walk(1, 100, 50, 150);
  ASSERT_EQ(f.events.size(), 1u);
  const CountEvent& e = f.events[0];
  EXPECT_EQ(e.kind, EventKind::kLineCrossing);
  EXPECT_EQ(e.source, "cam1");
  EXPECT_EQ(e.name, "door");
  EXPECT_EQ(e.track_id, 1);
  EXPECT_EQ(e.direction, "in");
  EXPECT_EQ(e.entries, 1);
  EXPECT_EQ(e.exits, 0);
  EXPECT_NEAR(e.timestamp, 1000 + 0.1 * 12, 1e-6) << "counted at y = 110, the first point beyond the band";
  f.walk(1, 100, 150, 50);
  ASSERT_EQ(f.events.size(), 2u);
  EXPECT_EQ(f.events[1].direction, "out");
  EXPECT_EQ(f.events[1].entries, 1);
  EXPECT_EQ(f.events[1].exits, 1);
  EXPECT_EQ(f.door().in, 1);
  EXPECT_EQ(f.door().out, 1);
}

TEST(CounterLines, JitterInsideTheBandCountsOnce) {
  Fixture f;
  f.walk(1, 100, 50, 95);
  for (int i = 0; i < 40; ++i) f.step({track_at(1, 100, i % 2 ? 94.0f : 106.0f)});
  f.walk(1, 100, 100, 160);
  EXPECT_EQ(f.door().in, 1);
  EXPECT_EQ(f.door().out, 0);
}

TEST(CounterLines, JitterAcrossTheExactLineCountsOnce) {
  Fixture f;
  f.walk(1, 100, 40, 98);
  for (int i = 0; i < 40; ++i) f.step({track_at(1, 100 + (i % 3), i % 2 ? 98.5f : 101.5f)});
  f.walk(1, 100, 102, 170);
  // Lingering inside the band on the far side and walking on does not count again.
  for (int i = 0; i < 10; ++i) f.step({track_at(1, 100, 104)});
  f.walk(1, 100, 104, 180);
  EXPECT_EQ(f.door().in, 1);
  EXPECT_EQ(f.door().out, 0);
}

TEST(CounterLines, OcclusionGapThenANewIdContinues) {
  Fixture f;
  f.walk(1, 100, 20, 60);              // established on the left, then occluded
  for (int i = 0; i < 30; ++i) f.step({});  // 3 s unseen: beyond id_switch_seconds
  f.step({}, {1});                     // the tracker gives up
  f.walk(2, 100, 70, 160);             // a new id continues the walk
  EXPECT_EQ(f.door().in, 1);
  // And one occluded after crossing does not count again with its new id.
  f.walk(3, 50, 40, 150);
  for (int i = 0; i < 30; ++i) f.step({});
  f.step({}, {3});
  f.walk(4, 50, 160, 200);
  EXPECT_EQ(f.door().in, 2);
  EXPECT_EQ(f.door().out, 0);
}

TEST(CounterLines, TwoPeopleSideBySideBothCount) {
  Fixture f;
  for (float y = 50; y <= 150; y += 5) f.step({track_at(1, 90, y), track_at(2, 120, y + 2)});
  EXPECT_EQ(f.door().in, 2);
  EXPECT_EQ(count_kind(f.events, EventKind::kLineCrossing), 2);
}

TEST(CounterLines, IdSwitchAfterCountingDoesNotCountAgain) {
  Fixture f;
  f.walk(1, 100, 50, 112);                // counted "in" at y = 110
  ASSERT_EQ(f.door().in, 1);
  f.walk(7, 102, 104, 99, 1);             // new id right at the line, drifting back a little
  f.walk(7, 102, 100, 160);
  f.step({}, {1});                        // the old id is removed later: nothing happens
  EXPECT_EQ(f.door().in, 1);
  EXPECT_EQ(f.door().out, 0);
}

TEST(CounterLines, IdSwitchInsideTheBandCountsTheCrossingOnce) {
  Fixture f;
  f.walk(1, 100, 50, 100);  // established left, lost on the line
  f.walk(2, 100, 102, 160);  // born inside the band: on its own it would never count
  EXPECT_EQ(f.door().in, 1);
}

TEST(CounterLines, IdSwitchAcrossTheLineCountsOnce) {
  Fixture f;
  f.walk(1, 100, 50, 96);
  f.walk(2, 100, 120, 160);  // reappears beyond the band: the step from 96 to 120 crosses
  EXPECT_EQ(f.door().in, 1);
}

TEST(CounterLines, AVanishedTrackIsTakenOverOnlyOnce) {
  Fixture f;
  f.walk(1, 100, 50, 100);
  // Two new ids appear near it in the same frame: one takes over (and counts), the other is
  // fresh and, born inside the band, establishes its side without counting.
  for (float y = 102; y <= 160; y += 5) f.step({track_at(2, 100, y), track_at(3, 130, y)});
  EXPECT_EQ(f.door().in, 1);
}

TEST(CounterLines, NoTakeOverWhenTooFarOrTooLate) {
  Fixture f;
  f.walk(1, 100, 50, 100);
  f.walk(2, 170, 102, 160);  // 70 px away > id_switch_distance 50
  EXPECT_EQ(f.door().in, 0);
  Fixture g;
  g.walk(1, 100, 50, 100);
  for (int i = 0; i < 25; ++i) g.step({});  // 2.5 s > id_switch_seconds 2
  g.walk(2, 100, 102, 160);
  EXPECT_EQ(g.door().in, 0);
}

TEST(CounterLines, TakeOverFollowsTheVanishedTracksMotion) {
  Fixture f;
  f.walk(1, 100, 46, 96);                   // 50 px/s down, lost just before the line
  for (int i = 0; i < 14; ++i) f.step({});  // 1.5 s later it would be at y = 171
  f.walk(2, 100, 171, 200);                 // 75 px from where it was last seen
  EXPECT_EQ(f.door().in, 1);
  // Walking right along the line instead, it would be at (175, 80): a new id at (100, 155) is
  // 75 px from its last position and 106 px from its extrapolation, so a stranger.
  Fixture g;
  for (float x = 50; x <= 100; x += 5) g.step({track_at(1, x, 80)});
  for (int i = 0; i < 14; ++i) g.step({});
  g.walk(2, 100, 155, 200);
  EXPECT_EQ(g.door().in, 0);
}

TEST(CounterLines, RemovedTrackIsStillTakenOverWithinTheWindow) {
  Fixture f;
  f.walk(1, 100, 50, 100);
  f.step({}, {1});  // a short tracker buffer removed it already
  f.walk(2, 100, 104, 160);
  EXPECT_EQ(f.door().in, 1);
}

TEST(CounterLines, PassingBeyondTheSegmentEndDoesNotCount) {
  Fixture f;
  f.walk(1, 260, 50, 150);
  f.walk(2, -40, 150, 50);
  EXPECT_EQ(f.door().in, 0);
  EXPECT_EQ(f.door().out, 0);
}

}  // namespace
}  // namespace edgeserve::vision
