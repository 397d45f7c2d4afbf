// GridSample, MaxUnpool and ReverseSequence: the sampling and rearranging ops of the detection
// kernel family (registered through detection_kernels() in detection.cc).
#include "engine/ep/reference/kernels/detection_sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

namespace {

// ---- GridSample -----------------------------------------------------------------------------
// Follows the ONNX reference (itself modelled on PyTorch's grid_sample): a source coordinate
// outside the border is first clamped (border) or reflected (reflection), then every
// interpolation tap is read through the same padding rule.

enum class GridMode { kBilinear, kNearest, kBicubic };
enum class GridPadding { kZeros, kBorder, kReflection };

struct GridSampleAttrs {
  GridMode mode = GridMode::kBilinear;
  GridPadding padding = GridPadding::kZeros;
  bool align_corners = false;
};

// One spatial axis of X: its size and the border that grid coordinates +-1 map to.
struct GridAxis {
  int64_t size = 0;
  double lo = 0, hi = 0;  // [-0.5, size - 0.5]; [0, size - 1] with align_corners
};

GridAxis grid_axis(int64_t size, bool align_corners) {
  const double s = static_cast<double>(size);
  return align_corners ? GridAxis{size, 0.0, s - 1} : GridAxis{size, -0.5, s - 0.5};
}

// Interpolation taps along one axis: indices into the axis (-1 = zero padding) and weights.
struct GridTaps {
  int64_t idx[4] = {-1, -1, -1, -1};
  double w[4] = {0, 0, 0, 0};
  int n = 0;
};

// Mirrors x at the borders until it lies in [lo, hi].
double reflect(double x, double lo, double hi) {
  if (x >= lo && x <= hi) return x;
  const double range = hi - lo;
  if (!(range > 0)) return lo;
  const bool below = x < lo;
  const double d = below ? lo - x : x - hi;
  const double r = std::fmod(d, range);
  const bool even = std::fmod(std::floor(d / range), 2.0) == 0;
  return below == even ? lo + r : hi - r;
}

// Moves an out-of-border coordinate back as the padding mode says. With zeros padding it is
// only clamped far enough out that every tap still reads zero, which keeps the integer
// conversions below defined for any grid value.
double pad_coordinate(double x, const GridAxis& ax, GridPadding p) {
  const double s = static_cast<double>(ax.size);
  if (p == GridPadding::kZeros) return std::clamp(x, -4.0, s + 3.0);
  if (x >= ax.lo && x <= ax.hi) return x;  // only out-of-border coordinates move
  if (p == GridPadding::kBorder) return std::clamp(x, 0.0, s - 1);
  return reflect(x, ax.lo, ax.hi);
}

int64_t tap_index(int64_t i, const GridAxis& ax, GridPadding p) {
  if (p == GridPadding::kZeros) return i >= 0 && i < ax.size ? i : -1;
  if (p == GridPadding::kReflection) i = static_cast<int64_t>(reflect(static_cast<double>(i), ax.lo, ax.hi));
  return std::clamp<int64_t>(i, 0, ax.size - 1);
}

// Keys' cubic convolution weights (a = -0.75, as PyTorch) for taps at -1, 0, 1, 2 from floor(x).
void cubic_weights(double t, double* w) {
  constexpr double a = -0.75;
  // Weights of a tap at distance d: `near` for d <= 1, `far` for 1 < d < 2.
  auto near = [](double d) { return ((a + 2) * d - (a + 3)) * d * d + 1; };
  auto far = [](double d) { return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a; };
  w[0] = far(t + 1);
  w[1] = near(t);
  w[2] = near(1 - t);
  w[3] = far(2 - t);
}

// Taps for a normalised grid coordinate `g` along `ax`. Precondition: g is not NaN.
GridTaps axis_taps(const GridSampleAttrs& a, double g, const GridAxis& ax) {
  const double s = static_cast<double>(ax.size);
  double x = a.align_corners ? (g + 1) / 2 * (s - 1) : ((g + 1) * s - 1) / 2;
  // Infinities cannot be reflected; a coordinate this far out samples the same pixels.
  x = std::clamp(x, -1e15, 1e15);
  // Ties to even, as PyTorch's 2-D nearest mode.
  if (a.mode == GridMode::kNearest) x = std::nearbyint(x);
  x = pad_coordinate(x, ax, a.padding);
  GridTaps t;
  if (a.mode == GridMode::kNearest) {
    t.n = 1;
    t.idx[0] = tap_index(static_cast<int64_t>(x), ax, a.padding);
    t.w[0] = 1;
    return t;
  }
  const double x0 = std::floor(x);
  const double f = x - x0;
  const int64_t i0 = static_cast<int64_t>(x0);
  if (a.mode == GridMode::kBilinear) {
    t.n = 2;
    t.w[0] = 1 - f;
    t.w[1] = f;
    for (int k = 0; k < 2; ++k) t.idx[k] = tap_index(i0 + k, ax, a.padding);
    return t;
  }
  t.n = 4;
  cubic_weights(f, t.w);
  for (int k = 0; k < 4; ++k) t.idx[k] = tap_index(i0 - 1 + k, ax, a.padding);
  return t;
}

template <typename T>
double sample_plane(const T* plane, int64_t width, const GridTaps& ty, const GridTaps& tx) {
  double acc = 0;
  for (int j = 0; j < ty.n; ++j) {
    if (ty.idx[j] < 0) continue;
    double row = 0;
    for (int k = 0; k < tx.n; ++k) {
      if (tx.idx[k] >= 0) row += tx.w[k] * static_cast<double>(plane[ty.idx[j] * width + tx.idx[k]]);
    }
    acc += ty.w[j] * row;
  }
  return acc;
}

Result<std::vector<double>> read_float_values(const Tensor& t, const char* what) {
  std::vector<double> v(static_cast<size_t>(t.num_elements()));
  EDGE_RETURN_IF_ERROR(dispatch<EDGE_FLOAT_TYPES>(t.dtype(), what, [&](auto tag) {
    using T = decltype(tag);
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(t.data<T>()[i]);
  }));
  return v;
}

Status check_grid_shapes(const Tensor& x, const Tensor& grid) {
  if (x.rank() != 4) {
    return unimplemented(str_cat("only 4-D X [N, C, H, W] is supported, got ", dims_to_string(x.dims())));
  }
  if (grid.rank() != 4 || grid.dim(0) != x.dim(0) || grid.dim(3) != 2) {
    return invalid_argument(
        str_cat("grid must be [", x.dim(0), ", H_out, W_out, 2], got ", dims_to_string(grid.dims())));
  }
  return check_dims_bounded(x, "X");
}

Status run_grid_sample(const GridSampleAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& grid_t = ctx.input(1);
  EDGE_RETURN_IF_ERROR(check_grid_shapes(x, grid_t));
  EDGE_ASSIGN_OR_RETURN(std::vector<double> grid, read_float_values(grid_t, "grid"));
  const int64_t n_batch = x.dim(0), channels = x.dim(1), height = x.dim(2), width = x.dim(3);
  const int64_t points = grid_t.dim(1) * grid_t.dim(2);
  const GridAxis ay = grid_axis(height, a.align_corners), ax = grid_axis(width, a.align_corners);
  return dispatch<EDGE_FLOAT_TYPES>(x.dtype(), "X", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y,
                          ctx.allocate_output(0, x.dtype(), {n_batch, channels, grid_t.dim(1), grid_t.dim(2)}));
    if (height == 0 || width == 0) return Status::ok();  // nothing to sample: all zeros
    T* out = y->mutable_data<T>();
    for (int64_t n = 0; n < n_batch; ++n) {
      for (int64_t p = 0; p < points; ++p) {
        const double gx = grid[static_cast<size_t>((n * points + p) * 2)];
        const double gy = grid[static_cast<size_t>((n * points + p) * 2 + 1)];
        const bool nan = std::isnan(gx) || std::isnan(gy);
        const GridTaps tx = nan ? GridTaps{} : axis_taps(a, gx, ax), ty = nan ? GridTaps{} : axis_taps(a, gy, ay);
        for (int64_t c = 0; c < channels; ++c) {
          const T* plane = x.data<T>() + (n * channels + c) * height * width;
          const double v = nan ? std::numeric_limits<double>::quiet_NaN() : sample_plane(plane, width, ty, tx);
          out[(n * channels + c) * points + p] = static_cast<T>(v);
        }
      }
    }
    return Status::ok();
  });
}

Result<GridMode> parse_grid_mode(const std::string& mode) {
  // Opset 20 renamed bilinear/bicubic to linear/cubic; both spellings mean the same in 2-D.
  if (mode == "bilinear" || mode == "linear") return GridMode::kBilinear;
  if (mode == "nearest") return GridMode::kNearest;
  if (mode == "bicubic" || mode == "cubic") return GridMode::kBicubic;
  return invalid_argument(str_cat("mode must be bilinear, nearest or bicubic, got '", mode, "'"));
}

Result<GridPadding> parse_grid_padding(const std::string& padding) {
  if (padding == "zeros") return GridPadding::kZeros;
  if (padding == "border") return GridPadding::kBorder;
  if (padding == "reflection") return GridPadding::kReflection;
  return invalid_argument(str_cat("padding_mode must be zeros, border or reflection, got '", padding, "'"));
}

Result<GridSampleAttrs> grid_sample_attrs(const Node& node) {
  GridSampleAttrs a;
  EDGE_ASSIGN_OR_RETURN(std::string mode, node.attr_string("mode", "bilinear"));
  EDGE_ASSIGN_OR_RETURN(a.mode, parse_grid_mode(mode));
  EDGE_ASSIGN_OR_RETURN(std::string padding, node.attr_string("padding_mode", "zeros"));
  EDGE_ASSIGN_OR_RETURN(a.padding, parse_grid_padding(padding));
  EDGE_ASSIGN_OR_RETURN(int64_t align, node.attr_int("align_corners", 0));
  if (align != 0 && align != 1) return invalid_argument(str_cat("align_corners must be 0 or 1, got ", align));
  a.align_corners = align == 1;
  return a;
}

Result<std::unique_ptr<Kernel>> make_grid_sample(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
  auto attrs = grid_sample_attrs(node);
  if (!attrs.is_ok()) return invalid_argument(str_cat(node.describe(), ": ", attrs.status().message()));
  return make_kernel(*attrs, run_grid_sample);
}

// ---- MaxUnpool ------------------------------------------------------------------------------

struct MaxUnpoolAttrs {
  std::vector<int64_t> kernel, strides, pads;  // pads: all begins, then all ends
};

// The default output size of one axis: the input size MaxPool would have read from.
Result<int64_t> unpooled_size(const MaxUnpoolAttrs& a, size_t d, int64_t in) {
  const size_t k = a.kernel.size();
  int64_t out = 0;
  if (__builtin_mul_overflow(in - 1, a.strides[d], &out) || __builtin_add_overflow(out, a.kernel[d], &out) ||
      __builtin_sub_overflow(out, a.pads[d] + a.pads[d + k], &out)) {
    return invalid_argument(str_cat("output size of spatial axis ", d, " overflows"));
  }
  if (out < 0) return invalid_argument(str_cat("output size of spatial axis ", d, " is negative (", out, ")"));
  return out;
}

// The shape MaxPool read from; MaxPool's Indices are flat offsets into it.
Result<Dims> unpooled_dims(const MaxUnpoolAttrs& a, const Tensor& x) {
  Dims dims = {x.dim(0), x.dim(1)};
  for (size_t d = 0; d < a.kernel.size(); ++d) {
    EDGE_ASSIGN_OR_RETURN(int64_t size, unpooled_size(a, d, x.dim(d + 2)));
    dims.push_back(size);
  }
  return dims;
}

// output_shape may only enlarge the unpooled shape: the unpooled tensor sits at its origin and
// the rest is zero, as in the ONNX reference (and onnxruntime, which pads at the end).
Result<Dims> requested_dims(const Tensor& output_shape, const Dims& unpooled) {
  EDGE_ASSIGN_OR_RETURN(Dims dims, read_int_values(output_shape));
  bool fits = dims.size() == unpooled.size();
  for (size_t d = 0; fits && d < dims.size(); ++d) fits = dims[d] >= unpooled[d];
  if (!fits) {
    return invalid_argument(str_cat("output_shape ", dims_to_string(dims),
                                    " must have the rank of X and be at least the unpooled shape ",
                                    dims_to_string(unpooled), " on every axis"));
  }
  return dims;
}

// Moves a flat offset in `from` to the same coordinates in a tensor with strides `to_strides`.
int64_t remap_offset(int64_t flat, const Dims& from, const std::vector<int64_t>& to_strides) {
  int64_t offset = 0;
  for (size_t d = from.size(); d-- > 0;) {
    offset += (flat % from[d]) * to_strides[d];
    flat /= from[d];
  }
  return offset;
}

Status check_unpool_inputs(const MaxUnpoolAttrs& a, const Tensor& x, const Tensor& indices) {
  if (x.rank() != a.kernel.size() + 2) {
    return invalid_argument(str_cat("X must have rank ", a.kernel.size() + 2, " (kernel_shape has ", a.kernel.size(),
                                    " axes), got ", dims_to_string(x.dims())));
  }
  if (indices.dims() != x.dims()) {
    return invalid_argument(
        str_cat("I must have the shape of X ", dims_to_string(x.dims()), ", got ", dims_to_string(indices.dims())));
  }
  return Status::ok();
}

Status run_max_unpool(const MaxUnpoolAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  EDGE_RETURN_IF_ERROR(check_unpool_inputs(a, x, ctx.input(1)));
  EDGE_ASSIGN_OR_RETURN(Dims unpooled, unpooled_dims(a, x));
  Dims out_dims = unpooled;
  if (const Tensor* shape = ctx.optional_input(2)) {
    EDGE_ASSIGN_OR_RETURN(out_dims, requested_dims(*shape, unpooled));
  }
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> indices, read_int_values(ctx.input(1)));
  return dispatch<float, double, Float16, BFloat16>(x.dtype(), "X", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), out_dims));
    // Every unpooled dim is at most its output dim, so unless the output is empty (and then
    // no index is valid) this product is at most the output's size and cannot overflow.
    int64_t limit = y->num_elements() == 0 ? 0 : 1;
    for (int64_t d : unpooled) limit = limit == 0 ? 0 : limit * d;
    const std::vector<int64_t> out_strides = contiguous_strides(out_dims);
    for (size_t i = 0; i < indices.size(); ++i) {
      if (indices[i] < 0 || indices[i] >= limit) {
        return invalid_argument(str_cat("I[", i, "] = ", indices[i], " is outside the unpooled shape ",
                                        dims_to_string(unpooled), " (", limit, " elements)"));
      }
      y->mutable_data<T>()[remap_offset(indices[i], unpooled, out_strides)] = x.data<T>()[i];
    }
    return Status::ok();
  });
}

Result<MaxUnpoolAttrs> max_unpool_attrs(const Node& node) {
  MaxUnpoolAttrs a;
  EDGE_ASSIGN_OR_RETURN(a.kernel, node.attr_ints("kernel_shape"));
  const size_t k = a.kernel.size();
  EDGE_ASSIGN_OR_RETURN(a.strides, node.attr_ints("strides", std::vector<int64_t>(k, 1)));
  EDGE_ASSIGN_OR_RETURN(a.pads, node.attr_ints("pads", std::vector<int64_t>(2 * k, 0)));
  if (k == 0 || a.strides.size() != k || a.pads.size() != 2 * k) {
    return invalid_argument(str_cat("kernel_shape (", k, " values), strides (", a.strides.size(), ") and pads (",
                                    a.pads.size(), ") disagree; expected n, n and 2n values with n >= 1"));
  }
  // Bounds keep unpooled_size's arithmetic within int64 without special cases.
  constexpr int64_t kMaxAttr = int64_t{1} << 40;
  for (size_t d = 0; d < k; ++d) {
    if (a.kernel[d] < 1 || a.strides[d] < 1 || a.kernel[d] > kMaxAttr || a.strides[d] > kMaxAttr) {
      return invalid_argument(str_cat("kernel_shape and strides must be in [1, 2^40], got ", a.kernel[d], " and ",
                                      a.strides[d], " on axis ", d));
    }
  }
  for (int64_t p : a.pads) {
    if (p < 0 || p > kMaxAttr) return invalid_argument(str_cat("pads must be in [0, 2^40], got ", p));
  }
  return a;
}

Result<std::unique_ptr<Kernel>> make_max_unpool(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 3));
  auto attrs = max_unpool_attrs(node);
  if (!attrs.is_ok()) return invalid_argument(str_cat(node.describe(), ": ", attrs.status().message()));
  return make_kernel(*attrs, run_max_unpool);
}

// ---- ReverseSequence ------------------------------------------------------------------------

struct ReverseSequenceAttrs {
  bool time_major = true;  // time_axis = 0, batch_axis = 1 (the default); else the reverse
};

Status run_reverse_sequence(const ReverseSequenceAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) return invalid_argument(str_cat("input must have rank >= 2, got ", dims_to_string(x.dims())));
  EDGE_RETURN_IF_ERROR(check_dims_bounded(x, "input"));
  const int64_t steps = x.dim(a.time_major ? 0 : 1), batch = x.dim(a.time_major ? 1 : 0);
  const int64_t inner = x.num_elements() == 0 ? 0 : x.num_elements() / (steps * batch);
  const Tensor& lens_t = ctx.input(1);
  if (lens_t.rank() != 1 || lens_t.dim(0) != batch) {
    return invalid_argument(str_cat("sequence_lens must be [", batch, "], got ", dims_to_string(lens_t.dims())));
  }
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> lens, read_int_values(lens_t));
  for (size_t b = 0; b < lens.size(); ++b) {
    if (lens[b] < 0 || lens[b] > steps) {
      return invalid_argument(str_cat("sequence_lens[", b, "] = ", lens[b], " is outside [0, ", steps, "]"));
    }
  }
  auto offset = [&](int64_t t, int64_t b) { return (a.time_major ? t * batch + b : b * steps + t) * inner; };
  return dispatch<EDGE_ALL_TYPES>(x.dtype(), "input", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), x.dims()));
    if (inner == 0) return Status::ok();
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t len = lens[static_cast<size_t>(b)];
      for (int64_t t = 0; t < steps; ++t) {
        const T* src = x.data<T>() + offset(t < len ? len - 1 - t : t, b);
        std::copy(src, src + inner, y->mutable_data<T>() + offset(t, b));
      }
    }
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_reverse_sequence(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
  EDGE_ASSIGN_OR_RETURN(int64_t batch_axis, node.attr_int("batch_axis", 1));
  EDGE_ASSIGN_OR_RETURN(int64_t time_axis, node.attr_int("time_axis", 0));
  if (!((batch_axis == 1 && time_axis == 0) || (batch_axis == 0 && time_axis == 1))) {
    return invalid_argument(str_cat(node.describe(), ": batch_axis and time_axis must be 0 and 1 in either order, got ",
                                    batch_axis, " and ", time_axis));
  }
  return make_kernel(ReverseSequenceAttrs{time_axis == 0}, run_reverse_sequence);
}

}  // namespace

std::vector<KernelEntry> detection_sampling_kernels() {
  return {
      {"GridSample", make_grid_sample, HalfMode::kAsFloat, "", 16},
      {"MaxUnpool", make_max_unpool, HalfMode::kNative, "", 9},
      {"ReverseSequence", make_reverse_sequence, HalfMode::kNative, "", 10},
  };
}

}  // namespace edgeserve::ref
