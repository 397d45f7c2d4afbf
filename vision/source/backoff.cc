// Backoff: see backoff.h.
#include "vision/source/backoff.h"

#include <algorithm>

namespace edgeserve::vision {

double Backoff::next_delay_s() {
  const double delay = next_s_;
  next_s_ = std::min(max_s_, next_s_ * 2);
  return delay;
}

}  // namespace edgeserve::vision
