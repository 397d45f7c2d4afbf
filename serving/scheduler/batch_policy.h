// The dynamic batcher's decision as a pure function of (queue view, now, policy): dispatch the
// first N requests, or wait until T. No clock, no locks: RequestQueue calls it under its lock
// and tests call it with a fake clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

namespace edgeserve::serving {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

struct BatchPolicy {
  int max_batch_size = 0;                // rows per engine run; 0 = the model is never batched
  bool dynamic_batching = false;         // off: every request runs alone as soon as possible
  std::vector<int> preferred_batch_sizes;  // ascending; dispatch at once when reached
  std::chrono::microseconds max_queue_delay{0};  // how long the oldest request may wait for more
};

// What the policy sees of one queued request, in dispatch order (priority, then arrival).
struct QueuedRequestView {
  int64_t rows = 1;           // the request's batch dim (1 for a model that is not batched)
  uint64_t shape_key = 0;     // requests batch together only with equal non-batch dims
  TimePoint enqueued;
};

struct BatchDecision {
  enum class Kind { kIdle, kDispatch, kWait };
  Kind kind = Kind::kIdle;
  int count = 0;          // kDispatch: how many requests from the front
  TimePoint wake_at{};    // kWait: decide again at this time (or when the queue changes)
};

BatchDecision decide_batch(std::span<const QueuedRequestView> queue, TimePoint now, const BatchPolicy& policy);

}  // namespace edgeserve::serving
