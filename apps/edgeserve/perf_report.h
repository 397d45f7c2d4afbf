// What `edgeserve perf` measured, rendered as a human-readable report or as one JSON object
// (--json-report). Pure formatting.
#pragma once

#include <string>

#include "apps/edgeserve/bench_stats.h"
#include "apps/edgeserve/perf_options.h"
#include "apps/edgeserve/perf_runner.h"

namespace edgeserve::cli {

struct PerfReport {
  const PerfOptions* options = nullptr;
  const PerfResult* result = nullptr;
  LatencyStats latency;  // of result->latencies_ms

  double requests_per_s() const;
  double inferences_per_s() const;  // requests * batch per second
};

// One JSON object, no trailing newline.
std::string perf_json(const PerfReport& report);
// Several lines.
std::string perf_text(const PerfReport& report);

}  // namespace edgeserve::cli
