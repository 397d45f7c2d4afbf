// Plain geometry shared by the vision stages: boxes in frame pixels, points, polygons, IoU.
#pragma once

#include <algorithm>
#include <vector>

namespace edgeserve::vision {

struct Point {
  float x = 0;
  float y = 0;
};

// Axis-aligned box in frame pixels, corners (x1, y1) top-left and (x2, y2) bottom-right.
struct Box {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  float width() const { return std::max(0.0f, x2 - x1); }
  float height() const { return std::max(0.0f, y2 - y1); }
  float area() const { return width() * height(); }
  Point center() const { return {(x1 + x2) / 2, (y1 + y2) / 2}; }
  // Where a walking person touches the floor: what zones and lines are judged by.
  Point bottom_center() const { return {(x1 + x2) / 2, y2}; }
};

// Intersection over union; 0 when either box is empty.
float iou(const Box& a, const Box& b);

// One detected object in frame pixels.
struct Detection {
  Box box;
  float score = 0;
  int class_id = 0;
};

using Polygon = std::vector<Point>;

// Even-odd rule; points exactly on an edge may fall either way.
bool point_in_polygon(Point p, const Polygon& polygon);

}  // namespace edgeserve::vision
