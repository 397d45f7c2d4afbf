// The per-line hysteresis state machine on its own.
#include "vision/count/line_crossing.h"

#include <gtest/gtest.h>

#include "count_test_util.h"

namespace edgeserve::vision {
namespace {

using testing::door_line;

// Feeds the path to a fresh state; returns {in, out}.
std::pair<int, int> walk(const LineSpec& line, const std::vector<Point>& path) {
  LineTrackState state;
  std::optional<Point> previous;
  int in = 0, out = 0;
  for (Point p : path) {
    const CrossingDirection d = advance(state, line, previous, p);
    in += d == CrossingDirection::kIn;
    out += d == CrossingDirection::kOut;
    previous = p;
  }
  return {in, out};
}

std::vector<Point> vertical(float x, float y0, float y1, float step) {
  std::vector<Point> path;
  const float dir = y1 > y0 ? 1.0f : -1.0f;
  for (float y = y0; dir * (y1 - y) >= 0; y += dir * step) path.push_back({x, y});
  return path;
}

TEST(LineCrossing, SignedDistanceConventionIsRightPositiveInImageCoordinates) {
  const LineSpec line = door_line();  // a=(0,100) -> b=(200,100)
  EXPECT_GT(signed_distance(line, {100, 150}), 0) << "below a left-to-right line is its right side";
  EXPECT_LT(signed_distance(line, {100, 50}), 0);
  EXPECT_DOUBLE_EQ(signed_distance(line, {100, 130}), 30);
}

TEST(LineCrossing, DownIsInUpIsOutAndSwappingEndsFlipsIt) {
  EXPECT_EQ(walk(door_line(), vertical(100, 50, 150, 5)), std::make_pair(1, 0));
  EXPECT_EQ(walk(door_line(), vertical(100, 150, 50, 5)), std::make_pair(0, 1));
  LineSpec swapped = door_line();
  std::swap(swapped.a, swapped.b);
  EXPECT_EQ(walk(swapped, vertical(100, 50, 150, 5)), std::make_pair(0, 1));
}

TEST(LineCrossing, JitterInsideTheBandNeverCounts) {
  std::vector<Point> path = vertical(100, 50, 94, 4);
  for (int i = 0; i < 30; ++i) path.push_back({100, i % 2 ? 93.0f : 107.0f});  // |d| <= 7 < band 8
  EXPECT_EQ(walk(door_line(), path), std::make_pair(0, 0));
}

TEST(LineCrossing, BandZeroCountsEveryRealSideChange) {
  LineSpec line = door_line();
  line.band = 0;
  std::vector<Point> path;
  for (int i = 0; i < 6; ++i) path.push_back({100, i % 2 ? 101.0f : 99.0f});
  EXPECT_EQ(walk(line, path), std::make_pair(3, 2));
}

TEST(LineCrossing, OnlyTheSegmentCounts) {
  EXPECT_EQ(walk(door_line(), vertical(250, 50, 150, 5)), std::make_pair(0, 0)) << "beyond b";
  EXPECT_EQ(walk(door_line(), vertical(-30, 150, 50, 5)), std::make_pair(0, 0)) << "before a";
  // Diagonal: established inside the segment's extent, crossing the extension at x = 210.
  EXPECT_EQ(walk(door_line(), {{190, 50}, {200, 75}, {210, 100}, {220, 125}, {230, 150}}), std::make_pair(0, 0));
  // The same diagonal shifted left crosses at x = 170 and counts, though it ends beyond b.
  EXPECT_EQ(walk(door_line(), {{150, 50}, {160, 75}, {170, 100}, {190, 125}, {230, 150}}), std::make_pair(1, 0));
}

TEST(LineCrossing, WalkingAroundTheEndDoesNotCount) {
  std::vector<Point> path = {{150, 50}, {200, 50}, {260, 50}, {260, 100}, {260, 150}, {200, 150}, {150, 150}};
  EXPECT_EQ(walk(door_line(), path), std::make_pair(0, 0));
}

TEST(LineCrossing, DegenerateLineNeverCounts) {
  const LineSpec dot{"dot", {5, 5}, {5, 5}, 0};
  EXPECT_EQ(walk(dot, vertical(5, 0, 10, 1)), std::make_pair(0, 0));
}

}  // namespace
}  // namespace edgeserve::vision
