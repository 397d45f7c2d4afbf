#include <gtest/gtest.h>

#include "vision/base/geometry.h"

namespace edgeserve::vision {
namespace {

TEST(Geometry, IouOfOverlappingDisjointAndEmptyBoxes) {
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0f);
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {5, 0, 15, 10}), 50.0f / 150.0f);
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {20, 20, 30, 30}), 0.0f);
  EXPECT_FLOAT_EQ(iou({0, 0, 0, 0}, {0, 0, 0, 0}), 0.0f);
}

TEST(Geometry, PointInConcavePolygon) {
  // An L shape: the notch at the top right is outside.
  const Polygon l = {{0, 0}, {10, 0}, {10, 5}, {5, 5}, {5, 10}, {0, 10}};
  EXPECT_TRUE(point_in_polygon({2, 2}, l));
  EXPECT_TRUE(point_in_polygon({2, 8}, l));
  EXPECT_FALSE(point_in_polygon({8, 8}, l));
  EXPECT_FALSE(point_in_polygon({-1, 2}, l));
  EXPECT_FALSE(point_in_polygon({1, 1}, Polygon{}));
}

}  // namespace
}  // namespace edgeserve::vision
