// Rendering of `edgeserve perf` results as text and as JSON.
#include "apps/edgeserve/perf_report.h"

#include <cstdio>

#include "common/json_writer.h"
#include "common/strings.h"

namespace edgeserve::cli {

namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

std::string load_text(const PerfOptions& o) {
  return o.load == PerfLoad::kRate ? str_cat("rate ", fixed(o.rate_per_s, 1), "/s (open loop)")
                                   : str_cat("concurrency ", o.concurrency, " (closed loop)");
}

void json_options(JsonWriter& w, const PerfOptions& o) {
  w.key("options").begin_object();
  w.key("url").string(o.url()).key("model").string(o.model).key("model_version").string(o.model_version);
  w.key("protocol").string(perf_protocol_name(o.protocol));
  w.key("inputs").string(o.protocol == PerfProtocol::kGrpc ? "raw" : o.binary_inputs ? "binary" : "json");
  w.key("mode").string(o.load == PerfLoad::kRate ? "rate" : "concurrency");
  if (o.load == PerfLoad::kRate) {
    w.key("rate_per_s").number(o.rate_per_s).key("max_outstanding").integer(o.max_outstanding);
  } else {
    w.key("concurrency").integer(o.concurrency);
  }
  w.key("duration_s").number(o.duration_s).key("warmup_s").number(o.warmup_s);
  w.key("batch").integer(o.batch).key("timeout_ms").integer(o.timeout_ms);
  w.end_object();
}

void json_latency(JsonWriter& w, const LatencyStats& l) {
  w.key("latency_ms").begin_object();
  w.key("p50").number(l.p50_ms).key("p90").number(l.p90_ms).key("p99").number(l.p99_ms);
  w.key("mean").number(l.mean_ms).key("min").number(l.min_ms).key("max").number(l.max_ms);
  w.end_object();
}

void json_errors(JsonWriter& w, const PerfResult& r) {
  w.key("errors").begin_array();
  for (const auto& [kind, tally] : r.errors) {
    w.begin_object().key("kind").string(kind).key("count").integer(tally.count);
    w.key("first_message").string(tally.first_message).end_object();
  }
  w.end_array();
}

}  // namespace

double PerfReport::requests_per_s() const {
  return result->measured_s > 0 ? static_cast<double>(result->ok) / result->measured_s : 0;
}

double PerfReport::inferences_per_s() const { return requests_per_s() * static_cast<double>(options->batch); }

std::string perf_json(const PerfReport& report) {
  const PerfResult& r = *report.result;
  JsonWriter w;
  w.begin_object();
  json_options(w, *report.options);
  w.key("measured_s").number(r.measured_s);
  w.key("requests_ok").integer(r.ok).key("requests_failed").integer(r.error_count());
  w.key("requests_per_s").number(report.requests_per_s()).key("inferences_per_s").number(report.inferences_per_s());
  json_latency(w, report.latency);
  json_errors(w, r);
  w.end_object();
  return w.str();
}

std::string perf_text(const PerfReport& report) {
  const PerfOptions& o = *report.options;
  const PerfResult& r = *report.result;
  const LatencyStats& l = report.latency;
  const char* inputs = o.protocol == PerfProtocol::kGrpc ? "raw" : o.binary_inputs ? "binary" : "JSON";
  std::string s = str_cat("perf       ", o.model, o.model_version.empty() ? "" : " version ", o.model_version,
                          " at ", o.url(), " over ", perf_protocol_name(o.protocol), " (", inputs, " inputs), ",
                          load_text(o), ", batch ", o.batch, "\n");
  s += str_cat("window     ", fixed(r.measured_s, 1), " s after ", fixed(o.warmup_s, 1), " s of warm-up\n");
  s += str_cat("requests   ", r.ok, " ok, ", r.error_count(), " failed\n");
  s += str_cat("throughput ", fixed(report.inferences_per_s(), 1), " inferences/s (", fixed(report.requests_per_s(), 1),
               " requests/s)\n");
  if (l.count == 0) {
    s += "latency    none: no request succeeded\n";
  } else {
    s += str_cat("latency    p50 ", fixed(l.p50_ms, 3), " ms  p90 ", fixed(l.p90_ms, 3), " ms  p99 ", fixed(l.p99_ms, 3),
                 " ms  mean ", fixed(l.mean_ms, 3), " ms  max ", fixed(l.max_ms, 3), " ms\n");
  }
  for (const auto& [kind, tally] : r.errors) {
    s += str_cat("error      ", kind, ": ", tally.count, " (first: ", tally.first_message, ")\n");
  }
  return s;
}

}  // namespace edgeserve::cli
