// Counter zones: entries, exits, occupancy, dwell, removal, ID switch inside a zone, set_scene.
#include <gtest/gtest.h>

#include "count_test_util.h"
#include "vision/count/counter.h"

namespace edgeserve::vision {
namespace {

using testing::count_kind;
using testing::door_line;
using testing::frame;
using testing::track_at;

// 200 x 200 square from (0, 200) to (200, 400).
ZoneSpec lobby() { return {"lobby", {{0, 200}, {200, 200}, {200, 400}, {0, 400}}}; }

TEST(CounterZones, EntryExitOccupancyAndDwell) {
  Counter counter("cam2", SceneSpec{{lobby()}, {}});
  EXPECT_TRUE(counter.update(10, frame({track_at(1, 100, 150)})).empty());
  std::vector<CountEvent> e = counter.update(11, frame({track_at(1, 100, 250)}));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].kind, EventKind::kZoneEntry);
  EXPECT_EQ(e[0].source, "cam2");
  EXPECT_EQ(e[0].name, "lobby");
  EXPECT_EQ(e[0].track_id, 1);
  EXPECT_EQ(e[0].occupancy, 1);
  EXPECT_EQ(e[0].entries, 1);
  EXPECT_EQ(e[1].kind, EventKind::kOccupancy) << "occupancy comes after the entries of the frame";
  EXPECT_EQ(e[1].track_id, -1);
  EXPECT_EQ(e[1].occupancy, 1);
  EXPECT_DOUBLE_EQ(e[1].timestamp, 11);

  e = counter.update(12, frame({track_at(1, 100, 300), track_at(2, 150, 350)}));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].track_id, 2);
  EXPECT_EQ(e[1].occupancy, 2);

  // Both leave in one frame: two exits, one occupancy event.
  e = counter.update(16.5, frame({track_at(1, 100, 450), track_at(2, 250, 350)}));
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].kind, EventKind::kZoneExit);
  EXPECT_EQ(e[0].track_id, 1);
  EXPECT_DOUBLE_EQ(e[0].dwell_seconds, 5.5);
  EXPECT_EQ(e[0].occupancy, 1);
  EXPECT_EQ(e[1].track_id, 2);
  EXPECT_DOUBLE_EQ(e[1].dwell_seconds, 4.5);
  EXPECT_EQ(e[1].exits, 2);
  EXPECT_EQ(e[2].kind, EventKind::kOccupancy);
  EXPECT_EQ(e[2].occupancy, 0);
  const ZoneCounts z = counter.snapshot().zones.at(0);
  EXPECT_EQ(z.name, "lobby");
  EXPECT_EQ(z.occupancy, 0);
  EXPECT_EQ(z.entries, 2);
  EXPECT_EQ(z.exits, 2);
}

TEST(CounterZones, NetZeroFrameEmitsNoOccupancyEvent) {
  Counter counter("c", SceneSpec{{lobby()}, {}});
  counter.update(1, frame({track_at(1, 100, 300)}));
  const auto e = counter.update(2, frame({track_at(1, 100, 450), track_at(2, 10, 210)}));
  EXPECT_EQ(count_kind(e, EventKind::kZoneEntry), 1);
  EXPECT_EQ(count_kind(e, EventKind::kZoneExit), 1);
  EXPECT_EQ(count_kind(e, EventKind::kOccupancy), 0);
}

TEST(CounterZones, RemovedInsideExitsWithDwellUntilLastSeen) {
  Counter counter("c", SceneSpec{{lobby()}, {}});
  counter.update(1, frame({track_at(1, 100, 300)}));
  counter.update(3, frame({track_at(1, 100, 310)}));
  EXPECT_TRUE(counter.update(4, frame({})).empty()) << "lost, not yet removed: still inside";
  EXPECT_EQ(counter.snapshot().zones[0].occupancy, 1);
  const auto e = counter.update(6, frame({}, {1}));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].kind, EventKind::kZoneExit);
  EXPECT_DOUBLE_EQ(e[0].dwell_seconds, 2.0);
  EXPECT_DOUBLE_EQ(e[0].timestamp, 6);
  EXPECT_EQ(e[1].kind, EventKind::kOccupancy);
  EXPECT_EQ(e[1].occupancy, 0);
}

TEST(CounterZones, IdSwitchInsideAZoneIsNotAnExitAndEntry) {
  Counter counter("c", SceneSpec{{lobby()}, {}});
  counter.update(1, frame({track_at(1, 100, 300)}));
  auto e = counter.update(2, frame({track_at(2, 105, 305)}));  // id 1 vanished, 2 appears beside
  EXPECT_TRUE(e.empty());
  e = counter.update(3, frame({track_at(2, 110, 310)}, {1}));  // the old id's removal: silent
  EXPECT_TRUE(e.empty());
  EXPECT_EQ(counter.snapshot().zones[0].occupancy, 1);
  e = counter.update(5, frame({track_at(2, 110, 450)}));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].kind, EventKind::kZoneExit);
  EXPECT_EQ(e[0].track_id, 2);
  EXPECT_DOUBLE_EQ(e[0].dwell_seconds, 4.0) << "dwell runs from the first id's entry";
  const ZoneCounts z = counter.snapshot().zones[0];
  EXPECT_EQ(z.entries, 1);
  EXPECT_EQ(z.exits, 1);
}

TEST(CounterZones, ForgetsTracksThatAreNeverRemoved) {
  CounterOptions options;
  options.forget_track_seconds = 10;
  Counter counter("c", SceneSpec{{lobby()}, {}}, options);
  counter.update(1, frame({track_at(1, 100, 300)}));
  EXPECT_TRUE(counter.update(10, frame({})).empty());
  const auto e = counter.update(12, frame({}));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].kind, EventKind::kZoneExit);
  EXPECT_EQ(counter.snapshot().zones[0].occupancy, 0);
}

TEST(CounterZones, SetSceneKeepsCountsByName) {
  Counter counter("c", SceneSpec{{lobby()}, {door_line()}});
  for (float y = 50; y <= 300; y += 10) counter.update(y, frame({track_at(1, 100, y)}));
  ASSERT_EQ(counter.snapshot().lines[0].in, 1);
  ASSERT_EQ(counter.snapshot().zones[0].entries, 1);

  LineSpec gate{"gate", {0, 500}, {200, 500}, 8};
  counter.set_scene(SceneSpec{{lobby()}, {gate, door_line()}});
  CountSnapshot s = counter.snapshot();
  ASSERT_EQ(s.lines.size(), 2u);
  EXPECT_EQ(s.lines[0].name, "gate");
  EXPECT_EQ(s.lines[0].in, 0);
  EXPECT_EQ(s.lines[1].name, "door");
  EXPECT_EQ(s.lines[1].in, 1);
  EXPECT_EQ(s.zones[0].occupancy, 1);
  // The same track keeps its sides: walking on crosses the new gate only.
  for (float y = 310; y <= 560; y += 10) counter.update(y, frame({track_at(1, 100, y)}));
  s = counter.snapshot();
  EXPECT_EQ(s.lines[0].in, 1);
  EXPECT_EQ(s.lines[1].in, 1);

  counter.set_scene(SceneSpec{{}, {gate}});
  s = counter.snapshot();
  EXPECT_TRUE(s.zones.empty());
  ASSERT_EQ(s.lines.size(), 1u);
  EXPECT_EQ(s.lines[0].in, 1);
}

TEST(CounterZones, SetSceneRecomputesOccupancyOfAMovedZoneSilently) {
  Counter counter("c", SceneSpec{{lobby()}, {}});
  counter.update(1, frame({track_at(1, 100, 300), track_at(2, 300, 300)}));
  ASSERT_EQ(counter.snapshot().zones[0].occupancy, 1);
  ZoneSpec moved = lobby();
  for (Point& p : moved.polygon) p.x += 150;  // now holds track 2, not track 1
  counter.set_scene(SceneSpec{{moved}, {}});
  auto e = counter.update(2, frame({track_at(1, 100, 300), track_at(2, 300, 300), track_at(3, 320, 300)}));
  // Track 3 really entered the moved zone in this frame too, but re-evaluation is silent.
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].kind, EventKind::kOccupancy);
  EXPECT_EQ(e[0].occupancy, 2);
  ZoneCounts z = counter.snapshot().zones[0];
  EXPECT_EQ(z.entries, 1);
  EXPECT_EQ(z.exits, 0);
  // After that frame, normal counting resumes.
  e = counter.update(3, frame({track_at(1, 100, 300), track_at(2, 300, 300), track_at(3, 500, 300)}));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].kind, EventKind::kZoneExit);
  EXPECT_EQ(e[0].track_id, 3);
  EXPECT_EQ(e[1].occupancy, 1);
}

TEST(CounterZones, CounterOptionsValidate) {
  EXPECT_TRUE(validate(CounterOptions{}).is_ok());
  CounterOptions o;
  o.id_switch_seconds = -1;
  EXPECT_NE(validate(o).message().find("id_switch_seconds"), std::string::npos);
  o = {};
  o.id_switch_distance = std::numeric_limits<float>::infinity();
  EXPECT_NE(validate(o).message().find("id_switch_distance"), std::string::npos);
}

}  // namespace
}  // namespace edgeserve::vision
