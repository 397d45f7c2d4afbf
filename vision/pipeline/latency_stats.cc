#include "vision/pipeline/latency_stats.h"

#include <algorithm>

namespace edgeserve::vision {

void LatencyStats::add(double ms) {
  std::lock_guard lock(mu_);
  if (window_.size() < kWindow) {
    window_.push_back(ms);
  } else {
    window_[next_] = ms;
    next_ = (next_ + 1) % kWindow;
  }
  ++count_;
  sum_ += ms;
}

LatencyStats::Summary LatencyStats::summary() const {
  std::vector<double> sorted;
  Summary s;
  {
    std::lock_guard lock(mu_);
    sorted = window_;
    s.count = count_;
    s.sum_ms = sum_;
  }
  if (sorted.empty()) return s;
  std::sort(sorted.begin(), sorted.end());
  auto at = [&](double q) { return sorted[std::min(sorted.size() - 1, static_cast<size_t>(q * sorted.size()))]; };
  s.p50_ms = at(0.5);
  s.p99_ms = at(0.99);
  s.max_ms = sorted.back();
  return s;
}

}  // namespace edgeserve::vision
