// Resize and Upsample: nearest, linear and cubic interpolation, applied one axis at a time.
// Interpolation is separable, so resizing axis by axis equals the n-D tensor-product formula
// the spec describes; axes that shrink go first so intermediates never exceed the input or
// the output in size.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

namespace {

enum class Mode { kNearest, kLinear, kCubic };
enum class Coord { kHalfPixel, kHalfPixelSymmetric, kPytorchHalfPixel, kAlignCorners, kAsymmetric, kTfHalfPixelForNn,
                   kTfCropAndResize };
// kSimple is the pre-opset-11 behaviour (ONNX Runtime's): truncate when upsampling, ceil when
// downsampling.
enum class Nearest { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kSimple };
// Where the target shape comes from.
enum class Layout { kScalesAttr, kScalesInput1, kRoiScalesSizes };
enum class AspectPolicy { kStretch, kNotLarger, kNotSmaller };

struct ResizeAttrs {
  Mode mode = Mode::kNearest;
  Coord coord = Coord::kHalfPixel;
  Nearest nearest = Nearest::kRoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation = 0.0;
  Layout layout = Layout::kRoiScalesSizes;
  AspectPolicy policy = AspectPolicy::kStretch;
  std::vector<float> scales_attr;  // Upsample before opset 9
  std::vector<int64_t> axes;       // opset 18: the axes scales/sizes refer to (empty: all)
};

// One axis's resize: lengths, the scale used by the coordinate transform, and its roi.
struct AxisPlan {
  int64_t in = 1, out = 1;
  double scale = 1;
  double roi_start = 0, roi_end = 1;
};

// For each output position along an axis, up to 4 source indices and weights.
struct Taps {
  int n = 1;
  std::vector<int64_t> idx;   // out * n
  std::vector<double> w;      // out * n
  std::vector<char> extrap;   // out: 1 = use the extrapolation value (tf_crop_and_resize)
};

// ---- attribute parsing ----

template <typename E>
Result<E> parse_enum(const Node& node, const char* attr, const std::string& fallback,
                     std::initializer_list<std::pair<const char*, E>> names) {
  EDGE_ASSIGN_OR_RETURN(std::string s, node.attr_string(attr, fallback));
  for (const auto& [name, value] : names) {
    if (s == name) return value;
  }
  return invalid_argument(str_cat(node.describe(), ": unsupported ", attr, " '", s, "'"));
}

Status parse_modern_attrs(const Node& node, ResizeAttrs& a) {
  EDGE_ASSIGN_OR_RETURN(a.coord, parse_enum<Coord>(node, "coordinate_transformation_mode", "half_pixel",
                                                   {{"half_pixel", Coord::kHalfPixel},
                                                    {"half_pixel_symmetric", Coord::kHalfPixelSymmetric},
                                                    {"pytorch_half_pixel", Coord::kPytorchHalfPixel},
                                                    {"align_corners", Coord::kAlignCorners},
                                                    {"asymmetric", Coord::kAsymmetric},
                                                    {"tf_half_pixel_for_nn", Coord::kTfHalfPixelForNn},
                                                    {"tf_crop_and_resize", Coord::kTfCropAndResize}}));
  EDGE_ASSIGN_OR_RETURN(a.nearest, parse_enum<Nearest>(node, "nearest_mode", "round_prefer_floor",
                                                       {{"round_prefer_floor", Nearest::kRoundPreferFloor},
                                                        {"round_prefer_ceil", Nearest::kRoundPreferCeil},
                                                        {"floor", Nearest::kFloor},
                                                        {"ceil", Nearest::kCeil}}));
  EDGE_ASSIGN_OR_RETURN(a.policy, parse_enum<AspectPolicy>(node, "keep_aspect_ratio_policy", "stretch",
                                                           {{"stretch", AspectPolicy::kStretch},
                                                            {"not_larger", AspectPolicy::kNotLarger},
                                                            {"not_smaller", AspectPolicy::kNotSmaller}}));
  EDGE_ASSIGN_OR_RETURN(float cubic_a, node.attr_float("cubic_coeff_a", -0.75f));
  EDGE_ASSIGN_OR_RETURN(int64_t exclude, node.attr_int("exclude_outside", 0));
  EDGE_ASSIGN_OR_RETURN(float extrap, node.attr_float("extrapolation_value", 0.0f));
  EDGE_ASSIGN_OR_RETURN(int64_t antialias, node.attr_int("antialias", 0));
  EDGE_ASSIGN_OR_RETURN(a.axes, node.attr_ints("axes", std::vector<int64_t>{}));
  if (antialias != 0) return unimplemented(str_cat(node.describe(), ": antialias is not supported"));
  a.cubic_a = cubic_a;
  a.exclude_outside = exclude != 0;
  a.extrapolation = extrap;
  return Status::ok();
}

Result<ResizeAttrs> parse_attrs(const Node& node) {
  ResizeAttrs a;
  EDGE_ASSIGN_OR_RETURN(a.mode, parse_enum<Mode>(node, "mode", "nearest",
                                                 {{"nearest", Mode::kNearest}, {"linear", Mode::kLinear},
                                                  {"bilinear", Mode::kLinear}, {"cubic", Mode::kCubic}}));
  const bool legacy = node.op_type == "Upsample" || node.opset < 11;
  if (!legacy) {
    EDGE_RETURN_IF_ERROR(parse_modern_attrs(node, a));
    return a;
  }
  if (a.mode == Mode::kCubic) return invalid_argument(str_cat(node.describe(), ": cubic needs opset 11"));
  a.coord = Coord::kAsymmetric;
  a.nearest = Nearest::kSimple;
  if (node.op_type == "Upsample" && node.opset < 9) {
    a.layout = Layout::kScalesAttr;
    EDGE_ASSIGN_OR_RETURN(a.scales_attr, node.attr_floats("scales"));
  } else {
    a.layout = Layout::kScalesInput1;
  }
  return a;
}

// ---- target shape ----

Result<std::vector<double>> read_doubles(const Tensor& t, const char* what) {
  std::vector<double> v(static_cast<size_t>(t.num_elements()));
  Status st = dispatch<float, double>(t.dtype(), what, [&](auto tag) {
    using T = decltype(tag);
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(t.data<T>()[i]);
  });
  EDGE_RETURN_IF_ERROR(st);
  return v;
}

// The axes scales/sizes/roi refer to: `axes` if given, else all of them.
Result<std::vector<int64_t>> target_axes(const ResizeAttrs& a, int64_t rank) {
  if (a.axes.empty()) {
    std::vector<int64_t> all(static_cast<size_t>(rank));
    for (int64_t i = 0; i < rank; ++i) all[static_cast<size_t>(i)] = i;
    return all;
  }
  return normalize_axes(a.axes, rank);
}

Status set_scales(const std::vector<double>& scales, const std::vector<int64_t>& axes, std::vector<AxisPlan>& plan) {
  if (scales.size() != axes.size()) {
    return invalid_argument(str_cat("expected ", axes.size(), " scales, got ", scales.size()));
  }
  for (size_t i = 0; i < axes.size(); ++i) {
    AxisPlan& p = plan[static_cast<size_t>(axes[i])];
    const double s = scales[i];
    // Scales far beyond any real resize are rejected before they become sizes.
    if (!(s > 0) || s > 1e9) return invalid_argument(str_cat("scale ", s, " must be positive and finite"));
    const double out = std::floor(static_cast<double>(p.in) * s);
    if (out > 1e15) return resource_exhausted(str_cat("scale ", s, " gives an output too large"));
    p.scale = s;
    p.out = static_cast<int64_t>(out);
  }
  return Status::ok();
}

Status set_sizes(const std::vector<int64_t>& sizes, const std::vector<int64_t>& axes, AspectPolicy policy,
                 std::vector<AxisPlan>& plan) {
  if (sizes.size() != axes.size()) {
    return invalid_argument(str_cat("expected ", axes.size(), " sizes, got ", sizes.size()));
  }
  double common = policy == AspectPolicy::kNotLarger ? std::numeric_limits<double>::infinity() : 0.0;
  for (size_t i = 0; i < axes.size(); ++i) {
    AxisPlan& p = plan[static_cast<size_t>(axes[i])];
    if (sizes[i] < 0) return invalid_argument(str_cat("negative size ", sizes[i]));
    if (p.in == 0 && sizes[i] != 0) return invalid_argument("cannot resize an empty axis to a non-empty one");
    p.out = sizes[i];
    p.scale = p.in == 0 ? 1.0 : static_cast<double>(sizes[i]) / static_cast<double>(p.in);
    common = policy == AspectPolicy::kNotLarger ? std::min(common, p.scale) : std::max(common, p.scale);
  }
  if (policy == AspectPolicy::kStretch) return Status::ok();
  // Keeping the aspect ratio: one scale for every axis, sizes rounded half to even.
  for (int64_t axis : axes) {
    AxisPlan& p = plan[static_cast<size_t>(axis)];
    p.scale = common;
    p.out = static_cast<int64_t>(std::nearbyint(common * static_cast<double>(p.in)));
  }
  return Status::ok();
}

Status set_roi(const Tensor* roi, const std::vector<int64_t>& axes, std::vector<AxisPlan>& plan) {
  if (roi == nullptr || roi->num_elements() == 0) return Status::ok();
  EDGE_ASSIGN_OR_RETURN(std::vector<double> v, read_doubles(*roi, "roi"));
  if (v.size() != 2 * axes.size()) return invalid_argument(str_cat("roi must hold ", 2 * axes.size(), " values"));
  for (size_t i = 0; i < axes.size(); ++i) {
    plan[static_cast<size_t>(axes[i])].roi_start = v[i];
    plan[static_cast<size_t>(axes[i])].roi_end = v[i + axes.size()];
  }
  return Status::ok();
}

Result<std::vector<AxisPlan>> make_plan(const ResizeAttrs& a, const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() == 0) return invalid_argument("cannot resize a scalar");
  std::vector<AxisPlan> plan(x.rank());
  for (size_t d = 0; d < x.rank(); ++d) plan[d].in = plan[d].out = x.dim(d);
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> axes, target_axes(a, static_cast<int64_t>(x.rank())));
  if (a.layout == Layout::kScalesAttr) {
    EDGE_RETURN_IF_ERROR(set_scales(std::vector<double>(a.scales_attr.begin(), a.scales_attr.end()), axes, plan));
    return plan;
  }
  if (a.layout == Layout::kScalesInput1) {
    EDGE_ASSIGN_OR_RETURN(std::vector<double> scales, read_doubles(ctx.input(1), "scales"));
    EDGE_RETURN_IF_ERROR(set_scales(scales, axes, plan));
    return plan;
  }
  const Tensor* scales = ctx.optional_input(2);
  const Tensor* sizes = ctx.optional_input(3);
  if (scales != nullptr && scales->num_elements() == 0) scales = nullptr;  // opset 11 passes "" or empty
  if ((scales == nullptr) == (sizes == nullptr)) return invalid_argument("exactly one of scales and sizes must be given");
  if (scales != nullptr) {
    EDGE_ASSIGN_OR_RETURN(std::vector<double> s, read_doubles(*scales, "scales"));
    EDGE_RETURN_IF_ERROR(set_scales(s, axes, plan));
  } else {
    EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> s, read_int_values(*sizes));
    EDGE_RETURN_IF_ERROR(set_sizes(s, axes, a.policy, plan));
  }
  EDGE_RETURN_IF_ERROR(set_roi(ctx.optional_input(1), axes, plan));
  return plan;
}

// ---- per-axis taps ----

// Maps an output coordinate to the input coordinate system.
double original_coord(Coord c, double x, const AxisPlan& p) {
  const double in = static_cast<double>(p.in), out = static_cast<double>(p.out), s = p.scale;
  switch (c) {
    case Coord::kHalfPixel: return (x + 0.5) / s - 0.5;
    case Coord::kHalfPixelSymmetric: {
      const double offset = in / 2 * (1 - out / (s * in));
      return offset + (x + 0.5) / s - 0.5;
    }
    case Coord::kPytorchHalfPixel: return out > 1 ? (x + 0.5) / s - 0.5 : 0.0;
    case Coord::kAlignCorners: {
      // The ONNX reference uses the unfloored length in * scale here (it equals out when
      // sizes are given), which matters when a scale does not divide the length.
      const double len = in * s;
      return len == 1 ? 0.0 : x * (in - 1) / (len - 1);
    }
    case Coord::kAsymmetric: return x / s;
    case Coord::kTfHalfPixelForNn: return (x + 0.5) / s;
    case Coord::kTfCropAndResize:
      return out > 1 ? p.roi_start * (in - 1) + x * (p.roi_end - p.roi_start) * (in - 1) / (out - 1)
                     : 0.5 * (p.roi_start + p.roi_end) * (in - 1);
  }
  return 0.0;
}

double nearest_coord(Nearest m, double x, bool downsample) {
  const double fl = std::floor(x);
  switch (m) {
    case Nearest::kRoundPreferFloor: return x - fl == 0.5 ? fl : std::round(x);
    case Nearest::kRoundPreferCeil: return x - fl == 0.5 ? fl + 1 : std::round(x);
    case Nearest::kFloor: return fl;
    case Nearest::kCeil: return std::ceil(x);
    case Nearest::kSimple: return downsample ? std::ceil(x) : std::trunc(x);
  }
  return fl;
}

// Keys cubic convolution weights for offsets -1, 0, 1, 2 from floor(x); r = x - floor(x).
void cubic_weights(double r, double a, double* w) {
  auto near = [a](double t) { return ((a + 2) * t - (a + 3)) * t * t + 1; };             // |t| <= 1
  auto far = [a](double t) { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a; };        // 1 < |t| < 2
  w[0] = far(r + 1);
  w[1] = near(r);
  w[2] = near(1 - r);
  w[3] = far(2 - r);
}

void interp_taps(const ResizeAttrs& a, double xo, int64_t in, int64_t* idx, double* w, int n) {
  const double fl = std::floor(xo);
  const double r = xo - fl;
  const int64_t base = static_cast<int64_t>(fl) - (n == 4 ? 1 : 0);
  if (n == 2) {
    w[0] = 1 - r;
    w[1] = r;
  } else {
    cubic_weights(r, a.cubic_a, w);
  }
  double sum = 0;
  for (int k = 0; k < n; ++k) {
    idx[k] = base + k;
    if (a.exclude_outside && (idx[k] < 0 || idx[k] >= in)) w[k] = 0;
    sum += w[k];
    idx[k] = std::clamp<int64_t>(idx[k], 0, in - 1);  // edge padding
  }
  if (a.exclude_outside && sum != 0) {
    for (int k = 0; k < n; ++k) w[k] /= sum;
  }
}

Taps build_taps(const ResizeAttrs& a, const AxisPlan& p) {
  Taps t;
  t.n = a.mode == Mode::kNearest ? 1 : a.mode == Mode::kLinear ? 2 : 4;
  const size_t out = static_cast<size_t>(p.out);
  t.idx.assign(out * static_cast<size_t>(t.n), 0);
  t.w.assign(out * static_cast<size_t>(t.n), 0.0);
  t.extrap.assign(out, 0);
  const double in = static_cast<double>(p.in);
  for (size_t x = 0; x < out; ++x) {
    double xo = original_coord(a.coord, static_cast<double>(x), p);
    if (a.coord == Coord::kTfCropAndResize && !(xo >= 0 && xo <= in - 1)) {
      t.extrap[x] = 1;
      continue;
    }
    // Positions far outside the input behave like the edge; clamping keeps the int conversion defined.
    xo = std::clamp(xo, -4.0, in + 4.0);
    int64_t* idx = &t.idx[x * static_cast<size_t>(t.n)];
    double* w = &t.w[x * static_cast<size_t>(t.n)];
    if (t.n == 1) {
      const double c = nearest_coord(a.nearest, xo, p.scale < 1);
      idx[0] = std::clamp<int64_t>(static_cast<int64_t>(c), 0, p.in - 1);
      w[0] = 1;
    } else {
      interp_taps(a, xo, p.in, idx, w, t.n);
    }
  }
  return t;
}

// True when the taps copy the axis unchanged, so the pass can be skipped.
bool is_identity(const Taps& t, const AxisPlan& p) {
  if (p.in != p.out) return false;
  for (size_t x = 0; x < t.extrap.size(); ++x) {
    if (t.extrap[x]) return false;
    for (int k = 0; k < t.n; ++k) {
      const size_t j = x * static_cast<size_t>(t.n) + static_cast<size_t>(k);
      if (t.w[j] != 0 && (t.w[j] != 1 || t.idx[j] != static_cast<int64_t>(x))) return false;
    }
  }
  return true;
}

// Resizes `data` (shape `dims`) along `axis` with the given taps; updates dims.
std::vector<double> apply_axis(const std::vector<double>& data, Dims& dims, size_t axis, const Taps& t,
                               const AxisPlan& p, double extrapolation) {
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d) outer *= dims[d];
  for (size_t d = axis + 1; d < dims.size(); ++d) inner *= dims[d];
  std::vector<double> out(static_cast<size_t>(outer * p.out * inner));
  size_t j = 0;
  for (int64_t o = 0; o < outer; ++o) {
    const double* src = data.data() + o * p.in * inner;
    for (int64_t x = 0; x < p.out; ++x) {
      const int64_t* idx = &t.idx[static_cast<size_t>(x * t.n)];
      const double* w = &t.w[static_cast<size_t>(x * t.n)];
      for (int64_t i = 0; i < inner; ++i) {
        double acc = 0;
        for (int k = 0; k < t.n; ++k) acc += w[k] * src[idx[k] * inner + i];
        out[j++] = t.extrap[static_cast<size_t>(x)] ? extrapolation : acc;
      }
    }
  }
  dims[axis] = p.out;
  return out;
}

template <typename T>
T from_double(double v) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    // Integer images: round and saturate (interpolation can overshoot with cubic weights).
    const double lo = static_cast<double>(std::numeric_limits<T>::lowest());
    const double hi = static_cast<double>(std::numeric_limits<T>::max());
    return static_cast<T>(std::clamp(std::nearbyint(v), lo, hi));
  }
}

Status resize(const ResizeAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  EDGE_ASSIGN_OR_RETURN(std::vector<AxisPlan> plan, make_plan(a, ctx));
  Dims out_dims(plan.size());
  for (size_t d = 0; d < plan.size(); ++d) out_dims[d] = plan[d].out;
  return dispatch<float, double, uint8_t, int8_t>(x.dtype(), "input 0", [&](auto tag) -> Status {
    using T = decltype(tag);
    // Allocating the output first enforces the size limit before any intermediate exists.
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), out_dims));
    if (y->num_elements() == 0) return Status::ok();
    std::vector<double> data(x.data<T>(), x.data<T>() + x.num_elements());
    Dims dims = x.dims();
    // Shrinking axes first keeps every intermediate no larger than max(input, output).
    std::vector<size_t> order(plan.size());
    for (size_t d = 0; d < order.size(); ++d) order[d] = d;
    std::stable_sort(order.begin(), order.end(), [&](size_t l, size_t r) {
      return (plan[l].out < plan[l].in) > (plan[r].out < plan[r].in);
    });
    for (size_t d : order) {
      const Taps taps = build_taps(a, plan[d]);
      if (is_identity(taps, plan[d])) continue;
      data = apply_axis(data, dims, d, taps, plan[d], a.extrapolation);
    }
    std::transform(data.begin(), data.end(), y->mutable_data<T>(), from_double<T>);
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_resize(const Node& node) {
  const bool upsample_attr = node.op_type == "Upsample" && node.opset < 9;
  if (upsample_attr) {
    EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  } else if (node.op_type == "Upsample" || node.opset < 11) {
    EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
  } else {
    EDGE_RETURN_IF_ERROR(check_arity(node, 1, 4));
  }
  EDGE_ASSIGN_OR_RETURN(ResizeAttrs a, parse_attrs(node));
  return make_kernel(std::move(a), resize);
}

}  // namespace

std::vector<KernelEntry> resize_kernels() {
  return {
      {"Resize", make_resize},
      {"Upsample", make_resize},
  };
}

}  // namespace edgeserve::ref
