// `edgeserve count`: people counting on video sources (docs/counting.md). A YAML/JSON config, or
// the short form with --source flags; flags given with a config override it.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "apps/edgeserve/args.h"
#include "apps/edgeserve/commands.h"
#include "apps/edgeserve/stop_signals.h"
#include "common/strings.h"
#include "vision/pipeline/count_config.h"
#include "vision/pipeline/count_http.h"
#include "vision/pipeline/count_pipeline.h"
#include "vision/pipeline/detector_factory.h"
#include "vision/pipeline/report_format.h"

namespace edgeserve::cli {
namespace {

using namespace edgeserve::vision;

constexpr const char* kHelp =
    "usage: edgeserve count [CONFIG.yaml] [--source [ID=]URI ...] [--model MODEL.onnx --family yolox|yolov5|yolov8]\n"
    "                       [--infer-url http://HOST:PORT --infer-model NAME]\n"
    "                       [--zones FILE] [--mqtt mqtt://[user[:pass]@]host[:port]] [--topic-prefix P]\n"
    "                       [--outbox FILE] [--events-file FILE] [--http-port N] [--loop] [--realtime]\n"
    "                       [--max-fps F] [--max-batch N] [--threads N] [--duration SEC] [--json FILE]\n"
    "                       [--report-interval SEC]\n"
    "Detects, tracks and counts people per zone and line on each source; events go to the outbox,\n"
    "MQTT, the events file and GET /v1/counts. With no model, OpenCV's HOG people detector is used.\n"
    "Ends when every file source has ended (or after --duration, or on SIGINT/SIGTERM) and prints\n"
    "the counts. See docs/counting.md for the config file and topics.\n";

ArgSpec count_arg_spec() {
  return {{"--source", "--model", "--family", "--infer-url", "--infer-model", "--zones", "--mqtt", "--topic-prefix", "--outbox", "--events-file",
           "--http-port", "--max-fps", "--max-batch", "--threads", "--duration", "--json", "--report-interval"},
          {"--loop", "--realtime", "--help"}};
}

// "lobby=rtsp://..." names the source; a bare URI gets cam0, cam1, ...
CameraConfig camera_from_flag(const std::string& flag, size_t index) {
  CameraConfig c;
  const size_t eq = flag.find('=');
  const size_t scheme = flag.find("://");
  const bool named = eq != std::string::npos && (scheme == std::string::npos || eq < scheme) && eq > 0 &&
                     flag.find('/') > eq;
  c.source.id = named ? flag.substr(0, eq) : str_cat("cam", index);
  c.source.uri = named ? flag.substr(eq + 1) : flag;
  return c;
}

Status apply_source_flags(const Args& args, CountConfig& c) {
  const auto sources = args.all("--source");
  if (!sources.empty()) {
    c.cameras.clear();
    for (size_t i = 0; i < sources.size(); ++i) c.cameras.push_back(camera_from_flag(sources[i], i));
  }
  EDGE_ASSIGN_OR_RETURN(double max_fps, args.get_double("--max-fps", -1));
  for (auto& cam : c.cameras) {
    if (args.has("--loop")) cam.source.loop = true;
    if (args.has("--realtime")) cam.source.realtime = true;
    if (max_fps >= 0) cam.source.max_fps = max_fps;
  }
  return Status::ok();
}

Status apply_detector_flags(const Args& args, CountConfig& c) {
  DetectorConfig& d = c.detector;
  if (args.has("--model")) {
    d.kind = DetectorKind::kEngine;
    d.yolo.model_path = args.get("--model");
  }
  if (args.has("--infer-url")) {
    d.kind = DetectorKind::kKServe;
    d.infer_url = args.get("--infer-url");
    d.infer_model = args.get("--infer-model", d.infer_model);
  }
  if (args.has("--family") && !parse_yolo_family(args.get("--family"), &d.yolo.family)) {
    return invalid_argument("--family expects yolox, yolov5 or yolov8, got '" + args.get("--family") + "'");
  }
  EDGE_ASSIGN_OR_RETURN(int64_t batch, args.get_int("--max-batch", d.yolo.max_batch));
  EDGE_ASSIGN_OR_RETURN(int64_t threads, args.get_int("--threads", d.yolo.threads));
  if (batch < 1 || batch > 64) return invalid_argument("--max-batch expects 1..64");
  if (threads < 0 || threads > 1024) return invalid_argument("--threads expects 0..1024");
  d.yolo.max_batch = static_cast<int>(batch);
  d.yolo.threads = static_cast<int>(threads);
  return Status::ok();
}

Status apply_output_flags(const Args& args, CountConfig& c) {
  OutputConfig& o = c.output;
  if (args.has("--mqtt")) o.mqtt.uri = args.get("--mqtt");
  if (args.has("--topic-prefix")) o.mqtt.topic_prefix = args.get("--topic-prefix");
  if (args.has("--outbox")) o.outbox_path = args.get("--outbox");
  if (args.has("--events-file")) o.events_file = args.get("--events-file");
  EDGE_ASSIGN_OR_RETURN(int64_t port, args.get_int("--http-port", o.http_port));
  if (port < 0 || port > 65535) return invalid_argument("--http-port expects 0..65535");
  o.http_port = static_cast<int>(port);
  if (args.has("--zones")) c.zones_file = args.get("--zones");
  EDGE_ASSIGN_OR_RETURN(double interval, args.get_double("--report-interval", c.pipeline.report_interval_s));
  c.pipeline.report_interval_s = interval;
  return Status::ok();
}

// Applies a zones file's scenes to the cameras it names; a camera it does not know is an error.
Status apply_zones(const std::map<std::string, SceneSpec>& scenes, const std::string& file, CountConfig& c) {
  for (const auto& [id, scene] : scenes) {
    bool found = false;
    for (auto& cam : c.cameras) {
      if (cam.source.id == id) {
        cam.scene = scene;
        found = true;
      }
    }
    if (!found) return invalid_argument(file + ": source '" + id + "' is not configured");
  }
  return Status::ok();
}

Result<CountConfig> build_config(const Args& args) {
  CountConfig c;
  if (args.positional.size() > 1) return invalid_argument("expects at most one CONFIG file");
  if (args.positional.size() == 1) {
    EDGE_ASSIGN_OR_RETURN(c, load_count_config(args.positional[0]));
  } else if (!args.has("--source")) {
    return invalid_argument("give a CONFIG file or at least one --source");
  }
  EDGE_RETURN_IF_ERROR(apply_source_flags(args, c));
  EDGE_RETURN_IF_ERROR(apply_detector_flags(args, c));
  EDGE_RETURN_IF_ERROR(apply_output_flags(args, c));
  if (!c.zones_file.empty()) {
    EDGE_ASSIGN_OR_RETURN(auto scenes, load_zones_file(c.zones_file));
    EDGE_RETURN_IF_ERROR(apply_zones(scenes, c.zones_file, c));
  }
  EDGE_RETURN_IF_ERROR(validate(c));
  return c;
}

// Re-reads the zones file when its modification time changes; a bad edit is reported and the
// running zones stay.
class ZonesWatcher {
 public:
  ZonesWatcher(std::string path, CountPipeline* pipeline) : path_(std::move(path)), pipeline_(pipeline) {
    last_ = mtime();
  }
  void poll() {
    const auto now = mtime();
    if (now == last_) return;
    last_ = now;
    auto scenes = load_zones_file(path_);
    if (!scenes.is_ok()) {
      std::fprintf(stderr, "count: zones not reloaded: %s\n", scenes.status().to_string().c_str());
      return;
    }
    for (auto& [id, scene] : *scenes) {
      const Status s = pipeline_->set_scene(id, std::move(scene));
      if (!s.is_ok()) std::fprintf(stderr, "count: zones of '%s' not reloaded: %s\n", id.c_str(), s.to_string().c_str());
    }
    std::fprintf(stderr, "count: zones reloaded from %s\n", path_.c_str());
  }

 private:
  std::filesystem::file_time_type mtime() const {
    std::error_code ec;
    return std::filesystem::last_write_time(path_, ec);
  }
  std::string path_;
  CountPipeline* pipeline_;
  std::filesystem::file_time_type last_;
};

bool stop_signal_pending(const sigset_t& set) {
  timespec zero{0, 0};
  return sigtimedwait(&set, nullptr, &zero) > 0;
}

// Runs until the sources end, --duration passes or a stop signal arrives; progress on stderr.
void run_until_done(CountPipeline& pipeline, const CountConfig& c, double duration_s, const sigset_t& signals) {
  std::unique_ptr<ZonesWatcher> watcher;
  if (!c.zones_file.empty()) watcher = std::make_unique<ZonesWatcher>(c.zones_file, &pipeline);
  const auto start = std::chrono::steady_clock::now();
  auto next_report = start + std::chrono::duration<double>(c.pipeline.report_interval_s);
  while (!pipeline.wait_for(std::chrono::milliseconds(200))) {
    const auto now = std::chrono::steady_clock::now();
    if (stop_signal_pending(signals)) {
      std::fprintf(stderr, "count: stop signal received\n");
      return;
    }
    if (duration_s > 0 && now - start >= std::chrono::duration<double>(duration_s)) return;
    if (watcher) watcher->poll();
    if (c.pipeline.report_interval_s > 0 && now >= next_report) {
      std::fprintf(stderr, "%s\n", progress_line(pipeline.report()).c_str());
      next_report = now + std::chrono::duration<double>(c.pipeline.report_interval_s);
    }
  }
}

int fail(const Status& s) {
  std::fprintf(stderr, "edgeserve count: %s\n", s.to_string().c_str());
  return 1;
}

}  // namespace

int cmd_count(int argc, char** argv) {
  auto args = parse_args(argc, argv, 2, count_arg_spec());
  if (!args.is_ok()) return fail(args.status());
  if (args->has("--help")) {
    std::printf("%s", kHelp);
    return 0;
  }
  auto duration = args->get_double("--duration", 0);
  if (!duration.is_ok()) return fail(duration.status());
  auto config = build_config(*args);
  if (!config.is_ok()) return fail(config.status());
  const sigset_t signals = block_stop_signals();  // before any thread starts, so all inherit it
  auto detector = make_detector(config->detector, static_cast<int>(config->cameras.size()));
  if (!detector.is_ok()) return fail(detector.status());
  std::fprintf(stderr, "count: detector %s\n", (*detector)->describe().c_str());
  auto pipeline = CountPipeline::create(*config, std::move(detector).value());
  if (!pipeline.is_ok()) return fail(pipeline.status());
  std::unique_ptr<CountHttpApi> http;
  if (config->output.http_port > 0) {
    auto api = CountHttpApi::start(pipeline->get(), config->output.http_host, config->output.http_port);
    if (!api.is_ok()) return fail(api.status());
    http = std::move(api).value();
    std::fprintf(stderr, "count: HTTP API on %s:%d\n", config->output.http_host.c_str(), http->port());
  }
  (*pipeline)->start();
  run_until_done(**pipeline, *config, *duration, signals);
  (*pipeline)->stop();
  if (http) http->stop();
  const CountPipeline::Report report = (*pipeline)->report();
  std::printf("%s", summary_text(report).c_str());
  if (args->has("--json")) {
    std::ofstream(args->get("--json")) << counts_json(report) << "\n";
  }
  bool any_ok = false;
  for (const auto& cam : report.cameras) any_ok |= cam.source.state != VideoSource::State::kFailed;
  return any_ok ? 0 : 1;
}

}  // namespace edgeserve::cli
