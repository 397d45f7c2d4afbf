#include "vision/pipeline/count_config.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/strings.h"
#include "vision/pipeline/yaml_fields.h"

namespace edgeserve::vision {
namespace {

constexpr int64_t kMaxConfigBytes = 4 << 20;
constexpr size_t kMaxCameras = 64;

Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  if (ss.str().size() > static_cast<size_t>(kMaxConfigBytes)) {
    return invalid_argument(str_cat(path, ": larger than ", kMaxConfigBytes, " bytes"));
  }
  return ss.str();
}

Result<YAML::Node> parse_yaml(const std::string& text, const std::string& file) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return invalid_argument(str_cat(file, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
}

Status read_zone(const YAML::Node& n, const std::string& file, const std::string& path, ZoneSpec* zone) {
  YamlFields f(n, file, path);
  EDGE_RETURN_IF_ERROR(f.check_is_map());
  EDGE_RETURN_IF_ERROR(f.get("name", &zone->name));
  const YAML::Node polygon = f.child("polygon");
  if (!polygon.IsDefined()) return f.error(n, path + ".polygon", "missing (a list of points [[x, y], ...])");
  EDGE_RETURN_IF_ERROR(read_points(polygon, file, path + ".polygon", &zone->polygon));
  return f.finish();
}

Status read_line(const YAML::Node& n, const std::string& file, const std::string& path, LineSpec* line) {
  YamlFields f(n, file, path);
  EDGE_RETURN_IF_ERROR(f.check_is_map());
  if (!f.has("from") || !f.has("to")) return f.error(n, path, "a line needs `from: [x, y]` and `to: [x, y]`");
  EDGE_RETURN_IF_ERROR(f.get("name", &line->name));
  EDGE_RETURN_IF_ERROR(f.get("from", &line->a));
  EDGE_RETURN_IF_ERROR(f.get("to", &line->b));
  EDGE_RETURN_IF_ERROR(f.get("band", &line->band));
  return f.finish();
}

template <typename T, typename ReadOne>
Status read_list(YamlFields& f, const char* key, std::vector<T>* out, ReadOne read_one) {
  const YAML::Node list = f.child(key);
  if (!list.IsDefined() || list.IsNull()) return Status::ok();
  if (!list.IsSequence()) return f.error(list, f.child_path(key), "expected a list");
  for (size_t i = 0; i < list.size(); ++i) {
    T item;
    EDGE_RETURN_IF_ERROR(read_one(list[i], f.file(), str_cat(f.child_path(key), "[", i, "]"), &item));
    out->push_back(std::move(item));
  }
  return Status::ok();
}

// zones: and lines: of a camera entry or a zones-file entry (other keys left to the caller).
Status read_scene_fields(YamlFields& f, SceneSpec* scene) {
  EDGE_RETURN_IF_ERROR(read_list<ZoneSpec>(f, "zones", &scene->zones, read_zone));
  return read_list<LineSpec>(f, "lines", &scene->lines, read_line);
}

Status read_camera(const YAML::Node& n, const std::string& file, const std::string& path, CameraConfig* cam) {
  YamlFields f(n, file, path);
  EDGE_RETURN_IF_ERROR(f.check_is_map());
  SourceOptions& s = cam->source;
  EDGE_RETURN_IF_ERROR(f.get("id", &s.id));
  EDGE_RETURN_IF_ERROR(f.get("uri", &s.uri));
  EDGE_RETURN_IF_ERROR(f.get("loop", &s.loop));
  EDGE_RETURN_IF_ERROR(f.get("realtime", &s.realtime));
  EDGE_RETURN_IF_ERROR(f.get("max_fps", &s.max_fps));
  EDGE_RETURN_IF_ERROR(f.get("io_timeout_s", &s.io_timeout_s));
  EDGE_RETURN_IF_ERROR(f.get("stall_timeout_s", &s.stall_timeout_s));
  EDGE_RETURN_IF_ERROR(f.get("reconnect_min_s", &s.reconnect_min_s));
  EDGE_RETURN_IF_ERROR(f.get("reconnect_max_s", &s.reconnect_max_s));
  EDGE_RETURN_IF_ERROR(f.get("rtsp_transport", &s.rtsp_transport));
  EDGE_RETURN_IF_ERROR(read_scene_fields(f, &cam->scene));
  return f.finish();
}

Status read_detector(YamlFields& f, DetectorConfig* d) {
  YoloDetectorOptions& y = d->yolo;
  std::string family = yolo_family_name(y.family), kind;
  EDGE_RETURN_IF_ERROR(f.get("kind", &kind));
  EDGE_RETURN_IF_ERROR(f.get("model", &y.model_path));
  EDGE_RETURN_IF_ERROR(f.get("family", &family));
  EDGE_RETURN_IF_ERROR(f.get("input_width", &y.input_width));
  EDGE_RETURN_IF_ERROR(f.get("input_height", &y.input_height));
  EDGE_RETURN_IF_ERROR(f.get("max_batch", &y.max_batch));
  EDGE_RETURN_IF_ERROR(f.get("threads", &y.threads));
  EDGE_RETURN_IF_ERROR(f.get("score_threshold", &y.decode.score_threshold));
  EDGE_RETURN_IF_ERROR(f.get("nms_iou", &y.decode.nms_iou));
  EDGE_RETURN_IF_ERROR(f.get("classes", &y.decode.classes));
  EDGE_RETURN_IF_ERROR(f.get("infer_url", &d->infer_url));
  EDGE_RETURN_IF_ERROR(f.get("infer_model", &d->infer_model));
  EDGE_RETURN_IF_ERROR(f.get("hog_min_weight", &d->hog.min_weight));
  if (!parse_yolo_family(family, &y.family)) {
    return f.error(f.child("family"), f.child_path("family"), "expected yolox, yolov5 or yolov8, got '" + family + "'");
  }
  if (kind.empty()) kind = !d->infer_url.empty() ? "kserve" : !y.model_path.empty() ? "engine" : "hog";
  if (kind == "hog") d->kind = DetectorKind::kHog;
  else if (kind == "engine") d->kind = DetectorKind::kEngine;
  else if (kind == "kserve") d->kind = DetectorKind::kKServe;
  else return f.error(f.child("kind"), f.child_path("kind"), "expected hog, engine or kserve, got '" + kind + "'");
  return f.finish();
}

Status read_tracker(YamlFields& f, TrackerOptions* t) {
  EDGE_RETURN_IF_ERROR(f.get("high_score", &t->high_score));
  EDGE_RETURN_IF_ERROR(f.get("low_score", &t->low_score));
  EDGE_RETURN_IF_ERROR(f.get("new_track_score", &t->new_track_score));
  EDGE_RETURN_IF_ERROR(f.get("match_iou", &t->match_iou));
  EDGE_RETURN_IF_ERROR(f.get("low_match_iou", &t->low_match_iou));
  EDGE_RETURN_IF_ERROR(f.get("lost_buffer_frames", &t->lost_buffer_frames));
  EDGE_RETURN_IF_ERROR(f.get("min_hits", &t->min_hits));
  return f.finish();
}

Status read_counting(YamlFields& f, CounterOptions* c) {
  EDGE_RETURN_IF_ERROR(f.get("id_switch_seconds", &c->id_switch_seconds));
  EDGE_RETURN_IF_ERROR(f.get("id_switch_distance", &c->id_switch_distance));
  return f.finish();
}

Status read_output(YamlFields& f, OutputConfig* o) {
  EDGE_RETURN_IF_ERROR(f.get("mqtt", &o->mqtt.uri));
  EDGE_RETURN_IF_ERROR(f.get("topic_prefix", &o->mqtt.topic_prefix));
  EDGE_RETURN_IF_ERROR(f.get("qos", &o->mqtt.qos));
  EDGE_RETURN_IF_ERROR(f.get("client_id", &o->mqtt.client_id));
  EDGE_RETURN_IF_ERROR(f.get("keepalive_s", &o->mqtt.keepalive_s));
  EDGE_RETURN_IF_ERROR(f.get("outbox", &o->outbox_path));
  EDGE_RETURN_IF_ERROR(f.get("events_file", &o->events_file));
  EDGE_RETURN_IF_ERROR(f.get("http_host", &o->http_host));
  EDGE_RETURN_IF_ERROR(f.get("http_port", &o->http_port));
  return f.finish();
}

Status read_tuning(YamlFields& f, PipelineTuning* p) {
  EDGE_RETURN_IF_ERROR(f.get("queue_frames", &p->queue_frames));
  EDGE_RETURN_IF_ERROR(f.get("batch_wait_ms", &p->batch_wait_ms));
  EDGE_RETURN_IF_ERROR(f.get("report_interval_s", &p->report_interval_s));
  return f.finish();
}

// Reads the optional mapping `key` of the top level with `read`.
template <typename T>
Status read_section(YamlFields& top, const char* key, T* out, Status (*read)(YamlFields&, T*)) {
  const YAML::Node n = top.child(key);
  if (!n.IsDefined() || n.IsNull()) return Status::ok();
  YamlFields f(n, top.file(), key);
  EDGE_RETURN_IF_ERROR(f.check_is_map());
  return read(f, out);
}

}  // namespace

Result<CountConfig> parse_count_config(const std::string& text, const std::string& path) {
  EDGE_ASSIGN_OR_RETURN(YAML::Node root, parse_yaml(text, path));
  CountConfig c;
  c.path = path;
  YamlFields top(root, path, "");
  EDGE_RETURN_IF_ERROR(top.check_is_map());
  EDGE_RETURN_IF_ERROR(read_list<CameraConfig>(top, "sources", &c.cameras, read_camera));
  EDGE_RETURN_IF_ERROR(read_section(top, "detector", &c.detector, read_detector));
  EDGE_RETURN_IF_ERROR(read_section(top, "tracker", &c.tracker, read_tracker));
  EDGE_RETURN_IF_ERROR(read_section(top, "counting", &c.counting, read_counting));
  EDGE_RETURN_IF_ERROR(read_section(top, "output", &c.output, read_output));
  EDGE_RETURN_IF_ERROR(read_section(top, "pipeline", &c.pipeline, read_tuning));
  EDGE_RETURN_IF_ERROR(top.get("zones_file", &c.zones_file));
  EDGE_RETURN_IF_ERROR(top.finish());
  if (c.cameras.empty()) return invalid_argument(path + ": `sources` lists no video source (at least one is needed)");
  return c;
}

namespace {

// A relative path in a config file means relative to that file, so that a config and its zones
// file can move together and be used from any working directory.
void resolve_relative(const std::filesystem::path& dir, std::string& path) {
  if (path.empty() || path.find("://") != std::string::npos || std::filesystem::path(path).is_absolute()) return;
  path = (dir / path).lexically_normal().string();
}

}  // namespace

Result<CountConfig> load_count_config(const std::string& path) {
  EDGE_ASSIGN_OR_RETURN(std::string text, read_text(path));
  EDGE_ASSIGN_OR_RETURN(CountConfig c, parse_count_config(text, path));
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  for (CameraConfig& cam : c.cameras) resolve_relative(dir, cam.source.uri);
  for (std::string* p : {&c.zones_file, &c.detector.yolo.model_path, &c.output.outbox_path, &c.output.events_file}) {
    resolve_relative(dir, *p);
  }
  return c;
}

Result<SceneSpec> parse_scene(const std::string& text, const std::string& where) {
  EDGE_ASSIGN_OR_RETURN(YAML::Node root, parse_yaml(text, where));
  SceneSpec scene;
  YamlFields f(root, where, "");
  EDGE_RETURN_IF_ERROR(f.check_is_map());
  EDGE_RETURN_IF_ERROR(read_scene_fields(f, &scene));
  EDGE_RETURN_IF_ERROR(f.finish());
  EDGE_RETURN_IF_ERROR(validate(scene, where));
  return scene;
}

Result<std::map<std::string, SceneSpec>> parse_zones(const std::string& text, const std::string& path) {
  EDGE_ASSIGN_OR_RETURN(YAML::Node root, parse_yaml(text, path));
  if (!root.IsMap()) return invalid_argument(path + ": expected a mapping of camera id to {zones, lines}");
  std::map<std::string, SceneSpec> scenes;
  for (const auto& kv : root) {
    const std::string id = kv.first.as<std::string>("");
    YamlFields f(kv.second, path, id);
    EDGE_RETURN_IF_ERROR(f.check_is_map());
    SceneSpec scene;
    EDGE_RETURN_IF_ERROR(read_scene_fields(f, &scene));
    EDGE_RETURN_IF_ERROR(f.finish());
    EDGE_RETURN_IF_ERROR(validate(scene, path + ": " + id));
    scenes[id] = std::move(scene);
  }
  return scenes;
}

Result<std::map<std::string, SceneSpec>> load_zones_file(const std::string& path) {
  EDGE_ASSIGN_OR_RETURN(std::string text, read_text(path));
  return parse_zones(text, path);
}

Status validate(const CountConfig& c) {
  const std::string& p = c.path.empty() ? std::string("command line") : c.path;
  if (c.cameras.size() > kMaxCameras) return invalid_argument(str_cat(p, ": at most ", kMaxCameras, " sources"));
  std::set<std::string> ids;
  for (size_t i = 0; i < c.cameras.size(); ++i) {
    const std::string where = str_cat(p, ": sources[", i, "]");
    EDGE_RETURN_IF_ERROR(validate(c.cameras[i].source).with_context(where));
    EDGE_RETURN_IF_ERROR(validate(c.cameras[i].scene, where));
    if (!ids.insert(c.cameras[i].source.id).second) {
      return invalid_argument(str_cat(where, ".id: '", c.cameras[i].source.id, "' is used by another source"));
    }
  }
  EDGE_RETURN_IF_ERROR(validate(c.tracker).with_context(p + ": tracker"));
  const DetectorConfig& d = c.detector;
  if (d.kind == DetectorKind::kEngine && d.yolo.model_path.empty()) {
    return invalid_argument(p + ": detector.model: the engine detector needs a model file");
  }
  if (d.kind == DetectorKind::kKServe && (d.infer_url.empty() || d.infer_model.empty())) {
    return invalid_argument(p + ": detector: the kserve detector needs infer_url and infer_model");
  }
  if (d.yolo.decode.score_threshold < 0 || d.yolo.decode.score_threshold > 1 || d.yolo.decode.nms_iou <= 0 ||
      d.yolo.decode.nms_iou > 1) {
    return invalid_argument(p + ": detector: score_threshold expects 0..1 and nms_iou (0, 1]");
  }
  if (!c.output.mqtt.uri.empty()) EDGE_RETURN_IF_ERROR(validate_mqtt_options(c.output.mqtt).with_context(p + ": output"));
  if (c.output.http_port < 0 || c.output.http_port > 65535) {
    return invalid_argument(str_cat(p, ": output.http_port: expected 0..65535, got ", c.output.http_port));
  }
  const PipelineTuning& t = c.pipeline;
  if (t.queue_frames < 1 || t.queue_frames > 256) return invalid_argument(p + ": pipeline.queue_frames expects 1..256");
  if (t.batch_wait_ms < 0 || t.batch_wait_ms > 1000) return invalid_argument(p + ": pipeline.batch_wait_ms expects 0..1000");
  if (t.report_interval_s < 0) return invalid_argument(p + ": pipeline.report_interval_s expects >= 0");
  return Status::ok();
}

}  // namespace edgeserve::vision
