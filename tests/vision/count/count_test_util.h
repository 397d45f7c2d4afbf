// Helpers for the counting tests: tracks placed by their bottom-centre (the point counted).
#pragma once

#include <vector>

#include "vision/count/counter.h"

namespace edgeserve::vision::testing {

inline Track track_at(int64_t id, float x, float y) { return {id, {x - 10, y - 40, x + 10, y}, 0.9f, 0, 1}; }

inline TrackerUpdate frame(std::vector<Track> active, std::vector<int64_t> removed = {}) {
  return {std::move(active), std::move(removed)};
}

inline int count_kind(const std::vector<CountEvent>& events, EventKind kind) {
  int n = 0;
  for (const CountEvent& e : events) n += e.kind == kind;
  return n;
}

// A horizontal line drawn left to right at y = 100 from x = 0 to 200: walking down is "in".
inline LineSpec door_line() { return {"door", {0, 100}, {200, 100}, 8.0f}; }

}  // namespace edgeserve::vision::testing
