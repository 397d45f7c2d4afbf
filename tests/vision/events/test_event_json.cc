// event_json and the state payloads: fields, escaping, times; and the id generator.
#include <gtest/gtest.h>

#include <set>

#include "vision/events/event_id.h"
#include "vision/events/event_json.h"

namespace edgeserve::vision {
namespace {

CountEvent line_crossing() {
  CountEvent e;
  e.kind = EventKind::kLineCrossing;
  e.source = "cam1";
  e.name = "door";
  e.track_id = 42;
  e.direction = "in";
  e.timestamp = 1714564800.123;  // 2024-05-01T12:00:00.123Z
  e.entries = 7;
  e.exits = 3;
  return e;
}

TEST(EventJson, LineCrossingHasItsFieldsInOrder) {
  EXPECT_EQ(event_json(line_crossing(), "abc"),
            "{\"id\":\"abc\",\"kind\":\"line_crossing\",\"source\":\"cam1\",\"line\":\"door\","
            "\"track_id\":42,\"direction\":\"in\",\"timestamp\":\"2024-05-01T12:00:00.123Z\","
            "\"unix_time\":1714564800.123,\"in\":7,\"out\":3}");
}

TEST(EventJson, ZoneExitCarriesDwellAndCounts) {
  CountEvent e;
  e.kind = EventKind::kZoneExit;
  e.source = "cam2";
  e.name = "queue";
  e.track_id = 5;
  e.timestamp = 0.5;
  e.occupancy = 2;
  e.entries = 10;
  e.exits = 8;
  e.dwell_seconds = 12.25;
  EXPECT_EQ(event_json(e, "x"),
            "{\"id\":\"x\",\"kind\":\"zone_exit\",\"source\":\"cam2\",\"zone\":\"queue\",\"track_id\":5,"
            "\"timestamp\":\"1970-01-01T00:00:00.500Z\",\"unix_time\":0.500,\"occupancy\":2,"
            "\"entries\":10,\"exits\":8,\"dwell_seconds\":12.250}");
}

TEST(EventJson, OccupancyChangeOmitsTrackId) {
  // Aggregate initialization: assigning short literals trips a false -Wrestrict in GCC 12.
  const CountEvent e{EventKind::kOccupancy, "s", "z", -1, "", 0, 4, 0, 0, 0};
  const std::string json = event_json(e, "id1");
  EXPECT_EQ(json.find("track_id"), std::string::npos) << json;
  EXPECT_NE(json.find("\"kind\":\"occupancy\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"occupancy\":4"), std::string::npos) << json;
}

TEST(EventJson, EscapesQuotesBackslashesAndControlCharacters) {
  CountEvent e = line_crossing();
  e.source = "a\"b\\c\nd";
  const std::string json = event_json(e, "i");
  EXPECT_NE(json.find("\"source\":\"a\\\"b\\\\c\\u000ad\""), std::string::npos) << json;
}

TEST(EventJson, NonFiniteTimeIsNull) {
  CountEvent e = line_crossing();
  e.timestamp = std::numeric_limits<double>::quiet_NaN();
  const std::string json = event_json(e, "i");
  EXPECT_NE(json.find("\"timestamp\":null,\"unix_time\":null"), std::string::npos) << json;
}

TEST(EventJson, StatePayloads) {
  EXPECT_EQ(line_state_json(line_crossing(), "e1"),
            "{\"source\":\"cam1\",\"line\":\"door\",\"in\":7,\"out\":3,"
            "\"timestamp\":\"2024-05-01T12:00:00.123Z\",\"unix_time\":1714564800.123,\"event_id\":\"e1\"}");
  const CountEvent z{EventKind::kZoneEntry, "c", "z", 3, "", 1, 1, 1, 0, 0};
  EXPECT_EQ(zone_state_json(z, "e2"),
            "{\"source\":\"c\",\"zone\":\"z\",\"occupancy\":1,\"entries\":1,\"exits\":0,"
            "\"timestamp\":\"1970-01-01T00:00:01.000Z\",\"unix_time\":1.000,\"event_id\":\"e2\"}");
}

TEST(Iso8601, RoundsToMillisecondsWithCarry) {
  EXPECT_EQ(iso8601_utc_ms(59.9996), "1970-01-01T00:01:00.000Z");
  EXPECT_EQ(iso8601_utc_ms(-0.25), "1969-12-31T23:59:59.750Z");
  EXPECT_EQ(iso8601_utc_ms(951782400.0), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(iso8601_utc_ms(std::numeric_limits<double>::infinity()), "");
}

TEST(EventIdGenerator, IdsAreUuidV4AndDistinctAcrossGenerators) {
  EventIdGenerator a, b;  // two generators stand in for a process before and after a restart
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    for (const std::string& id : {a.next(), b.next()}) {
      ASSERT_EQ(id.size(), 36u) << id;
      EXPECT_EQ(id[14], '4') << id;
      EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
      EXPECT_TRUE(seen.insert(id).second) << "duplicate id " << id;
    }
  }
}

}  // namespace
}  // namespace edgeserve::vision
