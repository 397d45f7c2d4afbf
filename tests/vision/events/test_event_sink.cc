// EventSink without a broker: ids, topics, order, retained state per frame, JSON lines, drops.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "temp_dir.h"
#include "vision/events/event_sink.h"

namespace edgeserve::vision {
namespace {

using testing::TempDir;

CountEvent event(EventKind kind, const std::string& source, const std::string& name, int64_t entries) {
  CountEvent e;
  e.kind = kind;
  e.source = source;
  e.name = name;
  e.track_id = entries;
  e.direction = kind == EventKind::kLineCrossing ? "in" : "";
  e.timestamp = 1700000000.0 + static_cast<double>(entries);
  e.entries = entries;
  e.occupancy = entries;
  return e;
}

TEST(TopicLevel, ReplacesWildcardsAndSeparators) {
  EXPECT_EQ(topic_level("cam/1+#"), "cam_1__");
  EXPECT_EQ(topic_level(""), "_");
  EXPECT_EQ(topic_level("door"), "door");
}

TEST(EventSink, OneFrameBecomesEventsThenTheLastStatePerZoneAndLine) {
  TempDir dir;
  auto outbox = Outbox::open({dir.file("o.db")});
  ASSERT_TRUE(outbox.is_ok());
  auto sink = EventSink::create(outbox->get(), nullptr, "site", dir.file("events.jsonl"));
  ASSERT_TRUE(sink.is_ok()) << sink.status().to_string();
  std::vector<CountEvent> frame = {
      event(EventKind::kLineCrossing, "cam1", "door", 1), event(EventKind::kZoneEntry, "cam1", "hall", 1),
      event(EventKind::kLineCrossing, "cam1", "door", 2), event(EventKind::kOccupancy, "cam/2", "hall", 5)};
  ASSERT_TRUE((*sink)->publish(frame).is_ok());

  auto rows = (*outbox)->read_after(0, 100);
  ASSERT_TRUE(rows.is_ok());
  std::vector<std::string> topics;
  for (const auto& r : *rows) topics.push_back(r.topic);
  EXPECT_EQ(topics, (std::vector<std::string>{"site/events", "site/events", "site/events", "site/events",
                                              "site/cam1/door/crossings", "site/cam1/hall/occupancy",
                                              "site/cam_2/hall/occupancy"}));
  for (size_t i = 0; i < 4; ++i) EXPECT_FALSE((*rows)[i].retain);
  for (size_t i = 4; i < rows->size(); ++i) EXPECT_TRUE((*rows)[i].retain);
  // The door's state comes from its last crossing in the frame (cumulative in == 2).
  EXPECT_NE((*rows)[4].payload.find("\"in\":2"), std::string::npos) << (*rows)[4].payload;
  EXPECT_NE((*rows)[4].payload.find((*rows)[2].id), std::string::npos) << "names its event";
  // Event payloads carry their row's id, in frame order.
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_NE((*rows)[i].payload.find("\"id\":\"" + (*rows)[i].id + "\""), std::string::npos);
    EXPECT_NE((*rows)[i].payload.find("\"track_id\":" + std::to_string(frame[i].track_id)), std::string::npos);
  }

  std::ifstream jsonl(dir.file("events.jsonl"));
  std::string line;
  size_t lines = 0;
  while (std::getline(jsonl, line)) {
    ASSERT_LT(lines, 4u);
    EXPECT_EQ(line, (*rows)[lines].payload);  // the file holds exactly the published events
    ++lines;
  }
  EXPECT_EQ(lines, 4u);
  EXPECT_EQ((*sink)->published_events(), 4);
}

TEST(EventSink, IdsAreUniqueAcrossFramesAndSinks) {
  TempDir dir;
  auto outbox = Outbox::open({dir.file("o.db")});
  std::set<std::string> ids;
  for (int run = 0; run < 2; ++run) {  // a second sink stands in for a restarted process
    auto sink = EventSink::create(outbox->get(), nullptr, "p", "");
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE((*sink)->publish({event(EventKind::kZoneEntry, "s", "z", i)}).is_ok());
    }
  }
  auto rows = (*outbox)->read_after(0, 1000);
  for (const auto& r : *rows) {
    if (r.topic == "p/events") {
      EXPECT_TRUE(ids.insert(r.id).second) << r.id;
    }
  }
  EXPECT_EQ(ids.size(), 100u);
}

TEST(EventSink, FullOutboxDropsTheFrameAndCountsIt) {
  TempDir dir;
  auto outbox = Outbox::open({dir.file("o.db"), 3});
  auto sink = EventSink::create(outbox->get(), nullptr, "p", "");
  ASSERT_TRUE((*sink)->publish({event(EventKind::kZoneEntry, "s", "z", 1)}).is_ok());  // 2 rows
  Status s = (*sink)->publish({event(EventKind::kZoneEntry, "s", "z", 2)});
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ((*sink)->dropped_events(), 1);
  EXPECT_EQ((*sink)->published_events(), 1);
  EXPECT_EQ((*outbox)->depth(), 2);
}

TEST(EventSink, BadArgumentsAreStatuses) {
  TempDir dir;
  auto outbox = Outbox::open({dir.file("o.db")});
  EXPECT_FALSE(EventSink::create(outbox->get(), nullptr, "p/#", "").is_ok());
  auto bad_file = EventSink::create(outbox->get(), nullptr, "p", dir.file("no/dir/e.jsonl"));
  ASSERT_FALSE(bad_file.is_ok());
  EXPECT_NE(bad_file.status().message().find(dir.file("no/dir/e.jsonl")), std::string::npos);
}

TEST(EventSink, WithoutAnOutboxEventsStillGetIdsAndGoToTheFile) {
  TempDir dir;
  auto sink = EventSink::create(nullptr, nullptr, "p", dir.file("e.jsonl"));
  ASSERT_TRUE(sink.is_ok()) << sink.status().to_string();
  CountEvent e;
  e.kind = EventKind::kZoneEntry;
  e.source = "cam";
  e.name = "door";
  e.track_id = 3;
  ASSERT_TRUE((*sink)->publish({e, e}).is_ok());
  EXPECT_EQ((*sink)->published_events(), 2);
  sink->reset();
  std::ifstream in(dir.file("e.jsonl"));
  std::string first, second, none;
  ASSERT_TRUE(std::getline(in, first) && std::getline(in, second));
  EXPECT_FALSE(std::getline(in, none));
  EXPECT_NE(first.find("\"zone\":\"door\""), std::string::npos) << first;
  EXPECT_NE(first.substr(0, 50), second.substr(0, 50)) << "distinct ids";
}

}  // namespace
}  // namespace edgeserve::vision
