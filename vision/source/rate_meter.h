// The recent rate of an event (frames delivered per second) over the last few events, reading
// 0 once the events have stopped for a while. Pure: times are passed in. Not thread-safe; the
// owner locks.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>

namespace edgeserve::vision {

class RateMeter {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kWindow = 32;                   // events averaged over
  static constexpr std::chrono::seconds kIdleAfter{2};    // no event for this long -> rate 0

  void record(Clock::time_point when);
  double rate_per_s(Clock::time_point now) const;

 private:
  std::array<Clock::time_point, kWindow> times_{};  // ring buffer of the last kWindow events
  size_t count_ = 0;                                // events recorded, total
};

}  // namespace edgeserve::vision
