// Latency of one pipeline stage: count and sum since start plus the last kWindow samples for
// percentiles, so memory stays fixed however long the pipeline runs.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

namespace edgeserve::vision {

class LatencyStats {
 public:
  static constexpr size_t kWindow = 4096;
  void add(double ms);
  struct Summary {
    int64_t count = 0;
    double sum_ms = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    double max_ms = 0;
  };
  Summary summary() const;  // percentiles over the window

 private:
  mutable std::mutex mu_;
  std::vector<double> window_;
  size_t next_ = 0;
  int64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace edgeserve::vision
