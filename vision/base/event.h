// What the counting stage reports. The events stage gives each one a unique id, stores it in
// the outbox and publishes it; see docs/counting.md for the JSON form and the MQTT topics.
#pragma once

#include <cstdint>
#include <string>

namespace edgeserve::vision {

enum class EventKind {
  kLineCrossing,     // a track crossed a line; `direction` is "in" or "out"
  kZoneEntry,        // a track entered a zone
  kZoneExit,         // a track left a zone (or was lost inside it); dwell_seconds is set
  kOccupancy,        // the number of tracks inside a zone changed
};

const char* event_kind_name(EventKind kind);  // "line_crossing", "zone_entry", ...

struct CountEvent {
  EventKind kind = EventKind::kOccupancy;
  std::string source;           // source id
  std::string name;             // zone or line name
  int64_t track_id = -1;        // -1 for occupancy changes
  std::string direction;        // lines: "in" or "out"; empty otherwise
  double timestamp = 0;         // Unix seconds of the frame that caused it
  int64_t occupancy = 0;        // zones: tracks inside after this event
  int64_t entries = 0;          // zones: cumulative entries; lines: cumulative "in"
  int64_t exits = 0;            // zones: cumulative exits; lines: cumulative "out"
  double dwell_seconds = 0;     // zone exits: time the track spent inside
};

}  // namespace edgeserve::vision
