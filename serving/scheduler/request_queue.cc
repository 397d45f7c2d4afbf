// RequestQueue: priority levels as deques (the last one holds requests DELAYed by a timeout),
// a flattened front view for the batch policy, and a condition variable for the instance
// threads. Callbacks never run under the lock: expired requests are handed out to the caller.
#include "serving/scheduler/request_queue.h"

#include <algorithm>
#include <string>

namespace edgeserve::serving {

RequestQueue::RequestQueue(BatchPolicy batch, QueuePolicy queue)
    : batch_(std::move(batch)), policy_(queue), levels_(static_cast<size_t>(std::max(1, queue.priority_levels)) + 1) {}

Status RequestQueue::push(std::unique_ptr<PendingRequest>& r, TimePoint now) {
  const int levels = std::max(1, policy_.priority_levels);
  const int priority = r->request.priority == 0 ? policy_.default_priority_level : r->request.priority;
  if (priority < 1 || priority > levels) {
    return invalid_argument("request priority " + std::to_string(r->request.priority) + " is outside [1, " +
                            std::to_string(levels) + "] (the model's priority_levels)");
  }
  std::chrono::microseconds timeout = policy_.default_timeout;
  if (r->request.timeout_us > 0 && policy_.allow_timeout_override) {
    timeout = std::chrono::microseconds(r->request.timeout_us);
  }
  r->level = priority - 1;
  r->enqueued = now;
  r->deadline = timeout.count() > 0 ? now + timeout : TimePoint::max();
  {
    std::lock_guard lock(mu_);
    if (closed_) return unavailable("the model is shutting down");
    auto& level = levels_[static_cast<size_t>(r->level)];
    if (static_cast<int64_t>(level.size()) >= policy_.max_queue_size) {
      return unavailable("the model's queue is full (" + std::to_string(policy_.max_queue_size) +
                         " requests waiting at priority " + std::to_string(priority) + "); retry later");
    }
    level.push_back(std::move(r));
    ++size_;
  }
  cv_.notify_all();
  return Status::ok();
}

bool RequestQueue::empty_locked() const { return size_ == 0; }

std::vector<QueuedRequestView> RequestQueue::front_view() const {
  // The policy never looks past max_batch_size + 1 requests: enough to know whether more fit.
  const size_t limit = static_cast<size_t>(std::max(1, batch_.max_batch_size)) + 1;
  std::vector<QueuedRequestView> view;
  for (const auto& level : levels_) {
    for (const auto& r : level) {
      if (view.size() == limit) return view;
      view.push_back({r->rows, r->shape_key, r->enqueued});
    }
  }
  return view;
}

void RequestQueue::take_expired(TimePoint now, std::vector<std::unique_ptr<PendingRequest>>* expired) {
  const size_t delayed = levels_.size() - 1;
  for (size_t l = 0; l < delayed; ++l) {
    auto& level = levels_[l];
    for (auto it = level.begin(); it != level.end();) {
      if ((*it)->deadline > now) {
        ++it;
        continue;
      }
      if (policy_.timeout_action == TimeoutAction::kReject) {
        expired->push_back(std::move(*it));
        --size_;
      } else {
        (*it)->deadline = TimePoint::max();  // DELAY: served after every non-expired request
        levels_[delayed].push_back(std::move(*it));
      }
      it = level.erase(it);
    }
  }
}

std::vector<std::unique_ptr<PendingRequest>> RequestQueue::take_front(int count) {
  std::vector<std::unique_ptr<PendingRequest>> out;
  for (auto& level : levels_) {
    while (!level.empty() && static_cast<int>(out.size()) < count) {
      out.push_back(std::move(level.front()));
      level.pop_front();
      --size_;
    }
  }
  return out;
}

PoppedBatch RequestQueue::pop_batch() {
  PoppedBatch out;
  std::unique_lock lock(mu_);
  for (;;) {
    const TimePoint now = Clock::now();
    take_expired(now, &out.expired);
    if (!out.expired.empty()) return out;
    if (empty_locked() && closed_) {
      out.closed = true;
      return out;
    }
    const std::vector<QueuedRequestView> view = front_view();
    BatchDecision d = decide_batch(view, closed_ ? TimePoint::max() : now, batch_);
    if (d.kind == BatchDecision::Kind::kDispatch) {
      out.batch = take_front(d.count);
      return out;
    }
    if (d.kind == BatchDecision::Kind::kIdle) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, d.wake_at);
    }
  }
}

void RequestQueue::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

int64_t RequestQueue::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

}  // namespace edgeserve::serving
