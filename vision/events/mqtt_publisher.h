// EventPublisher drains an Outbox to an MQTT broker with libmosquitto: rows go out in seq order at
// the configured QoS and are deleted only on the broker's acknowledgement (PUBACK for QoS 1).
//
// Threading: one thread of its own owns the libmosquitto client, the socket and the in-flight
// window; notify(), stats() and stop() may be called from any thread and never wait on the network
// (stop() waits at most its drain timeout, plus one blocking TCP connect if one is under way).
//
// Delivery: every connection is a fresh clean session (a new libmosquitto client), so the client
// library keeps no queue of its own; after any reconnect the publisher resends every row that is
// still in the outbox, oldest first, and sends no row twice on one connection. A row is duplicated
// only when the broker received it but its PUBACK was lost with the connection (the broker died
// between forwarding and acknowledging, or this process was killed between PUBACK and the delete);
// that window is inherent to QoS 1, and consumers de-duplicate by event id. A broker stopped with
// SIGTERM acknowledges what it has read before it closes, so it causes no duplicates.
//
// Availability: `<prefix>/status` is "online" (retained, QoS 1) after each connect, "offline" on
// stop(), and the same "offline" is the connection's last will for a crash or a lost link.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>

#include "common/status.h"
#include "vision/events/mqtt_options.h"
#include "vision/events/outbox.h"
#include "vision/events/publish_window.h"

struct mosquitto;

namespace edgeserve::vision {

class EventPublisher {
 public:
  // Checks the options (errors name the field or the URI) and starts the thread; the first
  // connection is tried at once, in the background. `outbox` must outlive the publisher.
  static Result<std::unique_ptr<EventPublisher>> start(MqttOptions options, Outbox* outbox);
  ~EventPublisher();  // stop(0) if not stopped
  EventPublisher(const EventPublisher&) = delete;
  EventPublisher& operator=(const EventPublisher&) = delete;

  // New rows were appended to the outbox: wake the thread. Never blocks.
  void notify();
  // Keeps publishing until the outbox is empty and acknowledged or `drain_timeout` passed, then
  // publishes "offline" and disconnects cleanly. Rows left stay in the outbox for the next run.
  void stop(std::chrono::milliseconds drain_timeout);

  struct Stats {
    int64_t published = 0;     // PUBLISH packets sent, resends included
    int64_t acknowledged = 0;  // rows acknowledged by the broker and deleted
    int64_t reconnects = 0;    // successful connections after the first
    bool connected = false;
    int64_t outbox_depth = 0;
  };
  Stats stats() const;

 private:
  using Clock = std::chrono::steady_clock;
  EventPublisher(MqttOptions options, MqttBrokerAddress address, Outbox* outbox);

  void run();
  void try_connect(Clock::time_point now);
  void drop_connection(Clock::time_point now);
  void wait_and_service(int timeout_ms);
  int poll_timeout_ms(Clock::time_point now) const;
  void pump();
  bool drained() const;
  void say_goodbye();
  void publish_status(const char* state);

  static void on_connect(struct mosquitto*, void* self, int rc);
  static void on_disconnect(struct mosquitto*, void* self, int rc);
  static void on_publish(struct mosquitto*, void* self, int mid);

  const MqttOptions options_;
  const MqttBrokerAddress address_;
  const std::string status_topic_;
  Outbox* outbox_;
  int wake_fd_ = -1;  // eventfd: notify() and stop() wake the poll
  std::thread thread_;

  // Publisher thread only.
  struct mosquitto* mosq_ = nullptr;
  bool session_up_ = false;  // CONNACK accepted on the current client
  bool link_lost_ = false;
  bool ever_connected_ = false;
  int failures_ = 0;
  bool failure_reported_ = false;  // one log line per streak of failed connects
  Clock::time_point next_connect_at_{};
  PublishWindow window_;

  // Shared.
  std::atomic<bool> stop_requested_{false};
  std::atomic<Clock::rep> stop_deadline_{0};
  std::atomic<int64_t> published_{0}, acknowledged_{0}, reconnects_{0};
  std::atomic<bool> connected_{false};
  bool stopped_ = false;  // set by stop(), which is not re-entrant
};

}  // namespace edgeserve::vision
