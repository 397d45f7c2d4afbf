// RateMeter: see rate_meter.h.
#include "vision/source/rate_meter.h"

#include <algorithm>

namespace edgeserve::vision {

void RateMeter::record(Clock::time_point when) {
  times_[count_ % kWindow] = when;
  ++count_;
}

double RateMeter::rate_per_s(Clock::time_point now) const {
  if (count_ < 2) return 0;
  const Clock::time_point newest = times_[(count_ - 1) % kWindow];
  if (now - newest > kIdleAfter) return 0;
  const size_t n = std::min(count_, kWindow);
  const Clock::time_point oldest = times_[(count_ - n) % kWindow];
  const double span_s = std::chrono::duration<double>(newest - oldest).count();
  return span_s > 0 ? static_cast<double>(n - 1) / span_s : 0;
}

}  // namespace edgeserve::vision
