// Strict reading of one YAML mapping: typed fields, errors that name file:line:column and the
// field's path (cameras[1].lines[0].band), and unknown keys reported instead of ignored.
#pragma once

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "vision/base/geometry.h"

namespace edgeserve::vision {

// "file:line:col: " for a node (yaml-cpp counts from 0; editors from 1).
std::string yaml_where(const std::string& file, const YAML::Node& node);

class YamlFields {
 public:
  // `node` must be a mapping (checked by check()); `path` is its place ("detector").
  YamlFields(const YAML::Node& node, std::string file, std::string path);

  Status check_is_map() const;
  bool has(const char* key) const;
  YAML::Node child(const char* key);  // marks the key as known
  std::string child_path(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

  // Optional scalar fields: absent leaves *out as is.
  Status get(const char* key, std::string* out);
  Status get(const char* key, bool* out);
  Status get(const char* key, int* out);
  Status get(const char* key, double* out);
  Status get(const char* key, float* out);
  Status get(const char* key, std::vector<int>* out);
  Status get(const char* key, Point* out);  // [x, y]

  // After every get(): an error naming the first key no get() asked for.
  Status finish() const;
  Status error(const YAML::Node& at, const std::string& field, const std::string& what) const;
  const std::string& file() const { return file_; }

 private:
  template <typename T>
  Status scalar(const char* key, T* out, const char* expected);

  YAML::Node node_;
  std::string file_;
  std::string path_;
  std::set<std::string> known_;
};

// [[x, y], ...] -> a polygon; errors name the point.
Status read_points(const YAML::Node& node, const std::string& file, const std::string& path, Polygon* out);

}  // namespace edgeserve::vision
