// The count-once state machine of one track against one line (see LineSpec for the direction
// convention). Pure: the Counter owns one LineTrackState per (track, line).
//
// Rules:
// - a side is *established* only when the position is farther than `band` from the line;
// - a crossing counts when the established side flips, and only if the most recent step that
//   crossed the infinite line did so within the segment a..b (so walking around an end of the
//   segment, or crossing its extension, never counts);
// - jitter inside the band, or back and forth across the exact line, never flips the
//   established side, so it never counts.
#pragma once

#include <optional>

#include "vision/count/scene.h"

namespace edgeserve::vision {

enum class LineSide { kUnknown, kLeft, kRight };
enum class CrossingDirection { kNone, kIn, kOut };

struct LineTrackState {
  LineSide established = LineSide::kUnknown;
  // Whether the latest step that crossed the infinite line crossed it between a and b.
  bool last_crossing_on_segment = false;
};

// Signed distance of p from the line through a and b, positive on the right side. 0 if a == b.
double signed_distance(const LineSpec& line, Point p);

// Advances `state` for a track that moved from `previous` (none for a new track) to `now`.
// Returns the direction of a counted crossing, or kNone.
CrossingDirection advance(LineTrackState& state, const LineSpec& line, std::optional<Point> previous, Point now);

}  // namespace edgeserve::vision
