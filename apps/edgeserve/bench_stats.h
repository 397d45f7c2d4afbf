// Latency statistics for `edgeserve bench`. bench/ort_bench.mjs computes the same figures the
// same way, so the two sides of bench/compare_ort.sh are comparable.
#pragma once

#include <cstddef>
#include <vector>

namespace edgeserve::cli {

struct LatencyStats {
  size_t count = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double mean_ms = 0;
  double min_ms = 0;
  double max_ms = 0;
};

// The p-th percentile (0..100) of ascending `sorted` values, interpolating linearly between the
// two closest ranks (NumPy's default): with few samples p99 then lies between the two slowest runs
// instead of snapping to the slowest one. 0 for an empty vector.
double percentile(const std::vector<double>& sorted, double p);

LatencyStats summarize_latencies(std::vector<double> latencies_ms);

}  // namespace edgeserve::cli
