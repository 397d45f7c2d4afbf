// validate(SceneSpec): every rule, and messages that name where, the item and the field.
#include "vision/count/scene.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace edgeserve::vision {
namespace {

SceneSpec good_scene() {
  return {{{"lobby", {{0, 0}, {10, 0}, {10, 10}}}}, {{"door-1_A", {0, 0}, {10, 0}, 4}}};
}

void expect_error(const SceneSpec& scene, std::vector<std::string> fragments) {
  const Status s = validate(scene, "cameras[1].scene");
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  fragments.push_back("cameras[1].scene");
  for (const std::string& f : fragments) EXPECT_NE(s.message().find(f), std::string::npos) << s.message() << " lacks " << f;
}

TEST(SceneValidate, AcceptsAGoodSceneAndAnEmptyOne) {
  EXPECT_TRUE(validate(good_scene(), "x").is_ok());
  EXPECT_TRUE(validate(SceneSpec{}, "x").is_ok());
}

TEST(SceneValidate, ZoneNeedsThreeFinitePoints) {
  SceneSpec s = good_scene();
  s.zones[0].polygon.pop_back();
  expect_error(s, {"zones[0]", "lobby", "polygon", "2 points", "at least 3"});
  s = good_scene();
  s.zones[0].polygon[2].y = std::numeric_limits<float>::quiet_NaN();
  expect_error(s, {"zones[0]", "lobby", "polygon[2]", "finite"});
  s = good_scene();
  s.zones[0].polygon.resize(kMaxPolygonPoints + 1);
  expect_error(s, {"lobby", "at most"});
}

TEST(SceneValidate, NamesAreNonEmptyTopicSafeAndUnique) {
  SceneSpec s = good_scene();
  s.zones[0].name = "";
  expect_error(s, {"zones[0].name", "empty"});
  s = good_scene();
  s.lines[0].name = "door/1";
  expect_error(s, {"lines[0].name", "door/1", "[A-Za-z0-9_-]"});
  s = good_scene();
  s.lines[0].name = "door+";
  expect_error(s, {"lines[0].name", "door+"});
  s = good_scene();
  s.lines[0].name = "lobby";
  expect_error(s, {"lines[0].name", "lobby", "already used by zones[0]"});
  s = good_scene();
  s.zones.push_back(s.zones[0]);
  expect_error(s, {"zones[1].name", "already used by zones[0]"});
  s = good_scene();
  s.zones[0].name = std::string(kMaxSceneNameLength + 1, 'a');
  expect_error(s, {"zones[0].name", "longer"});
}

TEST(SceneValidate, LineNeedsDistinctFiniteEndsAndANonNegativeBand) {
  SceneSpec s = good_scene();
  s.lines[0].b = s.lines[0].a;
  expect_error(s, {"lines[0]", "door-1_A", "a and b", "same point"});
  s = good_scene();
  s.lines[0].a.x = std::numeric_limits<float>::infinity();
  expect_error(s, {"lines[0]", "door-1_A", "a is not a finite point"});
  s = good_scene();
  s.lines[0].b.y = std::numeric_limits<float>::quiet_NaN();
  expect_error(s, {"lines[0]", "b is not a finite point"});
  s = good_scene();
  s.lines[0].band = -1;
  expect_error(s, {"lines[0]", "door-1_A", "band", ">= 0"});
  s = good_scene();
  s.lines[0].band = 0;
  EXPECT_TRUE(validate(s, "x").is_ok());
}

TEST(SceneValidate, BoundsTheNumberOfZonesAndLines) {
  SceneSpec s;
  for (size_t i = 0; i <= kMaxSceneLines; ++i) s.lines.push_back({std::string("l").append(std::to_string(i)), {0, 0}, {1, 1}, 1});
  expect_error(s, {"lines", "at most"});
}

}  // namespace
}  // namespace edgeserve::vision
