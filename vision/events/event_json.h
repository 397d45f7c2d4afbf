// The JSON forms of count events and of the retained per-zone / per-line state messages. The
// fields are documented in vision/events/README.md; consumers parse them, so change both together.
#pragma once

#include <string>

#include "vision/base/event.h"

namespace edgeserve::vision {

// One compact JSON object for `<prefix>/events` and the JSON-lines file:
//   {"id", "kind", "source", "line" | "zone", "track_id" (omitted for occupancy changes),
//    "direction" (line crossings), "timestamp" (ISO-8601 UTC, ms), "unix_time" (seconds, ms),
//    lines: "in", "out"; zones: "occupancy", "entries", "exits"; zone exits: "dwell_seconds"}
std::string event_json(const CountEvent& e, const std::string& id);

// Retained state of a zone after event `e` (`<prefix>/<source>/<zone>/occupancy`):
//   {"source", "zone", "occupancy", "entries", "exits", "timestamp", "unix_time", "event_id"}
std::string zone_state_json(const CountEvent& e, const std::string& id);

// Retained cumulative counts of a line after event `e` (`<prefix>/<source>/<line>/crossings`):
//   {"source", "line", "in", "out", "timestamp", "unix_time", "event_id"}
std::string line_state_json(const CountEvent& e, const std::string& id);

// "2024-05-01T12:00:00.123Z"; "" for a non-finite time.
std::string iso8601_utc_ms(double unix_seconds);

}  // namespace edgeserve::vision
