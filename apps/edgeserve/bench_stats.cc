// Percentiles and mean of measured latencies.
#include "apps/edgeserve/bench_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace edgeserve::cli {

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = rank - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

LatencyStats summarize_latencies(std::vector<double> latencies_ms) {
  LatencyStats s;
  if (latencies_ms.empty()) return s;
  std::sort(latencies_ms.begin(), latencies_ms.end());
  s.count = latencies_ms.size();
  s.p50_ms = percentile(latencies_ms, 50);
  s.p90_ms = percentile(latencies_ms, 90);
  s.p99_ms = percentile(latencies_ms, 99);
  s.mean_ms = std::accumulate(latencies_ms.begin(), latencies_ms.end(), 0.0) / static_cast<double>(s.count);
  s.min_ms = latencies_ms.front();
  s.max_ms = latencies_ms.back();
  return s;
}

}  // namespace edgeserve::cli
