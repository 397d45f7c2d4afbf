// Reconnect delays for live sources: exponential from min to max, back to min after a good frame.
// Pure (no clock, no sleep), so the schedule is tested directly.
#pragma once

namespace edgeserve::vision {

class Backoff {
 public:
  Backoff(double min_s, double max_s) : min_s_(min_s), max_s_(max_s), next_s_(min_s) {}
  // The delay before the next attempt; each call doubles the one after, up to max.
  double next_delay_s();
  void reset() { next_s_ = min_s_; }

 private:
  double min_s_;
  double max_s_;
  double next_s_;
};

}  // namespace edgeserve::vision
