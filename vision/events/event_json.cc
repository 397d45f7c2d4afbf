// JSON for events and state messages. Written by hand rather than with common/JsonWriter because
// the Unix time needs fixed millisecond precision, which JsonWriter's %.9g cannot give.
#include "vision/events/event_json.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>

namespace edgeserve::vision {

namespace {

// A flat JSON object, fields in the order added.
class FlatJson {
 public:
  FlatJson& string(const char* key, const std::string& value) {
    add_key(key);
    append_quoted(value);
    return *this;
  }
  FlatJson& integer(const char* key, int64_t value) {
    add_key(key);
    out_ += std::to_string(value);
    return *this;
  }
  FlatJson& fixed3(const char* key, double value) {
    add_key(key);
    if (!std::isfinite(value)) {
      out_ += "null";
      return *this;
    }
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.3f", value);
    out_ += buf;
    return *this;
  }
  // Both forms of the time: readable, and easy to compute with.
  FlatJson& time(double unix_seconds) {
    if (std::isfinite(unix_seconds)) {
      string("timestamp", iso8601_utc_ms(unix_seconds));
    } else {
      add_key("timestamp");
      out_ += "null";
    }
    return fixed3("unix_time", unix_seconds);
  }
  std::string finish() { return out_ + "}"; }

 private:
  void add_key(const char* key) {
    out_ += out_.size() == 1 ? "\"" : ",\"";
    out_ += key;
    out_ += "\":";
  }
  void append_quoted(const std::string& s) {
    out_ += '"';
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += static_cast<char>(c);
      } else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        out_ += buf;
      } else {
        out_ += static_cast<char>(c);
      }
    }
    out_ += '"';
  }

  std::string out_ = "{";
};

bool is_line_event(const CountEvent& e) { return e.kind == EventKind::kLineCrossing; }

}  // namespace

std::string iso8601_utc_ms(double unix_seconds) {
  if (!std::isfinite(unix_seconds) || std::fabs(unix_seconds) > 1e15) return "";
  // Round to whole milliseconds first so that 59.9996 s becomes the next minute, not ".1000".
  const auto total_ms = static_cast<int64_t>(std::llround(unix_seconds * 1000.0));
  int64_t seconds = total_ms / 1000;
  int64_t ms = total_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    seconds -= 1;
  }
  const auto t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  if (gmtime_r(&t, &utc) == nullptr) return "";
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms));
  return buf;
}

std::string event_json(const CountEvent& e, const std::string& id) {
  FlatJson json;
  json.string("id", id).string("kind", event_kind_name(e.kind)).string("source", e.source);
  json.string(is_line_event(e) ? "line" : "zone", e.name);
  if (e.track_id >= 0) json.integer("track_id", e.track_id);
  if (is_line_event(e)) json.string("direction", e.direction);
  json.time(e.timestamp);
  if (is_line_event(e)) {
    json.integer("in", e.entries).integer("out", e.exits);
  } else {
    json.integer("occupancy", e.occupancy).integer("entries", e.entries).integer("exits", e.exits);
  }
  if (e.kind == EventKind::kZoneExit) json.fixed3("dwell_seconds", e.dwell_seconds);
  return json.finish();
}

std::string zone_state_json(const CountEvent& e, const std::string& id) {
  FlatJson json;
  json.string("source", e.source).string("zone", e.name);
  json.integer("occupancy", e.occupancy).integer("entries", e.entries).integer("exits", e.exits);
  json.time(e.timestamp).string("event_id", id);
  return json.finish();
}

std::string line_state_json(const CountEvent& e, const std::string& id) {
  FlatJson json;
  json.string("source", e.source).string("line", e.name);
  json.integer("in", e.entries).integer("out", e.exits);
  json.time(e.timestamp).string("event_id", id);
  return json.finish();
}

}  // namespace edgeserve::vision
