// In-flight bookkeeping and reconnect backoff for the event publisher.
#include "vision/events/publish_window.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace edgeserve::vision {

int PublishWindow::free_slots() const { return std::max(0, max_inflight_ - in_flight()); }

void PublishWindow::on_sent(int64_t seq, int mid) {
  assert(seq > cursor_ && "rows are sent in ascending seq");
  cursor_ = seq;
  seq_by_mid_[mid] = seq;
}

std::optional<int64_t> PublishWindow::on_acked(int mid) {
  auto it = seq_by_mid_.find(mid);
  if (it == seq_by_mid_.end()) return std::nullopt;
  const int64_t seq = it->second;
  seq_by_mid_.erase(it);
  return seq;
}

void PublishWindow::on_new_connection() {
  seq_by_mid_.clear();
  cursor_ = 0;
}

double reconnect_delay_s(int failures, double min_s, double max_s) {
  const int doublings = std::clamp(failures, 0, 30);  // 2^30 * min is past any sane max
  return std::min(max_s, min_s * std::ldexp(1.0, doublings));
}

}  // namespace edgeserve::vision
