// What a camera counts: named zones (polygons) and named directional lines, in frame pixels.
// Comes from user config, hence validate().
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "vision/base/geometry.h"

namespace edgeserve::vision {

struct ZoneSpec {
  std::string name;
  Polygon polygon;
};

// A directional counting line, the segment from a to b.
//
// Direction convention (image coordinates: x grows right, y grows DOWN, as displayed):
// stand at a, look towards b; "left" and "right" are your left and right hand as seen on the
// displayed image. Formally, with cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x),
// a point p is on the right side when cross > 0 and on the left side when cross < 0.
//   "in"  = a crossing from the left side to the right side,
//   "out" = a crossing from the right side to the left side.
// Example: a = (0, 100), b = (200, 100) (drawn left to right): left is above the line (smaller
// y), right is below it, so walking down the screen counts "in". Swap a and b to flip it.
//
// `band` is the hysteresis half-width in pixels: a track's side only becomes established once
// its position is farther than `band` from the line, so jitter near the line never counts.
struct LineSpec {
  std::string name;
  Point a;
  Point b;
  float band = 8.0f;  // hysteresis half-width, px
};

struct SceneSpec {
  std::vector<ZoneSpec> zones;
  std::vector<LineSpec> lines;
};

// Bounds on a scene from config, so that a typo cannot make every frame do unbounded work.
inline constexpr size_t kMaxSceneZones = 256;
inline constexpr size_t kMaxSceneLines = 256;
inline constexpr size_t kMaxPolygonPoints = 1024;
inline constexpr size_t kMaxSceneNameLength = 64;

// Checks: names non-empty, [A-Za-z0-9_-]+ (they become MQTT topic levels), at most
// kMaxSceneNameLength chars, unique across all zones and lines; zones have 3..kMaxPolygonPoints
// finite points; lines have finite, distinct a and b and a finite band >= 0; at most
// kMaxSceneZones zones and kMaxSceneLines lines. The message starts with `where` (for example
// "cameras[2].scene") and names the zone or line and the field.
Status validate(const SceneSpec& scene, const std::string& where);

}  // namespace edgeserve::vision
