// Line side hysteresis and segment test.
#include "vision/count/line_crossing.h"

#include <cmath>

namespace edgeserve::vision {
namespace {

double length(const LineSpec& line) { return std::hypot(double(line.b.x) - line.a.x, double(line.b.y) - line.a.y); }

// Where along a..b (0 = a, 1 = b) the step previous -> now crosses the infinite line. The
// signed distances must lie on different sides (one > 0, the other <= 0).
double crossing_parameter(const LineSpec& line, Point previous, Point now, double d_prev, double d_now) {
  const double u = d_prev / (d_prev - d_now);
  const double qx = previous.x + u * (double(now.x) - previous.x);
  const double qy = previous.y + u * (double(now.y) - previous.y);
  const double dx = double(line.b.x) - line.a.x;
  const double dy = double(line.b.y) - line.a.y;
  return ((qx - line.a.x) * dx + (qy - line.a.y) * dy) / (dx * dx + dy * dy);
}

}  // namespace

double signed_distance(const LineSpec& line, Point p) {
  const double len = length(line);
  if (!(len > 0)) return 0;
  const double cross = (double(line.b.x) - line.a.x) * (double(p.y) - line.a.y) -
                       (double(line.b.y) - line.a.y) * (double(p.x) - line.a.x);
  return cross / len;
}

CrossingDirection advance(LineTrackState& state, const LineSpec& line, std::optional<Point> previous, Point now) {
  if (!(length(line) > 0) || !std::isfinite(now.x) || !std::isfinite(now.y)) return CrossingDirection::kNone;
  const double d_now = signed_distance(line, now);
  if (previous) {
    const double d_prev = signed_distance(line, *previous);
    if ((d_prev > 0) != (d_now > 0)) {
      const double t = crossing_parameter(line, *previous, now, d_prev, d_now);
      state.last_crossing_on_segment = t >= 0 && t <= 1;
    }
  }
  if (!(std::fabs(d_now) > line.band)) return CrossingDirection::kNone;
  const LineSide side = d_now > 0 ? LineSide::kRight : LineSide::kLeft;
  const LineSide before = state.established;
  if (side == before) return CrossingDirection::kNone;
  const bool counts = before != LineSide::kUnknown && state.last_crossing_on_segment;
  state.established = side;
  state.last_crossing_on_segment = false;
  if (!counts) return CrossingDirection::kNone;
  return side == LineSide::kRight ? CrossingDirection::kIn : CrossingDirection::kOut;
}

}  // namespace edgeserve::vision
