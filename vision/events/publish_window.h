// The publisher's bookkeeping of which outbox rows are on the wire, and its reconnect backoff: pure
// state and arithmetic, no sockets or clocks, so that ordering and resend rules are tested alone.
// Not thread-safe: owned by the publisher thread.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>

namespace edgeserve::vision {

class PublishWindow {
 public:
  explicit PublishWindow(int max_inflight) : max_inflight_(max_inflight) {}

  // Rows with seq > cursor() have not been sent on this connection; read them next, in order.
  int64_t cursor() const { return cursor_; }
  // How many more rows may go on the wire before a PUBACK comes back.
  int free_slots() const;
  int in_flight() const { return static_cast<int>(seq_by_mid_.size()); }

  // Row `seq` went out as MQTT message id `mid`. Rows must be sent in ascending seq.
  void on_sent(int64_t seq, int mid);
  // The broker acknowledged `mid`: returns the row to delete, or nothing for a message this window
  // did not send (the availability message) or an unknown id.
  std::optional<int64_t> on_acked(int mid);
  // A new connection (clean session: the broker kept nothing): whatever was in flight is sent
  // again, starting from the oldest row still stored. Rows acknowledged before were deleted, so
  // starting over from seq 0 resends exactly the unacknowledged ones, in order.
  void on_new_connection();

 private:
  int max_inflight_;
  int64_t cursor_ = 0;
  std::unordered_map<int, int64_t> seq_by_mid_;
};

// Seconds to wait before connection attempt number `failures` + 1: reconnect_min_s doubled per
// failure, capped at reconnect_max_s (0 failures: min).
double reconnect_delay_s(int failures, double min_s, double max_s);

}  // namespace edgeserve::vision
