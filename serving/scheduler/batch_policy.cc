// Dynamic batching policy: gather the longest compatible prefix that fits max_batch_size;
// dispatch when it is full (or the next request cannot join), when it is a preferred size, or when
// the oldest request has waited max_queue_delay; otherwise wait for the delay to run out.
#include "serving/scheduler/batch_policy.h"

#include <algorithm>

namespace edgeserve::serving {
namespace {

struct Prefix {
  int count = 0;
  int64_t rows = 0;
  bool blocked = false;  // the next request does not fit (size or shape): nothing more can join
};

Prefix fitting_prefix(std::span<const QueuedRequestView> queue, int64_t max_rows) {
  Prefix p;
  for (const QueuedRequestView& r : queue) {
    if (p.count > 0 && (r.shape_key != queue.front().shape_key || p.rows + r.rows > max_rows)) {
      p.blocked = true;
      break;
    }
    p.rows += r.rows;
    ++p.count;
  }
  return p;
}

bool is_preferred(const BatchPolicy& policy, int64_t rows) {
  return std::find(policy.preferred_batch_sizes.begin(), policy.preferred_batch_sizes.end(), rows) !=
         policy.preferred_batch_sizes.end();
}

BatchDecision dispatch(int count) { return {BatchDecision::Kind::kDispatch, count, {}}; }

}  // namespace

BatchDecision decide_batch(std::span<const QueuedRequestView> queue, TimePoint now, const BatchPolicy& policy) {
  if (queue.empty()) return {};
  if (policy.max_batch_size <= 0 || !policy.dynamic_batching) return dispatch(1);
  const Prefix p = fitting_prefix(queue, policy.max_batch_size);
  // A request alone bigger than max_batch_size was refused at admission; if one slips through
  // it still runs alone rather than blocking the queue.
  if (p.blocked || p.rows >= policy.max_batch_size) return dispatch(p.count);
  if (is_preferred(policy, p.rows)) return dispatch(p.count);
  const TimePoint deadline = queue.front().enqueued + policy.max_queue_delay;
  if (now >= deadline) return dispatch(p.count);
  return {BatchDecision::Kind::kWait, 0, deadline};
}

}  // namespace edgeserve::serving
