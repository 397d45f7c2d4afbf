// What `edgeserve bench` measured, and its two renderings: a human-readable report and one JSON
// object (--json) whose keys bench/ort_bench.mjs shares for the ONNX Runtime side.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "apps/edgeserve/bench_inputs.h"
#include "apps/edgeserve/bench_options.h"
#include "apps/edgeserve/bench_profile.h"
#include "apps/edgeserve/bench_stats.h"

namespace edgeserve::cli {

struct BenchReport {
  const BenchOptions* options = nullptr;
  std::vector<InputShape> inputs;
  double session_load_ms = 0;      // Session::load alone
  double first_inference_ms = 0;   // the first run after loading
  int64_t warmup_runs = 0;
  LatencyStats latency;
  double wall_s = 0;               // of the measured runs
  std::optional<int64_t> peak_rss_bytes;
  std::optional<double> idle_cpu_percent;  // with --idle-s: CPU used while idle, % of one core
  const ProfileTotals* profile = nullptr;  // set with --profile

  // File to first inference ready: load plus the first run (random input making excluded).
  double load_ms() const { return session_load_ms + first_inference_ms; }
  double throughput_per_s() const;
};

// One JSON object, no trailing newline.
std::string bench_json(const BenchReport& report);
// The human-readable report, several lines.
std::string bench_text(const BenchReport& report);

}  // namespace edgeserve::cli
