// The count configuration: every section read, errors that name file:line:column and the field,
// unknown keys refused, zones files and HTTP scene bodies (JSON or YAML).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "vision/pipeline/count_config.h"

namespace edgeserve::vision {
namespace {

constexpr const char* kFull = R"(
sources:
  - id: lobby
    uri: rtsp://10.0.0.5/stream1
    max_fps: 5
    lines:
      - {name: door, from: [430, 400], to: [430, 140], band: 10}
  - id: street
    uri: street.mp4
    loop: true
    zones:
      - name: entrance
        polygon: [[0, 150], [400, 150], [400, 320]]
detector:
  model: yolox_nano.onnx
  family: yolov8
  max_batch: 2
  score_threshold: 0.4
  classes: [0, 2]
tracker: {high_score: 0.6, lost_buffer_frames: 10}
counting: {id_switch_seconds: 1.5}
output:
  mqtt: mqtt://user:pw@127.0.0.1:1884
  topic_prefix: mall
  http_port: 8090
pipeline: {queue_frames: 8}
)";

TEST(CountConfig, EverySectionIsRead) {
  auto c = parse_count_config(kFull, "count.yaml");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  ASSERT_EQ(c->cameras.size(), 2u);
  EXPECT_EQ(c->cameras[0].source.id, "lobby");
  EXPECT_DOUBLE_EQ(c->cameras[0].source.max_fps, 5);
  ASSERT_EQ(c->cameras[0].scene.lines.size(), 1u);
  EXPECT_FLOAT_EQ(c->cameras[0].scene.lines[0].b.y, 140);
  EXPECT_TRUE(c->cameras[1].source.loop);
  EXPECT_EQ(c->cameras[1].scene.zones[0].polygon.size(), 3u);
  EXPECT_EQ(c->detector.kind, DetectorKind::kEngine);
  EXPECT_EQ(c->detector.yolo.family, YoloFamily::kYolov8);
  EXPECT_EQ(c->detector.yolo.max_batch, 2);
  EXPECT_EQ(c->detector.yolo.decode.classes, (std::vector<int>{0, 2}));
  EXPECT_FLOAT_EQ(c->tracker.high_score, 0.6f);
  EXPECT_EQ(c->tracker.lost_buffer_frames, 10);
  EXPECT_DOUBLE_EQ(c->counting.id_switch_seconds, 1.5);
  EXPECT_EQ(c->output.mqtt.topic_prefix, "mall");
  EXPECT_EQ(c->output.http_port, 8090);
  EXPECT_EQ(c->pipeline.queue_frames, 8);
  EXPECT_TRUE(validate(*c).is_ok()) << validate(*c).to_string();
}

TEST(CountConfig, NoDetectorMeansTheBuiltInHog) {
  auto c = parse_count_config("sources: [{id: a, uri: a.mp4}]", "c.yaml");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->detector.kind, DetectorKind::kHog);
  auto remote = parse_count_config("sources: [{id: a, uri: a.mp4}]\ndetector: {infer_url: 'http://h:8000', infer_model: y}", "c.yaml");
  ASSERT_TRUE(remote.is_ok());
  EXPECT_EQ(remote->detector.kind, DetectorKind::kKServe);
}

void expect_error(const std::string& text, const std::string& fragment) {
  auto c = parse_count_config(text, "c.yaml");
  Status s = c.is_ok() ? validate(*c) : c.status();
  ASSERT_FALSE(s.is_ok()) << "accepted: " << text;
  EXPECT_NE(s.message().find(fragment), std::string::npos) << s.message();
}

TEST(CountConfig, ErrorsNameTheFilePlaceAndField) {
  expect_error("sources: [{id: a, uri: a.mp4}]\ndetectr: {}\n", "c.yaml:2:1: unknown field 'detectr'");
  expect_error("sources:\n  - id: a\n    uri: a.mp4\n    lopp: true\n", "unknown field 'sources[0].lopp'");
  expect_error("sources:\n  - id: a\n    uri: a.mp4\n    max_fps: fast\n", "c.yaml:4:14: sources[0].max_fps: expected a number");
  expect_error("sources: [{id: a, uri: a.mp4}]\ndetector: {family: yolov9}\n", "expected yolox, yolov5 or yolov8");
  expect_error("sources: [{id: a, uri: a.mp4}]\ndetector: {kind: magic}\n", "expected hog, engine or kserve");
  expect_error("sources: [{id: a, uri: a.mp4}, {id: a, uri: b.mp4}]", "'a' is used by another source");
  expect_error("sources: []", "lists no video source");
  expect_error("sources: [{id: a, uri: a.mp4, zones: [{name: z, polygon: [[0, 0], [1]]}]}]",
               "sources[0].zones[0].polygon[1]: expected a point [x, y]");
  expect_error("sources: [{id: a, uri: a.mp4, lines: [{name: l, from: [0, 0]}]}]", "needs `from: [x, y]` and `to");
  expect_error("sources: [{id: a, uri: a.mp4}]\npipeline: {queue_frames: 0}", "queue_frames expects 1..256");
  expect_error("sources: [{id: a, uri: a.mp4}]\noutput: {mqtt: 'http://x'}", "output");
  expect_error("sources: [{id: a, uri: a.mp4}]\ndetector: {kind: engine}", "needs a model file");
  expect_error("sources: {id: a}", "expected a list");
  expect_error("sources: [{id: a, uri: a.mp4}\n", "c.yaml:2:");  // YAML syntax: line and column
  expect_error("- just\n- a list\n", "expected a mapping");
}

TEST(CountConfig, ZonesFileAndSceneBodies) {
  auto zones = parse_zones("lobby:\n  lines: [{name: door, from: [0, 0], to: [0, 10]}]\nstreet: {}\n", "z.yaml");
  ASSERT_TRUE(zones.is_ok()) << zones.status().to_string();
  EXPECT_EQ(zones->size(), 2u);
  EXPECT_EQ(zones->at("lobby").lines[0].name, "door");
  auto json = parse_scene(R"({"zones": [{"name": "z", "polygon": [[0,0],[4,0],[4,4]]}], "lines": []})", "PUT");
  ASSERT_TRUE(json.is_ok()) << json.status().to_string();
  EXPECT_EQ(json->zones[0].polygon.size(), 3u);
  auto dup = parse_scene(R"({"zones": [{"name": "z", "polygon": [[0,0],[4,0],[4,4]]}],
                             "lines": [{"name": "z", "from": [0,0], "to": [1,1]}]})", "PUT");
  ASSERT_FALSE(dup.is_ok());
  EXPECT_NE(dup.status().message().find("PUT"), std::string::npos) << dup.status().message();
  EXPECT_FALSE(parse_scene("{\"zones\": 3}", "PUT").is_ok());
  EXPECT_FALSE(parse_zones("[1, 2]", "z.yaml").is_ok());
  EXPECT_FALSE(load_zones_file("/nonexistent/zones.yaml").is_ok());
}

TEST(CountConfig, RelativePathsInAFileAreRelativeToThatFile) {
  const auto dir = std::filesystem::temp_directory_path() / ("edge_count_config_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "site");
  const std::string file = (dir / "site" / "count.yaml").string();
  std::ofstream(file) << "sources: [{id: a, uri: clips/a.mp4}, {id: b, uri: 'rtsp://h/s'}, {id: c, uri: /abs/c.mp4}]\n"
                         "zones_file: zones.yaml\ndetector: {model: ../models/y.onnx}\n"
                         "output: {events_file: out/e.jsonl}\n";
  auto c = load_count_config(file);
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->cameras[0].source.uri, (dir / "site" / "clips" / "a.mp4").string());
  EXPECT_EQ(c->cameras[1].source.uri, "rtsp://h/s");
  EXPECT_EQ(c->cameras[2].source.uri, "/abs/c.mp4");
  EXPECT_EQ(c->zones_file, (dir / "site" / "zones.yaml").string());
  EXPECT_EQ(c->detector.yolo.model_path, (dir / "models" / "y.onnx").string());
  EXPECT_EQ(c->output.events_file, (dir / "site" / "out" / "e.jsonl").string());
  EXPECT_TRUE(c->output.outbox_path.empty());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace edgeserve::vision
