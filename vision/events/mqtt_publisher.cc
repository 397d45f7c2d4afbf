// The publisher thread: connect with backoff, pump outbox rows into the in-flight window, delete
// rows on PUBACK, and poll the broker socket together with an eventfd that notify() writes.
#include "vision/events/mqtt_publisher.h"

#include <mosquitto.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "common/strings.h"
#include "vision/events/event_id.h"

namespace edgeserve::vision {

namespace {

constexpr int kIdlePollMs = 1000;      // keepalive pings are checked at least this often
constexpr int kDrainPollMs = 20;       // while stopping: re-check the drain condition
constexpr auto kGoodbyeFlush = std::chrono::milliseconds(500);

void init_library_once() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

std::string random_client_id() { return "edgeserve-" + EventIdGenerator().next().substr(0, 8); }

}  // namespace

Result<std::unique_ptr<EventPublisher>> EventPublisher::start(MqttOptions options, Outbox* outbox) {
  if (outbox == nullptr) return invalid_argument("event publisher: no outbox given");
  EDGE_RETURN_IF_ERROR(validate_mqtt_options(options));
  EDGE_ASSIGN_OR_RETURN(MqttBrokerAddress address, parse_mqtt_uri(options.uri));
  if (options.client_id.empty()) options.client_id = random_client_id();
  init_library_once();
  const int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) return unavailable(str_cat("event publisher: eventfd: ", std::strerror(errno)));
  std::unique_ptr<EventPublisher> publisher(
      new EventPublisher(std::move(options), std::move(address), outbox));
  publisher->wake_fd_ = wake_fd;
  publisher->thread_ = std::thread([raw = publisher.get()] { raw->run(); });
  return publisher;
}

EventPublisher::EventPublisher(MqttOptions options, MqttBrokerAddress address, Outbox* outbox)
    : options_(std::move(options)),
      address_(std::move(address)),
      status_topic_(options_.topic_prefix + "/status"),
      outbox_(outbox),
      window_(options_.max_inflight) {}

EventPublisher::~EventPublisher() {
  stop(std::chrono::milliseconds(0));
  if (wake_fd_ >= 0) close(wake_fd_);
}

void EventPublisher::notify() {
  const uint64_t one = 1;
  // A full counter (EAGAIN) already means "wake up"; nothing else can fail on an eventfd.
  [[maybe_unused]] ssize_t written = write(wake_fd_, &one, sizeof(one));
}

void EventPublisher::stop(std::chrono::milliseconds drain_timeout) {
  if (stopped_) return;
  stopped_ = true;
  stop_deadline_ = (Clock::now() + drain_timeout).time_since_epoch().count();
  stop_requested_ = true;
  notify();
  if (thread_.joinable()) thread_.join();
}

EventPublisher::Stats EventPublisher::stats() const {
  return {published_.load(), acknowledged_.load(), reconnects_.load(), connected_.load(),
          outbox_->depth()};
}

void EventPublisher::run() {
  while (true) {
    const auto now = Clock::now();
    if (stop_requested_ && (drained() || now.time_since_epoch().count() >= stop_deadline_)) break;
    if (mosq_ == nullptr && now >= next_connect_at_) try_connect(now);
    if (session_up_ && !link_lost_) pump();
    wait_and_service(poll_timeout_ms(Clock::now()));
    if (mosq_ != nullptr && (link_lost_ || mosquitto_socket(mosq_) < 0)) drop_connection(Clock::now());
  }
  say_goodbye();
}

bool EventPublisher::drained() const { return outbox_->depth() == 0 && window_.in_flight() == 0; }

// A new libmosquitto client per connection: the library then holds no queue or retry state of its
// own, and what is resent after a reconnect is decided by the outbox alone.
void EventPublisher::try_connect(Clock::time_point now) {
  mosq_ = mosquitto_new(options_.client_id.c_str(), /*clean_session=*/true, this);
  if (mosq_ == nullptr) {
    drop_connection(now);
    return;
  }
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  // One more than the window: the availability message travels beside the rows.
  mosquitto_max_inflight_messages_set(mosq_, static_cast<unsigned>(options_.max_inflight + 1));
  mosquitto_will_set(mosq_, status_topic_.c_str(), 7, "offline", 1, /*retain=*/true);
  if (!address_.username.empty()) {
    mosquitto_username_pw_set(mosq_, address_.username.c_str(),
                              address_.has_password ? address_.password.c_str() : nullptr);
  }
  mosquitto_connect_callback_set(mosq_, &EventPublisher::on_connect);
  mosquitto_disconnect_callback_set(mosq_, &EventPublisher::on_disconnect);
  mosquitto_publish_callback_set(mosq_, &EventPublisher::on_publish);
  session_up_ = false;
  link_lost_ = false;
  // Blocking TCP connect, on this thread only: a refused port fails at once; an unreachable host
  // holds this thread (never the pipeline) until the kernel gives up.
  const int rc = mosquitto_connect(mosq_, address_.host.c_str(), address_.port, options_.keepalive_s);
  if (rc != MOSQ_ERR_SUCCESS) {
    if (!failure_reported_) {
      failure_reported_ = true;
      std::fprintf(stderr, "edgeserve events: MQTT broker %s: cannot connect (%s); retrying\n",
                   redact_mqtt_uri(options_.uri).c_str(), mosquitto_strerror(rc));
    }
    drop_connection(now);
  }
}

void EventPublisher::drop_connection(Clock::time_point now) {
  if (session_up_) {
    std::fprintf(stderr, "edgeserve events: MQTT broker %s: connection lost; %d messages unacknowledged\n",
                 redact_mqtt_uri(options_.uri).c_str(), window_.in_flight());
  }
  if (mosq_ != nullptr) mosquitto_destroy(mosq_);
  mosq_ = nullptr;
  session_up_ = false;
  link_lost_ = false;
  connected_ = false;
  const double delay_s = reconnect_delay_s(failures_, options_.reconnect_min_s, options_.reconnect_max_s);
  ++failures_;
  next_connect_at_ = now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(delay_s));
}

int EventPublisher::poll_timeout_ms(Clock::time_point now) const {
  if (stop_requested_) return kDrainPollMs;
  if (mosq_ != nullptr) return kIdlePollMs;
  const auto until_connect =
      std::chrono::duration_cast<std::chrono::milliseconds>(next_connect_at_ - now).count();
  return static_cast<int>(std::clamp<int64_t>(until_connect, 0, kIdlePollMs));
}

void EventPublisher::wait_and_service(int timeout_ms) {
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {-1, 0, 0}};
  const int sock = mosq_ != nullptr ? mosquitto_socket(mosq_) : -1;
  if (sock >= 0) {
    fds[1] = {sock, static_cast<short>(POLLIN | (mosquitto_want_write(mosq_) ? POLLOUT : 0)), 0};
  }
  const int ready = poll(fds, sock >= 0 ? 2 : 1, timeout_ms);
  if (ready > 0 && (fds[0].revents & POLLIN)) {
    uint64_t count = 0;
    [[maybe_unused]] ssize_t n = read(wake_fd_, &count, sizeof(count));
  }
  if (sock < 0) return;
  if (ready > 0 && (fds[1].revents & (POLLIN | POLLERR | POLLHUP))) {
    if (mosquitto_loop_read(mosq_, 1) != MOSQ_ERR_SUCCESS) {
      link_lost_ = true;
      return;
    }
  }
  if (mosquitto_socket(mosq_) >= 0 && mosquitto_want_write(mosq_) &&
      mosquitto_loop_write(mosq_, 1) != MOSQ_ERR_SUCCESS) {
    link_lost_ = true;
    return;
  }
  if (mosquitto_loop_misc(mosq_) != MOSQ_ERR_SUCCESS) link_lost_ = true;
}

// Sends the next rows in seq order while the window has room.
void EventPublisher::pump() {
  while (window_.free_slots() > 0 && !link_lost_) {
    auto rows = outbox_->read_after(window_.cursor(), window_.free_slots());
    if (!rows.is_ok()) {
      std::fprintf(stderr, "edgeserve events: %s\n", rows.status().to_string().c_str());
      return;
    }
    if (rows->empty()) return;
    for (const OutboxMessage& row : *rows) {
      int mid = 0;
      const int rc = mosquitto_publish(mosq_, &mid, row.topic.c_str(), static_cast<int>(row.payload.size()),
                                       row.payload.data(), options_.qos, row.retain);
      if (rc != MOSQ_ERR_SUCCESS) {
        link_lost_ = true;
        return;
      }
      ++published_;
      if (options_.qos == 0) {
        // At most once: nothing will acknowledge it, so it leaves the outbox once sent.
        (void)outbox_->remove(row.seq);
        window_.on_sent(row.seq, mid);
        (void)window_.on_acked(mid);
        ++acknowledged_;
      } else {
        window_.on_sent(row.seq, mid);
      }
    }
  }
}

void EventPublisher::publish_status(const char* state) {
  mosquitto_publish(mosq_, nullptr, status_topic_.c_str(), static_cast<int>(std::strlen(state)), state,
                    1, /*retain=*/true);
}

void EventPublisher::say_goodbye() {
  if (mosq_ != nullptr && session_up_ && !link_lost_) {
    publish_status("offline");
    mosquitto_disconnect(mosq_);
    const auto deadline = Clock::now() + kGoodbyeFlush;
    while (mosquitto_socket(mosq_) >= 0 && mosquitto_want_write(mosq_) && Clock::now() < deadline) {
      pollfd fd = {mosquitto_socket(mosq_), POLLOUT, 0};
      poll(&fd, 1, 50);
      if (mosquitto_loop_write(mosq_, 1) != MOSQ_ERR_SUCCESS) break;
    }
  }
  if (mosq_ != nullptr) mosquitto_destroy(mosq_);
  mosq_ = nullptr;
  connected_ = false;
}

void EventPublisher::on_connect(struct mosquitto*, void* self, int rc) {
  auto* p = static_cast<EventPublisher*>(self);
  if (rc != 0) {
    std::fprintf(stderr, "edgeserve events: MQTT broker %s refused the connection: %s\n",
                 redact_mqtt_uri(p->options_.uri).c_str(), mosquitto_connack_string(rc));
    p->link_lost_ = true;
    return;
  }
  if (p->ever_connected_) ++p->reconnects_;
  p->ever_connected_ = true;
  p->session_up_ = true;
  p->connected_ = true;
  p->failures_ = 0;
  p->failure_reported_ = false;
  p->window_.on_new_connection();
  p->publish_status("online");
}

void EventPublisher::on_disconnect(struct mosquitto*, void* self, int) {
  auto* p = static_cast<EventPublisher*>(self);
  p->connected_ = false;
  p->link_lost_ = true;
}

void EventPublisher::on_publish(struct mosquitto*, void* self, int mid) {
  auto* p = static_cast<EventPublisher*>(self);
  const std::optional<int64_t> seq = p->window_.on_acked(mid);
  if (!seq) return;
  Status removed = p->outbox_->remove(*seq);
  if (!removed.is_ok()) {
    // The row stays and is sent again after the next reconnect: a duplicate, not a loss.
    std::fprintf(stderr, "edgeserve events: %s\n", removed.to_string().c_str());
    return;
  }
  ++p->acknowledged_;
}

}  // namespace edgeserve::vision
