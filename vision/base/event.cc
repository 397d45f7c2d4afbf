#include "vision/base/event.h"

namespace edgeserve::vision {

const char* event_kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::kLineCrossing: return "line_crossing";
    case EventKind::kZoneEntry: return "zone_entry";
    case EventKind::kZoneExit: return "zone_exit";
    case EventKind::kOccupancy: return "occupancy";
  }
  return "unknown";
}

}  // namespace edgeserve::vision
