// Rendering of bench results as JSON and as text.
#include "apps/edgeserve/bench_report.h"

#include <algorithm>
#include <cstdio>

#include "common/json_writer.h"
#include "common/strings.h"

namespace edgeserve::cli {

namespace {

constexpr size_t kTopNodes = 20;

void json_dims(JsonWriter& w, const Dims& dims) {
  w.begin_array();
  for (int64_t d : dims) w.integer(d);
  w.end_array();
}

void json_limit(JsonWriter& w, const char* key, bool given, double value) {
  w.key(key);
  given ? w.number(value) : w.null();
}

void json_options(JsonWriter& w, const BenchOptions& o) {
  const LoopLimits warm = o.warmup_limits();
  const LoopLimits meas = o.measure_limits();
  w.key("options").begin_object();
  w.key("provider").string(provider_name(o.provider)).key("level").integer(o.level);
  w.key("conv_algorithm").string(conv_algorithm_name(o.conv_algorithm));
  w.key("layout").string(activation_layout_name(o.layout));
  w.key("batch").integer(o.batch).key("threads").integer(o.threads).key("streams").integer(o.streams);
  w.key("session_threads").integer(o.session_threads);
  w.key("warmup").integer(warm.max_runs);
  json_limit(w, "warmup_cap_s", !o.warmup, warm.max_seconds);
  w.key("iterations");
  o.duration_s ? w.null() : w.integer(meas.max_runs);
  json_limit(w, "duration_s", o.duration_s.has_value(), o.duration_s.value_or(0));
  json_limit(w, "measure_cap_s", !o.iterations && !o.duration_s, meas.max_seconds);
  json_limit(w, "idle_s", o.idle_s.has_value(), o.idle_s.value_or(0));
  w.key("shapes").begin_object();
  for (const ShapeOverride& s : o.shapes) json_dims(w.key(s.input), s.dims);
  w.end_object();
  w.key("profile").boolean(o.profile).end_object();
}

void json_profile(JsonWriter& w, const ProfileTotals& p) {
  w.key("profile").begin_object();
  w.key("runs").integer(p.runs()).key("step_ms_per_run").number(p.step_ms_per_run());
  w.key("op_types").begin_array();
  for (const OpTypeRow& r : p.by_op_type()) {
    w.begin_object().key("op_type").string(r.op_type).key("ms").number(r.ms_per_run);
    w.key("percent").number(r.percent).key("count").number(r.nodes_per_run).end_object();
  }
  w.end_array().key("nodes").begin_array();
  for (const NodeRow& r : p.by_node()) {
    w.begin_object().key("node").string(r.node).key("op_type").string(r.op_type).key("ms").number(r.ms_per_run);
    if (!r.parent.empty()) w.key("parent").string(r.parent);
    if (!r.kernel.empty()) w.key("kernel").string(r.kernel);
    w.end_object();
  }
  w.end_array().end_object();
}

std::string fixed(double v, int decimals = 3);

std::string mib(int64_t bytes) { return str_cat(bytes, " bytes (", fixed(static_cast<double>(bytes) / (1 << 20), 1), " MiB)"); }

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

std::string text_profile(const ProfileTotals& p) {
  std::string s = str_cat("profile    ", fixed(p.step_ms_per_run()), " ms of node time per run, averaged over ",
                          p.runs(), " runs\n  ", "op type                          ms/run      %   nodes\n");
  for (const OpTypeRow& r : p.by_op_type()) {
    char line[160];
    std::snprintf(line, sizeof(line), "  %-28s %10.3f %6.1f %7.0f\n", r.op_type.c_str(), r.ms_per_run, r.percent,
                  r.nodes_per_run);
    s += line;
  }
  const std::vector<NodeRow> nodes = p.by_node();
  s += str_cat("  top ", std::min(kTopNodes, nodes.size()), " nodes\n      ms/run  op type                node\n");
  for (size_t i = 0; i < nodes.size() && i < kTopNodes; ++i) {
    const NodeRow& r = nodes[i];
    // An entry inside a fused step is shown under its step's name.
    const std::string name = r.parent.empty() ? r.node : r.parent + " > " + r.node;
    char line[128];
    std::snprintf(line, sizeof(line), "  %10.3f  %-22s ", r.ms_per_run, r.op_type.c_str());
    s += line + name + (r.kernel.empty() ? "" : " [" + r.kernel + "]") + "\n";
  }
  return s;
}

std::string text_options(const BenchOptions& o) {
  const LoopLimits warm = o.warmup_limits();
  const LoopLimits meas = o.measure_limits();
  std::string s = str_cat("options    provider ", provider_name(o.provider), ", level ", o.level, ", conv ",
                          conv_algorithm_name(o.conv_algorithm), ", layout ", activation_layout_name(o.layout),
                          ", batch ", o.batch,
                          ", threads ", o.threads, " (", o.streams, " stream(s) x ", o.session_threads,
                          " session thread(s)), warmup ", warm.max_runs);
  if (!o.warmup) s += str_cat(" (or ", warm.max_seconds, " s)");
  if (o.duration_s) return s + str_cat(", duration ", *o.duration_s, " s\n");
  s += str_cat(", iterations ", meas.max_runs);
  if (!o.iterations) s += str_cat(" (or ", meas.max_seconds, " s)");
  return s + "\n";
}

}  // namespace

double BenchReport::throughput_per_s() const {
  return wall_s > 0 ? static_cast<double>(latency.count) / wall_s : 0;
}

std::string bench_json(const BenchReport& r) {
  JsonWriter w;
  w.begin_object().key("model").string(r.options->model);
  json_options(w, *r.options);
  w.key("inputs").begin_array();
  for (const InputShape& in : r.inputs) {
    w.begin_object().key("name").string(in.name).key("dtype").string(dtype_name(in.dtype));
    json_dims(w.key("dims"), in.dims);
    w.end_object();
  }
  w.end_array();
  w.key("load_ms").number(r.load_ms()).key("session_load_ms").number(r.session_load_ms);
  w.key("first_inference_ms").number(r.first_inference_ms).key("warmup_runs").integer(r.warmup_runs);
  w.key("iterations").integer(static_cast<int64_t>(r.latency.count)).key("latency_ms").begin_object();
  w.key("p50").number(r.latency.p50_ms).key("p90").number(r.latency.p90_ms).key("p99").number(r.latency.p99_ms);
  w.key("mean").number(r.latency.mean_ms).key("min").number(r.latency.min_ms).key("max").number(r.latency.max_ms);
  w.end_object().key("throughput_per_s").number(r.throughput_per_s());
  w.key("items_per_s").number(r.throughput_per_s() * static_cast<double>(r.options->batch));
  w.key("peak_rss_bytes");
  r.peak_rss_bytes ? w.integer(*r.peak_rss_bytes) : w.null();
  if (r.idle_cpu_percent) w.key("idle_cpu_percent").number(*r.idle_cpu_percent);
  if (r.profile != nullptr) json_profile(w, *r.profile);
  return w.end_object().str();
}

std::string bench_text(const BenchReport& r) {
  const LatencyStats& l = r.latency;
  std::string s = str_cat("model      ", r.options->model, "\n", text_options(*r.options));
  for (const InputShape& in : r.inputs) {
    s += str_cat("input      ", in.name, ": ", dtype_name(in.dtype), dims_to_string(in.dims), "\n");
  }
  s += str_cat("load       ", fixed(r.load_ms(), 1), " ms to first inference ready (Session::load ",
               fixed(r.session_load_ms, 1), " ms + first inference ", fixed(r.first_inference_ms, 1), " ms)\n");
  s += str_cat("latency    p50 ", fixed(l.p50_ms), " ms, p90 ", fixed(l.p90_ms), " ms, p99 ", fixed(l.p99_ms),
               " ms, mean ", fixed(l.mean_ms), " ms (", l.count, " runs after ", r.warmup_runs, " warmup)\n");
  s += str_cat("throughput ", fixed(r.throughput_per_s(), 2), " inferences/s, ",
               fixed(r.throughput_per_s() * static_cast<double>(r.options->batch), 2), " items/s\n");
  s += str_cat("peak RSS   ", r.peak_rss_bytes ? mib(*r.peak_rss_bytes) : std::string("unknown"), "\n");
  if (r.idle_cpu_percent) {
    s += str_cat("idle       ", fixed(*r.idle_cpu_percent, 3), "% of one core over ", fixed(*r.options->idle_s, 1),
                 " s with the session loaded and no requests\n");
  }
  if (r.profile != nullptr) s += text_profile(*r.profile);
  return s;
}

}  // namespace edgeserve::cli
