// Validation of SceneSpec from user config.
#include "vision/count/scene.h"

#include <cmath>
#include <map>

namespace edgeserve::vision {
namespace {

bool valid_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool finite(Point p) { return std::isfinite(p.x) && std::isfinite(p.y); }

// `label` is like "zones[1]"; `seen` maps each name to the label that used it first.
Status check_name(const std::string& where, const std::string& label, const std::string& name,
                  std::map<std::string, std::string>& seen) {
  const std::string field = where + ": " + label + ".name";
  if (name.empty()) return invalid_argument(field + " is empty; expected [A-Za-z0-9_-]+");
  if (name.size() > kMaxSceneNameLength) {
    return invalid_argument(field + " '" + name + "' is longer than " + std::to_string(kMaxSceneNameLength) +
                            " characters");
  }
  for (char c : name) {
    if (!valid_name_char(c)) {
      return invalid_argument(field + " '" + name + "' has a character outside [A-Za-z0-9_-] " +
                              "(names become MQTT topic levels)");
    }
  }
  const auto [it, inserted] = seen.emplace(name, label);
  if (!inserted) return invalid_argument(field + " '" + name + "' is already used by " + it->second);
  return Status::ok();
}

Status check_zone(const std::string& where, size_t index, const ZoneSpec& zone) {
  const std::string label = where + ": zones[" + std::to_string(index) + "] '" + zone.name + "'";
  if (zone.polygon.size() < 3) {
    return invalid_argument(label + ": polygon has " + std::to_string(zone.polygon.size()) +
                            " points; expected at least 3");
  }
  if (zone.polygon.size() > kMaxPolygonPoints) {
    return invalid_argument(label + ": polygon has " + std::to_string(zone.polygon.size()) +
                            " points; expected at most " + std::to_string(kMaxPolygonPoints));
  }
  for (size_t i = 0; i < zone.polygon.size(); ++i) {
    if (!finite(zone.polygon[i])) {
      return invalid_argument(label + ": polygon[" + std::to_string(i) + "] is not a finite point");
    }
  }
  return Status::ok();
}

Status check_line(const std::string& where, size_t index, const LineSpec& line) {
  const std::string label = where + ": lines[" + std::to_string(index) + "] '" + line.name + "'";
  if (!finite(line.a)) return invalid_argument(label + ": a is not a finite point");
  if (!finite(line.b)) return invalid_argument(label + ": b is not a finite point");
  if (line.a.x == line.b.x && line.a.y == line.b.y) {
    return invalid_argument(label + ": a and b are the same point; a line needs two distinct points");
  }
  if (!std::isfinite(line.band) || line.band < 0) {
    return invalid_argument(label + ": band " + std::to_string(line.band) + " must be a finite number >= 0");
  }
  return Status::ok();
}

}  // namespace

Status validate(const SceneSpec& scene, const std::string& where) {
  if (scene.zones.size() > kMaxSceneZones) {
    return invalid_argument(where + ": zones has " + std::to_string(scene.zones.size()) + " entries; at most " +
                            std::to_string(kMaxSceneZones) + " allowed");
  }
  if (scene.lines.size() > kMaxSceneLines) {
    return invalid_argument(where + ": lines has " + std::to_string(scene.lines.size()) + " entries; at most " +
                            std::to_string(kMaxSceneLines) + " allowed");
  }
  std::map<std::string, std::string> seen;
  for (size_t i = 0; i < scene.zones.size(); ++i) {
    EDGE_RETURN_IF_ERROR(check_name(where, "zones[" + std::to_string(i) + "]", scene.zones[i].name, seen));
    EDGE_RETURN_IF_ERROR(check_zone(where, i, scene.zones[i]));
  }
  for (size_t i = 0; i < scene.lines.size(); ++i) {
    EDGE_RETURN_IF_ERROR(check_name(where, "lines[" + std::to_string(i) + "]", scene.lines[i].name, seen));
    EDGE_RETURN_IF_ERROR(check_line(where, i, scene.lines[i]));
  }
  return Status::ok();
}

}  // namespace edgeserve::vision
