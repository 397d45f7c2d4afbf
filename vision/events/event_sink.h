// EventSink is what the pipeline calls with each frame's count events: it gives every event a
// unique id, turns it into MQTT messages, commits them to the outbox in one transaction, appends
// the events to an optional JSON-lines file, and wakes the publisher. It never touches the network.
//
// Messages per event, in this order within a frame (topics in vision/events/README.md):
//   <prefix>/events                       the event (not retained)
// then, once per zone or line touched by the frame, its state after the frame's last event on it:
//   <prefix>/<source>/<zone>/occupancy    retained, zone events
//   <prefix>/<source>/<line>/crossings    retained, line crossings
// Source, zone and line names become topic levels with '/', '+', '#' (and NUL) replaced by '_'.
//
// Threading: publish() may be called from several threads (calls are serialized).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "vision/base/event.h"
#include "vision/events/event_id.h"
#include "vision/events/mqtt_publisher.h"
#include "vision/events/outbox.h"

namespace edgeserve::vision {

class EventSink {
 public:
  // `outbox` must outlive the sink; `publisher` may be null (no broker configured: the outbox
  // keeps the messages for a later run with one). `outbox` may be null too when `publisher` is:
  // events then only get ids and go to the JSON-lines file. An empty `jsonl_path` writes no file; otherwise
  // it is opened for appending now, and an error names it.
  static Result<std::unique_ptr<EventSink>> create(Outbox* outbox, EventPublisher* publisher,
                                                   std::string topic_prefix, std::string jsonl_path);
  ~EventSink();
  EventSink(const EventSink&) = delete;
  EventSink& operator=(const EventSink&) = delete;

  // One frame's events. Outbox full: kResourceExhausted and the frame's events are dropped (and
  // counted in dropped_events()); nothing else is written for them.
  Status publish(const std::vector<CountEvent>& events);

  int64_t published_events() const;
  int64_t dropped_events() const;

 private:
  EventSink(Outbox* outbox, EventPublisher* publisher, std::string topic_prefix, std::string jsonl_path)
      : outbox_(outbox), publisher_(publisher), prefix_(std::move(topic_prefix)),
        jsonl_path_(std::move(jsonl_path)) {}
  std::vector<OutboxMessage> messages_for(const std::vector<CountEvent>& events,
                                          const std::vector<std::string>& ids) const;
  Status append_jsonl(const std::vector<CountEvent>& events, const std::vector<std::string>& ids);

  Outbox* outbox_;
  EventPublisher* publisher_;
  const std::string prefix_;
  const std::string jsonl_path_;
  std::FILE* jsonl_ = nullptr;
  EventIdGenerator ids_;
  mutable std::mutex mutex_;
  int64_t published_ = 0;
  int64_t dropped_ = 0;
};

// A name as one MQTT topic level: '/', '+', '#' and NUL become '_'; an empty name becomes "_".
std::string topic_level(const std::string& name);

}  // namespace edgeserve::vision
