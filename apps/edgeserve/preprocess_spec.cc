// Parsing of `--preprocess SPEC` (see preprocess_spec.h).
#include "apps/edgeserve/preprocess_spec.h"

#include <charconv>
#include <cmath>
#include <vector>

#include "common/strings.h"

namespace edgeserve::cli {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

bool parse_float(const std::string& s, float* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto r = std::from_chars(s.data(), end, *out);
  return r.ec == std::errc() && r.ptr == end && std::isfinite(*out);
}

bool parse_positive_int(const std::string& s, int* out) {
  const char* end = s.data() + s.size();
  auto r = std::from_chars(s.data(), end, *out);
  return !s.empty() && r.ec == std::errc() && r.ptr == end && *out > 0;
}

Status bad(const std::string& field, const std::string& expected) {
  return invalid_argument(str_cat("--preprocess: field '", field, "' is malformed: expected ", expected));
}

// "X" or "1/N".
bool parse_scale(const std::string& v, float* out) {
  const size_t slash = v.find('/');
  if (slash == std::string::npos) return parse_float(v, out);
  float num = 0, den = 0;
  if (!parse_float(v.substr(0, slash), &num) || !parse_float(v.substr(slash + 1), &den) || den == 0) return false;
  *out = num / den;
  return true;
}

// "a:b:c" or one value for all channels.
bool parse_triple(const std::string& v, std::array<float, 3>* out, bool positive) {
  const auto parts = split(v, ':');
  if (parts.size() != 1 && parts.size() != 3) return false;
  for (size_t c = 0; c < 3; ++c) {
    float x = 0;
    if (!parse_float(parts[parts.size() == 1 ? 0 : c], &x) || (positive && x <= 0)) return false;
    (*out)[c] = x;
  }
  return true;
}

bool parse_size(const std::string& v, PreprocessSpec* s) {
  const size_t x = v.find('x');
  if (x == std::string::npos) return parse_positive_int(v, &s->width) && parse_positive_int(v, &s->height);
  return parse_positive_int(v.substr(0, x), &s->width) && parse_positive_int(v.substr(x + 1), &s->height);
}

void apply_preset(const std::string& name, PreprocessSpec* s) {
  if (name == "imagenet") {
    *s = PreprocessSpec{};
    s->width = s->height = 224;
    s->resize = ResizeMode::kCrop;
    s->shorter_side = 256;
    s->scale = 1.0f / 255.0f;
    s->mean = {0.485f, 0.456f, 0.406f};
    s->std = {0.229f, 0.224f, 0.225f};
  } else {  // yolox
    *s = PreprocessSpec{};
    s->rgb = false;
    s->resize = ResizeMode::kLetterbox;
    s->pad_value = 114;
  }
}

// Fields without a value: presets, layouts, channel orders, resize modes, value ranges.
bool apply_flag(const std::string& f, PreprocessSpec* s) {
  if (f == "imagenet" || f == "yolox") apply_preset(f, s);
  else if (f == "nchw" || f == "nhwc") s->nhwc = f == "nhwc";
  else if (f == "rgb" || f == "bgr") s->rgb = f == "rgb";
  else if (f == "stretch") s->resize = ResizeMode::kStretch;
  else if (f == "crop") s->resize = ResizeMode::kCrop;
  else if (f == "letterbox") s->resize = ResizeMode::kLetterbox;
  else if (f == "0..255") s->scale = 1;
  else if (f == "0..1") s->scale = 1.0f / 255.0f;
  else return false;
  return true;
}

Status apply_field(const std::string& key, const std::string& v, PreprocessSpec* s) {
  const std::string field = key + "=" + v;
  if (key == "size") return parse_size(v, s) ? Status::ok() : bad(field, "WxH or N with positive integers");
  if (key == "layout") return (v == "nchw" || v == "nhwc") && apply_flag(v, s) ? Status::ok() : bad(field, "nchw or nhwc");
  if (key == "order") return (v == "rgb" || v == "bgr") && apply_flag(v, s) ? Status::ok() : bad(field, "rgb or bgr");
  if (key == "resize") {
    return (v == "stretch" || v == "crop" || v == "letterbox") && apply_flag(v, s) ? Status::ok()
                                                                                     : bad(field, "stretch, crop or letterbox");
  }
  if (key == "scale") return parse_scale(v, &s->scale) ? Status::ok() : bad(field, "a number or 1/N");
  if (key == "mean") return parse_triple(v, &s->mean, false) ? Status::ok() : bad(field, "a:b:c or one number");
  if (key == "std") return parse_triple(v, &s->std, true) ? Status::ok() : bad(field, "a:b:c or one number, all > 0");
  if (key == "pad") return parse_float(v, &s->pad_value) ? Status::ok() : bad(field, "a number (0..255 pixel units)");
  if (key == "crop") {
    s->resize = ResizeMode::kCrop;
    return parse_positive_int(v, &s->shorter_side) ? Status::ok() : bad(field, "a positive shorter-side length");
  }
  if (key == "align") {
    if (v != "topleft" && v != "center") return bad(field, "topleft or center");
    s->pad_center = v == "center";
    return Status::ok();
  }
  return invalid_argument(str_cat("--preprocess: unknown field '", key, "'"));
}

}  // namespace

Result<PreprocessSpec> parse_preprocess_spec(const std::string& spec) {
  PreprocessSpec s;
  if (spec.empty()) return s;
  for (const std::string& field : split(spec, ',')) {
    if (field.empty()) return invalid_argument("--preprocess: empty field (two commas in a row?)");
    const size_t eq = field.find('=');
    if (eq == std::string::npos) {
      if (!apply_flag(field, &s)) return invalid_argument(str_cat("--preprocess: unknown field '", field, "'"));
      continue;
    }
    EDGE_RETURN_IF_ERROR(apply_field(field.substr(0, eq), field.substr(eq + 1), &s));
  }
  return s;
}

}  // namespace edgeserve::cli
