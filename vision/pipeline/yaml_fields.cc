#include "vision/pipeline/yaml_fields.h"

#include <cmath>

#include "common/strings.h"

namespace edgeserve::vision {

std::string yaml_where(const std::string& file, const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  if (m.line < 0) return file + ": ";
  return str_cat(file, ":", m.line + 1, ":", m.column + 1, ": ");
}

YamlFields::YamlFields(const YAML::Node& node, std::string file, std::string path)
    : node_(node), file_(std::move(file)), path_(std::move(path)) {}

Status YamlFields::check_is_map() const {
  if (node_.IsMap()) return Status::ok();
  return invalid_argument(str_cat(yaml_where(file_, node_), path_.empty() ? "the document" : path_,
                                  ": expected a mapping of keys to values"));
}

bool YamlFields::has(const char* key) const { return node_.IsMap() && node_[key].IsDefined(); }

YAML::Node YamlFields::child(const char* key) {
  known_.insert(key);
  return node_[key];
}

Status YamlFields::error(const YAML::Node& at, const std::string& field, const std::string& what) const {
  return invalid_argument(str_cat(yaml_where(file_, at), field, ": ", what));
}

template <typename T>
Status YamlFields::scalar(const char* key, T* out, const char* expected) {
  const YAML::Node n = child(key);
  if (!n.IsDefined() || n.IsNull()) return Status::ok();
  try {
    if (!n.IsScalar()) throw YAML::Exception(n.Mark(), "not a scalar");
    *out = n.as<T>();
  } catch (const YAML::Exception&) {
    return error(n, child_path(key), str_cat("expected ", expected));
  }
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(*out)) return error(n, child_path(key), "expected a finite number");
  }
  return Status::ok();
}

Status YamlFields::get(const char* key, std::string* out) { return scalar(key, out, "a string"); }
Status YamlFields::get(const char* key, bool* out) { return scalar(key, out, "true or false"); }
Status YamlFields::get(const char* key, int* out) { return scalar(key, out, "an integer"); }
Status YamlFields::get(const char* key, double* out) { return scalar(key, out, "a number"); }
Status YamlFields::get(const char* key, float* out) { return scalar(key, out, "a number"); }

Status YamlFields::get(const char* key, std::vector<int>* out) {
  const YAML::Node n = child(key);
  if (!n.IsDefined() || n.IsNull()) return Status::ok();
  if (!n.IsSequence()) return error(n, child_path(key), "expected a list of integers");
  out->clear();
  for (size_t i = 0; i < n.size(); ++i) {
    try {
      out->push_back(n[i].as<int>());
    } catch (const YAML::Exception&) {
      return error(n[i], str_cat(child_path(key), "[", i, "]"), "expected an integer");
    }
  }
  return Status::ok();
}

namespace {

Status read_point(const YAML::Node& n, const std::string& file, const std::string& path, Point* out) {
  auto fail = [&] { return invalid_argument(str_cat(yaml_where(file, n), path, ": expected a point [x, y]")); };
  if (!n.IsSequence() || n.size() != 2) return fail();
  try {
    out->x = n[0].as<float>();
    out->y = n[1].as<float>();
  } catch (const YAML::Exception&) {
    return fail();
  }
  if (!std::isfinite(out->x) || !std::isfinite(out->y)) return fail();
  return Status::ok();
}

}  // namespace

Status YamlFields::get(const char* key, Point* out) {
  const YAML::Node n = child(key);
  if (!n.IsDefined() || n.IsNull()) return Status::ok();
  return read_point(n, file_, child_path(key), out);
}

Status read_points(const YAML::Node& node, const std::string& file, const std::string& path, Polygon* out) {
  if (!node.IsSequence()) {
    return invalid_argument(str_cat(yaml_where(file, node), path, ": expected a list of points [[x, y], ...]"));
  }
  out->clear();
  for (size_t i = 0; i < node.size(); ++i) {
    Point p;
    EDGE_RETURN_IF_ERROR(read_point(node[i], file, str_cat(path, "[", i, "]"), &p));
    out->push_back(p);
  }
  return Status::ok();
}

Status YamlFields::finish() const {
  if (!node_.IsMap()) return Status::ok();
  for (const auto& kv : node_) {
    const std::string key = kv.first.as<std::string>("");
    if (known_.count(key) == 0) {
      return invalid_argument(str_cat(yaml_where(file_, kv.first), "unknown field '", child_path(key.c_str()), "'"));
    }
  }
  return Status::ok();
}

}  // namespace edgeserve::vision
