// Sliding-window geometry: attribute validation, auto_pad, ceil_mode and output sizes.
#include "engine/ops/conv_geometry.h"

#include <algorithm>

#include "common/strings.h"

namespace edgeserve {

namespace {

// Sizes are bounded so that products such as (k - 1) * d + in * s cannot overflow int64.
constexpr int64_t kMaxWindowValue = int64_t{1} << 24;
constexpr int64_t kMaxSpatialDim = int64_t{1} << 31;

Result<AutoPad> parse_auto_pad(const std::string& s) {
  if (s == "NOTSET" || s.empty()) return AutoPad::kNotSet;
  if (s == "SAME_UPPER") return AutoPad::kSameUpper;
  if (s == "SAME_LOWER") return AutoPad::kSameLower;
  if (s == "VALID") return AutoPad::kValid;
  return invalid_argument(str_cat("auto_pad '", s, "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID"));
}

Status check_range(const std::vector<int64_t>& v, const char* name, int64_t lo) {
  for (int64_t x : v) {
    if (x < lo || x > kMaxWindowValue) {
      return invalid_argument(str_cat(name, " values must be in [", lo, ", ", kMaxWindowValue, "], got ", x));
    }
  }
  return Status::ok();
}

// Checks an optional per-axis attribute's length and fills its default.
Status fill_axes(std::vector<int64_t>& v, size_t n, int64_t fallback, const char* name) {
  if (v.empty()) {
    v.assign(n, fallback);
    return Status::ok();
  }
  if (v.size() != n) return invalid_argument(str_cat(name, " has ", v.size(), " values, expected ", n));
  return Status::ok();
}

// Fills strides/dilations/pads defaults and the common per-axis checks.
Result<WindowGeometry> base_geometry(const WindowAttrs& attrs, const std::vector<int64_t>& kernel,
                                     const std::vector<int64_t>& in_spatial) {
  const size_t n = in_spatial.size();
  if (n == 0) return invalid_argument("input must have at least one spatial dimension (rank >= 3)");
  if (kernel.size() != n) {
    return invalid_argument(str_cat("kernel_shape has ", kernel.size(), " values, expected ", n, " (input spatial rank)"));
  }
  EDGE_RETURN_IF_ERROR(check_range(kernel, "kernel_shape", 1));
  int64_t window = 1;
  for (int64_t k : kernel) {
    window *= k;  // each k <= 2^24 and window <= 2^24 before the multiply: no overflow
    if (window > kMaxWindowValue) return invalid_argument(str_cat("kernel_shape has more than ", kMaxWindowValue, " elements"));
  }
  for (int64_t d : in_spatial) {
    if (d < 0 || d > kMaxSpatialDim) return invalid_argument(str_cat("input spatial dim ", d, " is out of range"));
  }
  WindowGeometry g;
  g.kernel = kernel;
  g.strides = attrs.strides;
  g.dilations = attrs.dilations;
  std::vector<int64_t> pads = attrs.pads;
  EDGE_RETURN_IF_ERROR(fill_axes(g.strides, n, 1, "strides"));
  EDGE_RETURN_IF_ERROR(fill_axes(g.dilations, n, 1, "dilations"));
  EDGE_RETURN_IF_ERROR(fill_axes(pads, 2 * n, 0, "pads"));
  g.pad_begin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(n));
  g.pad_end.assign(pads.begin() + static_cast<std::ptrdiff_t>(n), pads.end());
  return g;
}

int64_t effective_kernel(const WindowGeometry& g, size_t i) { return (g.kernel[i] - 1) * g.dilations[i] + 1; }

int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

// Splits `total` padding between begin and end; SAME_UPPER puts the odd one at the end.
// ConvTranspose's total may be negative (output_shape beyond the full result): floor division
// then gives the spec's (Python) split, leaving the extra output rows at the end.
void split_pads(WindowGeometry& g, size_t i, int64_t total, bool extra_at_end) {
  const int64_t small = total >= 0 ? total / 2 : -((1 - total) / 2);
  g.pad_begin[i] = extra_at_end ? small : total - small;
  g.pad_end[i] = total - g.pad_begin[i];
}

Status check_output(const WindowGeometry& g) {
  if (!checked_num_elements(g.output).is_ok()) return invalid_argument("output spatial dims are too large");
  for (size_t i = 0; i < g.output.size(); ++i) {
    if (g.output[i] < 1) {
      return invalid_argument(str_cat("output spatial dim ", i, " would be ", g.output[i],
                                      " (input too small for kernel_shape/dilations/pads)"));
    }
  }
  return Status::ok();
}

}  // namespace

int64_t product(const std::vector<int64_t>& dims) {
  int64_t p = 1;
  for (int64_t d : dims) p *= d;
  return p;
}

std::vector<std::vector<int64_t>> kernel_offsets(const WindowGeometry& g) {
  const size_t n = g.rank();
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(product(g.kernel)), std::vector<int64_t>(n));
  for (size_t k = 0; k < out.size(); ++k) {
    int64_t rest = static_cast<int64_t>(k);
    for (size_t a = n; a-- > 0;) {
      out[k][a] = (rest % g.kernel[a]) * g.dilations[a];
      rest /= g.kernel[a];
    }
  }
  return out;
}

Result<WindowAttrs> read_window_attrs(const Node& node) {
  WindowAttrs a;
  EDGE_ASSIGN_OR_RETURN(a.kernel_shape, node.attr_ints("kernel_shape", std::vector<int64_t>{}));
  EDGE_ASSIGN_OR_RETURN(a.strides, node.attr_ints("strides", std::vector<int64_t>{}));
  EDGE_ASSIGN_OR_RETURN(a.dilations, node.attr_ints("dilations", std::vector<int64_t>{}));
  EDGE_ASSIGN_OR_RETURN(a.pads, node.attr_ints("pads", std::vector<int64_t>{}));
  EDGE_ASSIGN_OR_RETURN(a.output_padding, node.attr_ints("output_padding", std::vector<int64_t>{}));
  EDGE_ASSIGN_OR_RETURN(a.output_shape, node.attr_ints("output_shape", std::vector<int64_t>{}));
  EDGE_ASSIGN_OR_RETURN(std::string auto_pad, node.attr_string("auto_pad", std::string("NOTSET")));
  EDGE_ASSIGN_OR_RETURN(int64_t ceil_mode, node.attr_int("ceil_mode", 0));
  a.ceil_mode = ceil_mode != 0;
  Status st = [&]() -> Status {
    EDGE_ASSIGN_OR_RETURN(a.auto_pad, parse_auto_pad(auto_pad));
    EDGE_RETURN_IF_ERROR(check_range(a.kernel_shape, "kernel_shape", 1));
    EDGE_RETURN_IF_ERROR(check_range(a.strides, "strides", 1));
    EDGE_RETURN_IF_ERROR(check_range(a.dilations, "dilations", 1));
    EDGE_RETURN_IF_ERROR(check_range(a.pads, "pads", 0));
    EDGE_RETURN_IF_ERROR(check_range(a.output_padding, "output_padding", 0));
    for (int64_t d : a.output_shape) {
      if (d < 0 || d > kMaxSpatialDim) return invalid_argument(str_cat("output_shape value ", d, " is out of range"));
    }
    return Status::ok();
  }();
  if (!st.is_ok()) return st.with_context(node.describe());
  return a;
}

Result<WindowGeometry> forward_geometry(const WindowAttrs& attrs, const std::vector<int64_t>& kernel,
                                        const std::vector<int64_t>& in_spatial) {
  EDGE_ASSIGN_OR_RETURN(WindowGeometry g, base_geometry(attrs, kernel, in_spatial));
  const size_t n = g.rank();
  g.output.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t ek = effective_kernel(g, i);
    const int64_t in = in_spatial[i];
    const int64_t s = g.strides[i];
    switch (attrs.auto_pad) {
      case AutoPad::kSameUpper:
      case AutoPad::kSameLower: {
        g.output[i] = ceil_div(in, s);
        const int64_t total = std::max<int64_t>(0, (g.output[i] - 1) * s + ek - in);
        split_pads(g, i, total, attrs.auto_pad == AutoPad::kSameUpper);
        break;
      }
      case AutoPad::kValid:
        g.pad_begin[i] = g.pad_end[i] = 0;
        g.output[i] = in >= ek ? (in - ek) / s + 1 : 0;
        break;
      case AutoPad::kNotSet: {
        const int64_t span = in + g.pad_begin[i] + g.pad_end[i] - ek;
        if (span < 0) {
          g.output[i] = 0;
          break;
        }
        g.output[i] = (attrs.ceil_mode ? ceil_div(span, s) : span / s) + 1;
        // A last window starting inside the end padding is dropped (as PyTorch and ORT do).
        if (attrs.ceil_mode && (g.output[i] - 1) * s >= in + g.pad_begin[i]) --g.output[i];
        break;
      }
    }
  }
  EDGE_RETURN_IF_ERROR(check_output(g));
  return g;
}

Result<WindowGeometry> transpose_geometry(const WindowAttrs& attrs, const std::vector<int64_t>& kernel,
                                          const std::vector<int64_t>& in_spatial) {
  EDGE_ASSIGN_OR_RETURN(WindowGeometry g, base_geometry(attrs, kernel, in_spatial));
  const size_t n = g.rank();
  std::vector<int64_t> out_pad = attrs.output_padding;
  EDGE_RETURN_IF_ERROR(fill_axes(out_pad, n, 0, "output_padding"));
  // output_shape may list all dims (N, C, spatial...) or only the spatial ones.
  std::vector<int64_t> out_shape = attrs.output_shape;
  if (out_shape.size() == n + 2) out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
  if (!out_shape.empty() && out_shape.size() != n) {
    return invalid_argument(str_cat("output_shape has ", attrs.output_shape.size(), " values, expected ", n));
  }
  g.output.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (out_pad[i] >= std::max(g.strides[i], g.dilations[i])) {
      return invalid_argument(str_cat("output_padding[", i, "] = ", out_pad[i], " must be less than stride or dilation"));
    }
    const int64_t full = g.strides[i] * (in_spatial[i] - 1) + out_pad[i] + effective_kernel(g, i);
    const bool same = attrs.auto_pad == AutoPad::kSameUpper || attrs.auto_pad == AutoPad::kSameLower;
    if (attrs.auto_pad == AutoPad::kValid) g.pad_begin[i] = g.pad_end[i] = 0;
    if (!out_shape.empty() || same) {
      g.output[i] = !out_shape.empty() ? out_shape[i] : in_spatial[i] * g.strides[i];
      split_pads(g, i, full - g.output[i], attrs.auto_pad == AutoPad::kSameUpper);
    } else {
      g.output[i] = full - g.pad_begin[i] - g.pad_end[i];
    }
  }
  EDGE_RETURN_IF_ERROR(check_output(g));
  return g;
}

}  // namespace edgeserve
