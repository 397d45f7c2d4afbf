// The configuration of `edgeserve count`: sources with their zones and lines, the detector, the
// tracker, counting and outputs. Read from YAML (or JSON, which YAML reads too); every field is
// documented in docs/counting.md with an example. Unknown keys are errors (a typo must not
// silently fall back to a default), and every error names the file, line and field.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "vision/count/counter.h"
#include "vision/count/scene.h"
#include "vision/detect/hog_detector.h"
#include "vision/detect/yolo_detector.h"
#include "vision/events/mqtt_options.h"
#include "vision/source/source_options.h"
#include "vision/track/tracker_options.h"

namespace edgeserve::vision {

struct CameraConfig {
  SourceOptions source;
  SceneSpec scene;  // empty: one zone covering the whole frame, named "frame"
};

enum class DetectorKind { kHog, kEngine, kKServe };

struct DetectorConfig {
  DetectorKind kind = DetectorKind::kHog;  // kEngine when a model is given, kKServe with infer_url
  YoloDetectorOptions yolo;                // model, family, size, thresholds, classes, batch
  HogOptions hog;
  std::string infer_url;                   // KServe v2 endpoint: http://host:port
  std::string infer_model;                 // the model's name there
};

struct OutputConfig {
  MqttOptions mqtt;           // mqtt.uri empty: no broker, events still go to the outbox/file
  std::string outbox_path;    // SQLite outbox; default "edgeserve-outbox.db" when MQTT is on
  std::string events_file;    // JSON lines, appended; empty: none
  std::string http_host = "127.0.0.1";
  int http_port = 0;          // 0: no HTTP API
};

struct PipelineTuning {
  int queue_frames = 4;          // per source, bounded; see docs for the drop policy
  double batch_wait_ms = 5;      // how long the batcher waits for more cameras' frames
  double report_interval_s = 5;  // progress lines on stderr; 0: none
};

struct CountConfig {
  std::string path;                   // where it was read from ("" for the command-line form)
  std::vector<CameraConfig> cameras;
  DetectorConfig detector;
  TrackerOptions tracker;
  CounterOptions counting;
  std::string zones_file;             // per-camera zones and lines, watched and reloaded
  OutputConfig output;
  PipelineTuning pipeline;
};

// Relative paths in the file (source files, model, zones file, outbox, events file) are taken
// relative to the file's folder.
Result<CountConfig> load_count_config(const std::string& path);
Result<CountConfig> parse_count_config(const std::string& text, const std::string& path);
// A zones file: { <camera id>: { zones: [...], lines: [...] }, ... }.
Result<std::map<std::string, SceneSpec>> load_zones_file(const std::string& path);
Result<std::map<std::string, SceneSpec>> parse_zones(const std::string& text, const std::string& path);
// One camera's scene as JSON or YAML text ({zones: [...], lines: [...]}): the body of the HTTP
// zone update.
Result<SceneSpec> parse_scene(const std::string& text, const std::string& where);
// Checks the whole configuration: each part's validate(), unique camera ids, zones files'
// cameras exist, ports in range.
Status validate(const CountConfig& config);

}  // namespace edgeserve::vision
