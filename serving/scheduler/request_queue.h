// RequestQueue: one model version's bounded, prioritised request queue, and the only place in
// serving that locks. Transports push (admission never blocks: a full queue refuses at once);
// the model's instance threads pop batches as the batch policy decides.
//
// Threading: every method is thread-safe. pop_batch() blocks; close() wakes every waiter.
// Ownership: the queue owns a request from a successful push until pop_batch hands it out.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "edgeserve/status.h"
#include "serving/api/infer_types.h"
#include "serving/scheduler/batch_policy.h"

namespace edgeserve::serving {

// A request waiting in a queue: the decoded request, its completion, and what scheduling needs.
struct PendingRequest {
  InferRequest request;
  std::function<void(Result<InferResponse>)> done;
  int64_t rows = 1;
  uint64_t shape_key = 0;
  int level = 0;                          // priority level index, 0 = highest
  TimePoint admitted{};                   // when the server accepted it (for request duration)
  TimePoint enqueued{};
  TimePoint deadline = TimePoint::max();  // queue timeout
};

enum class TimeoutAction { kReject, kDelay };

struct QueuePolicy {
  int priority_levels = 1;                 // >= 1; level 1 is served first
  int default_priority_level = 1;          // 1-based, as in config.pbtxt
  int64_t max_queue_size = 64;             // per level; never unbounded
  std::chrono::microseconds default_timeout{0};  // 0 = none
  bool allow_timeout_override = true;
  TimeoutAction timeout_action = TimeoutAction::kReject;
};

struct PoppedBatch {
  std::vector<std::unique_ptr<PendingRequest>> batch;    // run these together
  std::vector<std::unique_ptr<PendingRequest>> expired;  // timed out in the queue (REJECT)
  bool closed = false;                                   // the queue is closed and empty
};

class RequestQueue {
 public:
  RequestQueue(BatchPolicy batch, QueuePolicy queue);

  // Places the request by its priority (request.priority, 1-based; 0 = default) and sets its
  // deadline. UNAVAILABLE when that level is full or the queue is closed; INVALID_ARGUMENT for
  // a priority outside [1, priority_levels]. On failure `r` still owns the request.
  Status push(std::unique_ptr<PendingRequest>& r, TimePoint now);

  // Blocks until a batch is due (per decide_batch), requests expired, or the queue is closed
  // and empty. After close(), what is queued is dispatched without waiting for batch delays.
  PoppedBatch pop_batch();

  void close();
  int64_t size() const;

 private:
  std::vector<QueuedRequestView> front_view() const;
  void take_expired(TimePoint now, std::vector<std::unique_ptr<PendingRequest>>* expired);
  std::vector<std::unique_ptr<PendingRequest>> take_front(int count);
  bool empty_locked() const;

  const BatchPolicy batch_;
  const QueuePolicy policy_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::deque<std::unique_ptr<PendingRequest>>> levels_;  // + one for DELAYed requests
  int64_t size_ = 0;
  bool closed_ = false;
};

}  // namespace edgeserve::serving
