// Events -> ids -> outbox rows (one transaction) -> JSON lines -> wake the publisher.
#include "vision/events/event_sink.h"

#include <cerrno>
#include <cstring>
#include <map>

#include "common/strings.h"
#include "vision/events/event_json.h"

namespace edgeserve::vision {

std::string topic_level(const std::string& name) {
  if (name.empty()) return "_";
  std::string level = name;
  for (char& c : level) {
    if (c == '/' || c == '+' || c == '#' || c == '\0') c = '_';
  }
  return level;
}

Result<std::unique_ptr<EventSink>> EventSink::create(Outbox* outbox, EventPublisher* publisher,
                                                     std::string topic_prefix, std::string jsonl_path) {
  if (outbox == nullptr && publisher != nullptr) return invalid_argument("event sink: a publisher needs an outbox");
  if (topic_prefix.empty() || topic_prefix.find_first_of("+#") != std::string::npos) {
    return invalid_argument(str_cat("event sink: topic prefix '", topic_prefix,
                                    "' must be non-empty and hold no '+' or '#'"));
  }
  std::unique_ptr<EventSink> sink(
      new EventSink(outbox, publisher, std::move(topic_prefix), std::move(jsonl_path)));
  if (!sink->jsonl_path_.empty()) {
    sink->jsonl_ = std::fopen(sink->jsonl_path_.c_str(), "a");
    if (sink->jsonl_ == nullptr) {
      return unavailable(str_cat("events file '", sink->jsonl_path_, "': cannot open for appending: ",
                                 std::strerror(errno)));
    }
  }
  return sink;
}

EventSink::~EventSink() {
  if (jsonl_ != nullptr) std::fclose(jsonl_);
}

std::vector<OutboxMessage> EventSink::messages_for(const std::vector<CountEvent>& events,
                                                   const std::vector<std::string>& ids) const {
  std::vector<OutboxMessage> messages;
  messages.reserve(events.size() * 2);
  // Retained state: only the last event per (source, zone or line) in the frame matters, since
  // each one carries the cumulative counts.
  std::map<std::string, size_t> last_event_by_topic;
  std::vector<std::string> state_topics;  // in order of first appearance
  for (size_t i = 0; i < events.size(); ++i) {
    const CountEvent& e = events[i];
    messages.push_back({0, ids[i], prefix_ + "/events", event_json(e, ids[i]), false});
    const bool line = e.kind == EventKind::kLineCrossing;
    const std::string topic =
        str_cat(prefix_, "/", topic_level(e.source), "/", topic_level(e.name), line ? "/crossings" : "/occupancy");
    if (last_event_by_topic.find(topic) == last_event_by_topic.end()) state_topics.push_back(topic);
    last_event_by_topic[topic] = i;
  }
  for (const std::string& topic : state_topics) {
    const size_t i = last_event_by_topic[topic];
    const CountEvent& e = events[i];
    const bool line = e.kind == EventKind::kLineCrossing;
    messages.push_back({0, ids[i] + (line ? "/crossings" : "/occupancy"), topic,
                        line ? line_state_json(e, ids[i]) : zone_state_json(e, ids[i]), true});
  }
  return messages;
}

Status EventSink::append_jsonl(const std::vector<CountEvent>& events, const std::vector<std::string>& ids) {
  if (jsonl_ == nullptr) return Status::ok();
  for (size_t i = 0; i < events.size(); ++i) {
    const std::string line = event_json(events[i], ids[i]) + "\n";
    std::fwrite(line.data(), 1, line.size(), jsonl_);
  }
  if (std::fflush(jsonl_) != 0 || std::ferror(jsonl_)) {
    std::clearerr(jsonl_);
    return unavailable(str_cat("events file '", jsonl_path_, "': write failed: ", std::strerror(errno)));
  }
  return Status::ok();
}

Status EventSink::publish(const std::vector<CountEvent>& events) {
  if (events.empty()) return Status::ok();
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> ids;
  ids.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) ids.push_back(ids_.next());
  // Without a broker there is no outbox: the events go to the file and the counts only.
  std::vector<OutboxMessage> messages;
  if (outbox_ != nullptr) messages = messages_for(events, ids);
  Status stored = outbox_ != nullptr ? outbox_->append_batch(messages) : Status::ok();
  if (!stored.is_ok()) {
    dropped_ += static_cast<int64_t>(events.size());
    return stored;
  }
  published_ += static_cast<int64_t>(events.size());
  // The outbox holds the events now; the file is a convenience copy, so its failure is reported
  // but does not undo them.
  Status written = append_jsonl(events, ids);
  if (publisher_ != nullptr) publisher_->notify();
  return written;
}

int64_t EventSink::published_events() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return published_;
}

int64_t EventSink::dropped_events() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

}  // namespace edgeserve::vision
