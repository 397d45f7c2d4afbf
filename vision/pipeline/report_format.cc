#include "vision/pipeline/report_format.h"

#include <cstdio>

#include "common/json_writer.h"
#include "common/strings.h"

namespace edgeserve::vision {

namespace {

void write_counts(JsonWriter& w, const CountSnapshot& counts) {
  w.key("zones").begin_array();
  for (const ZoneCounts& z : counts.zones) {
    w.begin_object().key("name").string(z.name).key("occupancy").integer(z.occupancy);
    w.key("entries").integer(z.entries).key("exits").integer(z.exits).end_object();
  }
  w.end_array().key("lines").begin_array();
  for (const LineCounts& l : counts.lines) {
    w.begin_object().key("name").string(l.name).key("in").integer(l.in).key("out").integer(l.out).end_object();
  }
  w.end_array();
}

void write_latency(JsonWriter& w, const char* name, const LatencyStats::Summary& s) {
  w.key(name).begin_object().key("p50_ms").number(s.p50_ms).key("p99_ms").number(s.p99_ms);
  w.key("max_ms").number(s.max_ms).key("count").integer(s.count).end_object();
}

void write_performance(JsonWriter& w, const CountPipeline::Report& r) {
  w.key("performance").begin_object();
  w.key("frames_processed").integer(r.frames_processed);
  w.key("frames_per_second").number(r.elapsed_s > 0 ? r.frames_processed / r.elapsed_s : 0.0);
  w.key("mean_batch").number(r.batches ? double(r.frames_processed) / r.batches : 0.0);
  w.key("detector_errors").integer(r.detector_errors);
  write_latency(w, "queue_wait", r.queue_wait);
  write_latency(w, "detect", r.detect);
  write_latency(w, "frame_to_result", r.frame_to_result);
  write_latency(w, "frame_to_event", r.frame_to_event);
  w.end_object();
}

void write_point(JsonWriter& w, Point p) { w.begin_array().number(p.x).number(p.y).end_array(); }

}  // namespace

std::string counts_json(const CountPipeline::Report& r) {
  JsonWriter w;
  w.begin_object().key("elapsed_s").number(r.elapsed_s).key("sources").begin_array();
  for (const auto& c : r.cameras) {
    w.begin_object().key("id").string(c.id).key("state").string(source_state_name(c.source.state));
    w.key("fps").number(c.source.fps).key("frames_processed").integer(c.frames_processed);
    w.key("frames_dropped").integer(c.queue.dropped).key("reconnects").integer(c.source.reconnects);
    if (!c.source.last_error.empty()) w.key("last_error").string(c.source.last_error);
    write_counts(w, c.counts);
    w.end_object();
  }
  w.end_array().key("events").integer(r.events).key("outbox_depth").integer(r.outbox_depth);
  write_performance(w, r);
  w.end_object();
  return w.str();
}

std::string scene_json(const SceneSpec& scene) {
  JsonWriter w;
  w.begin_object().key("zones").begin_array();
  for (const ZoneSpec& z : scene.zones) {
    w.begin_object().key("name").string(z.name).key("polygon").begin_array();
    for (Point p : z.polygon) write_point(w, p);
    w.end_array().end_object();
  }
  w.end_array().key("lines").begin_array();
  for (const LineSpec& l : scene.lines) {
    w.begin_object().key("name").string(l.name).key("from");
    write_point(w, l.a);
    w.key("to");
    write_point(w, l.b);
    w.key("band").number(l.band).end_object();
  }
  w.end_array().end_object();
  return w.str();
}

namespace {

class Prometheus {
 public:
  void help(const char* name, const char* type, const char* text) {
    out_ += str_cat("# HELP ", name, " ", text, "\n# TYPE ", name, " ", type, "\n");
  }
  void sample(const std::string& name, const std::string& labels, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    out_ += labels.empty() ? str_cat(name, " ", buf, "\n") : str_cat(name, "{", labels, "} ", buf, "\n");
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

std::string label(const char* k, const std::string& v) { return str_cat(k, "=\"", v, "\""); }

void source_metrics(Prometheus& p, const CountPipeline::Report& r) {
  struct M { const char* name; const char* type; const char* help; double (*get)(const CountPipeline::CameraReport&); };
  static const M kMetrics[] = {
      {"edgeserve_count_frames_decoded_total", "counter", "Frames out of the decoder.",
       [](const CountPipeline::CameraReport& c) { return double(c.source.frames_decoded); }},
      {"edgeserve_count_frames_in_total", "counter", "Frames queued for the detector.",
       [](const CountPipeline::CameraReport& c) { return double(c.queue.pushed); }},
      {"edgeserve_count_frames_processed_total", "counter", "Frames detected, tracked and counted.",
       [](const CountPipeline::CameraReport& c) { return double(c.frames_processed); }},
      {"edgeserve_count_frames_dropped_total", "counter", "Frames dropped by the live-queue policy (oldest first).",
       [](const CountPipeline::CameraReport& c) { return double(c.queue.dropped); }},
      {"edgeserve_count_frames_skipped_fps_total", "counter", "Frames skipped by the source's max_fps.",
       [](const CountPipeline::CameraReport& c) { return double(c.source.frames_skipped_fps); }},
      {"edgeserve_count_source_fps", "gauge", "Recent decoded frame rate.",
       [](const CountPipeline::CameraReport& c) { return c.source.fps; }},
      {"edgeserve_count_source_reconnects_total", "counter", "Reconnections after errors, ends or stalls.",
       [](const CountPipeline::CameraReport& c) { return double(c.source.reconnects); }},
      {"edgeserve_count_queue_depth", "gauge", "Frames waiting for the detector.",
       [](const CountPipeline::CameraReport& c) { return double(c.queue.queued); }},
  };
  for (const M& m : kMetrics) {
    p.help(m.name, m.type, m.help);
    for (const auto& c : r.cameras) p.sample(m.name, label("source", c.id), m.get(c));
  }
}

void count_metrics(Prometheus& p, const CountPipeline::Report& r) {
  p.help("edgeserve_count_zone_occupancy", "gauge", "Tracks inside the zone now.");
  for (const auto& c : r.cameras)
    for (const auto& z : c.counts.zones) p.sample("edgeserve_count_zone_occupancy", label("source", c.id) + "," + label("zone", z.name), double(z.occupancy));
  p.help("edgeserve_count_zone_entries_total", "counter", "Tracks that entered the zone.");
  for (const auto& c : r.cameras)
    for (const auto& z : c.counts.zones) p.sample("edgeserve_count_zone_entries_total", label("source", c.id) + "," + label("zone", z.name), double(z.entries));
  p.help("edgeserve_count_line_crossings_total", "counter", "Line crossings by direction.");
  for (const auto& c : r.cameras) {
    for (const auto& l : c.counts.lines) {
      const std::string base = label("source", c.id) + "," + label("line", l.name);
      p.sample("edgeserve_count_line_crossings_total", base + ",direction=\"in\"", double(l.in));
      p.sample("edgeserve_count_line_crossings_total", base + ",direction=\"out\"", double(l.out));
    }
  }
}

void latency_metric(Prometheus& p, const char* stage, const LatencyStats::Summary& s) {
  const std::string l = label("stage", stage);
  p.sample("edgeserve_count_stage_latency_ms", l + ",quantile=\"0.5\"", s.p50_ms);
  p.sample("edgeserve_count_stage_latency_ms", l + ",quantile=\"0.99\"", s.p99_ms);
  p.sample("edgeserve_count_stage_latency_ms_sum", l, s.sum_ms);
  p.sample("edgeserve_count_stage_latency_ms_count", l, double(s.count));
}

}  // namespace

std::string metrics_text(const CountPipeline::Report& r) {
  Prometheus p;
  source_metrics(p, r);
  count_metrics(p, r);
  p.help("edgeserve_count_stage_latency_ms", "summary",
         "Per stage: queue = frame decoded to taken into a batch; detect = one detector call; result = frame decoded to counted; event = frame decoded to its events stored.");
  latency_metric(p, "queue", r.queue_wait);
  latency_metric(p, "detect", r.detect);
  latency_metric(p, "result", r.frame_to_result);
  latency_metric(p, "event", r.frame_to_event);
  p.help("edgeserve_count_detector_batch_size", "gauge", "Mean frames per detector call.");
  p.sample("edgeserve_count_detector_batch_size", "", r.batches ? double(r.frames_processed) / r.batches : 0.0);
  p.help("edgeserve_count_detector_errors_total", "counter", "Detector calls that failed (their frames are skipped).");
  p.sample("edgeserve_count_detector_errors_total", "", double(r.detector_errors));
  p.help("edgeserve_count_events_total", "counter", "Events stored for publishing.");
  p.sample("edgeserve_count_events_total", "", double(r.events));
  p.help("edgeserve_count_events_dropped_total", "counter", "Events dropped because the outbox was full.");
  p.sample("edgeserve_count_events_dropped_total", "", double(r.events_dropped));
  p.help("edgeserve_count_outbox_depth", "gauge", "Messages in the outbox waiting for the broker's acknowledgement.");
  p.sample("edgeserve_count_outbox_depth", "", double(r.outbox_depth));
  if (r.mqtt_configured) {
    p.help("edgeserve_count_mqtt_connected", "gauge", "1 while connected to the broker.");
    p.sample("edgeserve_count_mqtt_connected", "", r.mqtt.connected ? 1.0 : 0.0);
    p.help("edgeserve_count_mqtt_reconnects_total", "counter", "Reconnections to the broker.");
    p.sample("edgeserve_count_mqtt_reconnects_total", "", double(r.mqtt.reconnects));
  }
  return std::move(p.out());
}

std::string summary_text(const CountPipeline::Report& r) {
  std::string out;
  for (const auto& c : r.cameras) {
    out += str_cat("source ", c.id, ": ", c.frames_processed, " frames counted, ", c.queue.dropped, " dropped, ",
                   c.source.reconnects, " reconnects, state ", source_state_name(c.source.state), "\n");
    if (!c.source.last_error.empty()) out += "  last error: " + c.source.last_error + "\n";
    for (const auto& z : c.counts.zones) {
      out += str_cat("  zone ", z.name, ": occupancy ", z.occupancy, ", entries ", z.entries, ", exits ", z.exits, "\n");
    }
    for (const auto& l : c.counts.lines) out += str_cat("  line ", l.name, ": in ", l.in, ", out ", l.out, "\n");
  }
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%lld frames in %.1f s: %.1f frames/s, %.2f frames per detector call; frame->result p50 %.1f ms, p99 "
                "%.1f ms; %lld events\n",
                static_cast<long long>(r.frames_processed), r.elapsed_s,
                r.elapsed_s > 0 ? r.frames_processed / r.elapsed_s : 0.0,
                r.batches ? double(r.frames_processed) / r.batches : 0.0, r.frame_to_result.p50_ms,
                r.frame_to_result.p99_ms, static_cast<long long>(r.events));
  out += buf;
  if (r.detector_errors > 0) out += str_cat("detector errors: ", r.detector_errors, " (last: ", r.last_detector_error, ")\n");
  return out;
}

std::string progress_line(const CountPipeline::Report& r) {
  std::string out = str_cat("count: ", static_cast<int64_t>(r.elapsed_s), " s");
  for (const auto& c : r.cameras) {
    char buf[128];
    std::snprintf(buf, sizeof buf, " | %s %.1f fps, %lld done, %lld dropped", c.id.c_str(), c.source.fps,
                  static_cast<long long>(c.frames_processed), static_cast<long long>(c.queue.dropped));
    out += buf;
  }
  if (r.mqtt_configured) out += str_cat(" | mqtt ", r.mqtt.connected ? "up" : "down", ", outbox ", r.outbox_depth);
  return out;
}

}  // namespace edgeserve::vision
