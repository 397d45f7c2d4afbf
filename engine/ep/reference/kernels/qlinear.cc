// Exact integer kernels for quantized ops: ai.onnx QLinearConv, ConvInteger, QLinearMatMul and
// DynamicQuantizeLinear; com.microsoft (ONNX Runtime contrib) QLinearAdd, QLinearMul,
// QLinearGlobalAveragePool, QLinearAveragePool, QLinearConcat, QLinearSigmoid, QLinearLeakyRelu.
// The oracle for quantized models: every rounding step reproduces ONNX Runtime's x86-64 CPU
// kernels (MLAS, AVX2/FMA machine) bit for bit, so the formula is written next to each step.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ops/qlinear_math.h"
#include "engine/ep/reference/kernels/kernel_util.h"
#include "engine/ops/conv_geometry.h"

namespace edgeserve::ref {

namespace {

constexpr const char* kMsDomain = "com.microsoft";

// ---- Integer helpers (the rounding formulas are in engine/ops/qlinear_math.h) ------------------

template <typename Q>
Q saturate(int64_t v) {
  return static_cast<Q>(std::clamp<int64_t>(v, std::numeric_limits<Q>::lowest(), std::numeric_limits<Q>::max()));
}

// ORT accumulates in int32 and wraps; sums here are int64, brought back the same way.
int32_t wrap_int32(int64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v))); }

// ---- Parameter inputs -------------------------------------------------------------------------

std::string input_label(size_t i, const char* name) { return str_cat("input ", i, " (", name, ")"); }

bool is_8bit(DType t) { return t == DType::kUint8 || t == DType::kInt8; }

int32_t int8_value(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kUint8 ? int32_t{t.data<uint8_t>()[i]} : int32_t{t.data<int8_t>()[i]};
}

Status check_8bit(const KernelContext& ctx, size_t i, const char* name) {
  const DType t = ctx.input(i).dtype();
  if (is_8bit(t)) return Status::ok();
  return unimplemented(str_cat(input_label(i, name), " of type ", dtype_name(t), " is not supported (uint8 or int8)"));
}

// A scale or zero point holds one value, or one per channel (`count`) when count > 1.
Status check_param_shape(const Tensor& t, size_t i, const char* name, int64_t count) {
  if (t.num_elements() == 1 && t.rank() <= 1) return Status::ok();
  if (count > 1 && t.rank() == 1 && t.dim(0) == count) return Status::ok();
  return invalid_argument(str_cat(input_label(i, name), " must be a scalar",
                                  count > 1 ? str_cat(" or 1-D with ", count, " values") : std::string(), ", got shape ",
                                  dims_to_string(t.dims())));
}

// Scales: float32, finite and positive (a zero scale would divide by zero further on).
Result<std::vector<float>> scales(const KernelContext& ctx, size_t i, const char* name, int64_t count = 1) {
  const Tensor& t = ctx.input(i);
  if (t.dtype() != DType::kFloat32) {
    return invalid_argument(str_cat(input_label(i, name), " must be float32, got ", dtype_name(t.dtype())));
  }
  EDGE_RETURN_IF_ERROR(check_param_shape(t, i, name, count));
  std::vector<float> out(static_cast<size_t>(count));
  for (int64_t j = 0; j < count; ++j) {
    const float v = t.data<float>()[t.num_elements() == 1 ? 0 : j];
    if (!(std::isfinite(v) && v > 0)) return invalid_argument(str_cat(input_label(i, name), " must be positive, got ", v));
    out[static_cast<size_t>(j)] = v;
  }
  return out;
}

Result<float> scale(const KernelContext& ctx, size_t i, const char* name) {
  EDGE_ASSIGN_OR_RETURN(std::vector<float> s, scales(ctx, i, name));
  return s[0];
}

// Zero points: of the data's type `want`; 0 when the optional input is absent.
Result<std::vector<int32_t>> zero_points(const KernelContext& ctx, size_t i, const char* name, DType want,
                                         int64_t count = 1) {
  std::vector<int32_t> out(static_cast<size_t>(count), 0);
  const Tensor* t = ctx.optional_input(i);
  if (t == nullptr) return out;
  if (t->dtype() != want) {
    return invalid_argument(str_cat(input_label(i, name), " must be ", dtype_name(want), ", got ", dtype_name(t->dtype())));
  }
  EDGE_RETURN_IF_ERROR(check_param_shape(*t, i, name, count));
  for (int64_t j = 0; j < count; ++j) out[static_cast<size_t>(j)] = int8_value(*t, t->num_elements() == 1 ? 0 : j);
  return out;
}

Result<int32_t> zero_point(const KernelContext& ctx, size_t i, const char* name, DType want) {
  EDGE_ASSIGN_OR_RETURN(std::vector<int32_t> z, zero_points(ctx, i, name, want));
  return z[0];
}

// Runs f(T{}) for a uint8 or int8 tensor type.
template <typename F>
Status dispatch_8bit(DType t, const char* what, F&& f) {
  return dispatch<uint8_t, int8_t>(t, what, std::forward<F>(f));
}

// ---- Integer convolution (QLinearConv, ConvInteger) ---------------------------------------------

struct ConvState {
  WindowAttrs attrs;
  int64_t group = 1;
  bool silu = false;  // edgeserve.QLinearConv with activation "Silu"
};

struct ConvShape {
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  std::vector<int64_t> in_spatial;
  WindowGeometry geo;
  int64_t in_size = 0, out_size = 0, kernel_size = 0;
};

Result<ConvState> read_conv_state(const Node& node) {
  ConvState s;
  EDGE_ASSIGN_OR_RETURN(s.attrs, read_window_attrs(node));
  EDGE_ASSIGN_OR_RETURN(s.group, node.attr_int("group", 1));
  if (s.group < 1) return invalid_argument(str_cat(node.describe(), ": group must be >= 1, got ", s.group));
  return s;
}

Result<ConvShape> conv_shape(const ConvState& st, const Tensor& x, const Tensor& w, const char* x_name,
                             const char* w_name) {
  if (x.rank() < 3) return invalid_argument(str_cat(x_name, " must have rank >= 3 (N, C, spatial...), got ", x.rank()));
  if (w.rank() != x.rank()) return invalid_argument(str_cat(w_name, " must have the rank of x (", x.rank(), ")"));
  EDGE_RETURN_IF_ERROR(check_dims_bounded(x, x_name));
  EDGE_RETURN_IF_ERROR(check_dims_bounded(w, w_name));
  ConvShape s;
  s.batch = x.dim(0);
  s.in_channels = x.dim(1);
  s.out_channels = w.dim(0);
  s.group = st.group;
  s.in_spatial.assign(x.dims().begin() + 2, x.dims().end());
  const std::vector<int64_t> kernel(w.dims().begin() + 2, w.dims().end());
  if (!st.attrs.kernel_shape.empty() && st.attrs.kernel_shape != kernel) {
    return invalid_argument(str_cat("kernel_shape does not match the spatial dims of ", w_name));
  }
  if (s.in_channels % s.group != 0 || w.dim(1) * s.group != s.in_channels) {
    return invalid_argument(str_cat(x_name, " has ", s.in_channels, " channels; ", w_name, " has ", w.dim(1),
                                    " per group and group is ", s.group));
  }
  if (s.out_channels % s.group != 0) {
    return invalid_argument(str_cat(w_name, " has ", s.out_channels, " output channels, not divisible by group ", s.group));
  }
  EDGE_ASSIGN_OR_RETURN(s.geo, forward_geometry(st.attrs, kernel, s.in_spatial));
  s.in_size = product(s.in_spatial);
  s.out_size = product(s.geo.output);
  s.kernel_size = product(kernel);
  return s;
}

Dims conv_output_dims(const ConvShape& s) {
  Dims dims = {s.batch, s.out_channels};
  dims.insert(dims.end(), s.geo.output.begin(), s.geo.output.end());
  return dims;
}

// acc[o] = sum over c, k of (x[c, o * stride - pad + k * dilation] - x_zp) * (w[m, c, k] - w_zp[m]).
// A position in the padding reads x_zp (ORT fills its im2col padding with the zero point), so it adds
// nothing. Calls emit(n, m, acc) once per output plane; acc is int64 (no overflow for any real K).
template <typename X, typename W, typename Emit>
void integer_conv(const ConvShape& s, const X* x, int32_t x_zp, const W* w, const std::vector<int32_t>& w_zp,
                  Emit&& emit) {
  const int64_t cg = s.in_channels / s.group;
  const int64_t mg = s.out_channels / s.group;
  const auto offsets = kernel_offsets(s.geo);
  std::vector<int64_t> acc(static_cast<size_t>(s.out_size));
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t m = 0; m < s.out_channels; ++m) {
      std::fill(acc.begin(), acc.end(), int64_t{0});
      const int64_t g = m / mg;
      for (int64_t c = 0; c < cg; ++c) {
        const X* plane = x + (n * s.in_channels + g * cg + c) * s.in_size;
        const W* wk = w + (m * cg + c) * s.kernel_size;
        for (size_t k = 0; k < offsets.size(); ++k) {
          const int64_t wv = int64_t{wk[k]} - w_zp[static_cast<size_t>(m)];
          if (wv == 0) continue;
          for_each_mapped(s.geo.output, s.in_spatial, s.geo.strides, s.geo.pad_begin, offsets[k],
                          [&](int64_t j, int64_t t) {
                            if (t >= 0) acc[static_cast<size_t>(j)] += (int64_t{plane[t]} - x_zp) * wv;
                          });
        }
      }
      emit(n, m, acc);
    }
  }
}

// Runs f(X{}, W{}) for the 8-bit types of x and w.
template <typename F>
Status dispatch_xw(DType x, DType w, F&& f) {
  return dispatch_8bit(x, "x", [&](auto xt) -> Status {
    return dispatch_8bit(w, "w", [&](auto wt) -> Status { return f(xt, wt); });
  });
}

// QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, [B]):
//   y = requantize(float(int32(acc + B[m])) * ((x_scale * w_scale[m]) / y_scale), y_zp)
// with the scale computed in float in that order (ORT's ComputeOutputScale).
Status run_qlinear_conv(const ConvState& st, KernelContext& ctx) {
  EDGE_RETURN_IF_ERROR(check_8bit(ctx, 0, "x"));
  EDGE_RETURN_IF_ERROR(check_8bit(ctx, 3, "w"));
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(3);
  EDGE_ASSIGN_OR_RETURN(ConvShape s, conv_shape(st, x, w, "input 0 (x)", "input 3 (w)"));
  const int64_t m_count = s.out_channels;
  EDGE_ASSIGN_OR_RETURN(float x_scale, scale(ctx, 1, "x_scale"));
  EDGE_ASSIGN_OR_RETURN(int32_t x_zp, zero_point(ctx, 2, "x_zero_point", x.dtype()));
  EDGE_ASSIGN_OR_RETURN(std::vector<float> w_scale, scales(ctx, 4, "w_scale", m_count));
  EDGE_ASSIGN_OR_RETURN(std::vector<int32_t> w_zp, zero_points(ctx, 5, "w_zero_point", w.dtype(), m_count));
  EDGE_ASSIGN_OR_RETURN(float y_scale, scale(ctx, 6, "y_scale"));
  EDGE_ASSIGN_OR_RETURN(int32_t y_zp, zero_point(ctx, 7, "y_zero_point", x.dtype()));
  const Tensor* b = ctx.optional_input(8);
  if (b != nullptr && (b->dtype() != DType::kInt32 || b->rank() != 1 || b->dim(0) != m_count)) {
    return invalid_argument(str_cat("input 8 (B) must be int32 1-D with ", m_count, " values (output channels)"));
  }
  std::vector<float> out_scale(static_cast<size_t>(m_count));
  for (size_t m = 0; m < out_scale.size(); ++m) out_scale[m] = x_scale * w_scale[m] / y_scale;
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), conv_output_dims(s)));
  return dispatch_xw(x.dtype(), w.dtype(), [&](auto xt, auto wt) -> Status {
    using X = decltype(xt);
    integer_conv(s, x.data<X>(), x_zp, w.data<decltype(wt)>(), w_zp,
                 [&](int64_t n, int64_t m, const std::vector<int64_t>& acc) {
                   X* out = y->mutable_data<X>() + (n * m_count + m) * s.out_size;
                   const int64_t bias = b != nullptr ? b->data<int32_t>()[m] : 0;
                   const float sc = out_scale[static_cast<size_t>(m)];
                   for (int64_t j = 0; j < s.out_size; ++j) {
                     const int32_t a = wrap_int32(acc[static_cast<size_t>(j)] + bias);
                     const float u = static_cast<float>(a) * sc;
                     out[j] = requantize<X>(st.silu ? u / (1.0f + std::exp(-y_scale * u)) : u, y_zp);
                   }
                 });
    return Status::ok();
  });
}

// ConvInteger(x, w, [x_zp], [w_zp]) = int32(acc), wrapping like ORT's int32 accumulators.
Status run_conv_integer(const ConvState& st, KernelContext& ctx) {
  EDGE_RETURN_IF_ERROR(check_8bit(ctx, 0, "x"));
  EDGE_RETURN_IF_ERROR(check_8bit(ctx, 1, "w"));
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  EDGE_ASSIGN_OR_RETURN(ConvShape s, conv_shape(st, x, w, "input 0 (x)", "input 1 (w)"));
  EDGE_ASSIGN_OR_RETURN(int32_t x_zp, zero_point(ctx, 2, "x_zero_point", x.dtype()));
  EDGE_ASSIGN_OR_RETURN(std::vector<int32_t> w_zp, zero_points(ctx, 3, "w_zero_point", w.dtype(), s.out_channels));
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DType::kInt32, conv_output_dims(s)));
  return dispatch_xw(x.dtype(), w.dtype(), [&](auto xt, auto wt) -> Status {
    integer_conv(s, x.data<decltype(xt)>(), x_zp, w.data<decltype(wt)>(), w_zp,
                 [&](int64_t n, int64_t m, const std::vector<int64_t>& acc) {
                   int32_t* out = y->mutable_data<int32_t>() + (n * s.out_channels + m) * s.out_size;
                   for (int64_t j = 0; j < s.out_size; ++j) out[j] = wrap_int32(acc[static_cast<size_t>(j)]);
                 });
    return Status::ok();
  });
}

// ---- QLinearMatMul -----------------------------------------------------------------------------

// A [..., M, K] x B [..., K, N] with numpy's 1-D promotion and broadcast batch dims.
struct MatMulShape {
  int64_t m = 1, k = 1, n = 1;
  Dims batch, out;
  std::vector<int64_t> a_strides, b_strides;  // in matrices, 0 where broadcast
};

Result<MatMulShape> matmul_shape(const Dims& a, const Dims& b) {
  if (a.empty() || b.empty()) return invalid_argument("inputs 0 (a) and 3 (b) must have rank >= 1");
  const Dims a2 = a.size() == 1 ? Dims{1, a[0]} : a;
  const Dims b2 = b.size() == 1 ? Dims{b[0], 1} : b;
  MatMulShape p;
  p.m = a2[a2.size() - 2];
  p.k = a2.back();
  p.n = b2.back();
  if (b2[b2.size() - 2] != p.k) {
    return invalid_argument(str_cat("inner dimensions differ: a ", dims_to_string(a), ", b ", dims_to_string(b)));
  }
  const Dims ab(a2.begin(), a2.end() - 2), bb(b2.begin(), b2.end() - 2);
  auto batch = broadcast_dims(ab, bb);
  if (!batch.is_ok()) return invalid_argument("batch dimensions of a and b do not broadcast");
  p.batch = *batch;
  p.a_strides = broadcast_strides(ab, p.batch);
  p.b_strides = broadcast_strides(bb, p.batch);
  p.out = p.batch;
  if (a.size() > 1) p.out.push_back(p.m);
  if (b.size() > 1) p.out.push_back(p.n);
  return p;
}

// QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp): a's parameters per tensor or per
// row, b's per tensor or per column; y = requantize(float(int32(acc)) * ((a_scale * b_scale) / y_scale)).
Status run_qlinear_matmul(KernelContext& ctx) {
  EDGE_RETURN_IF_ERROR(check_8bit(ctx, 0, "a"));
  EDGE_RETURN_IF_ERROR(check_8bit(ctx, 3, "b"));
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(3);
  EDGE_ASSIGN_OR_RETURN(MatMulShape p, matmul_shape(a.dims(), b.dims()));
  EDGE_ASSIGN_OR_RETURN(std::vector<float> a_scale, scales(ctx, 1, "a_scale", p.m));
  EDGE_ASSIGN_OR_RETURN(std::vector<int32_t> a_zp, zero_points(ctx, 2, "a_zero_point", a.dtype(), p.m));
  EDGE_ASSIGN_OR_RETURN(std::vector<float> b_scale, scales(ctx, 4, "b_scale", p.n));
  EDGE_ASSIGN_OR_RETURN(std::vector<int32_t> b_zp, zero_points(ctx, 5, "b_zero_point", b.dtype(), p.n));
  EDGE_ASSIGN_OR_RETURN(float y_scale, scale(ctx, 6, "y_scale"));
  const Tensor* yz = ctx.optional_input(7);
  const DType y_type = yz != nullptr ? yz->dtype() : a.dtype();
  if (!is_8bit(y_type)) return unimplemented(str_cat("input 7 (y_zero_point) of type ", dtype_name(y_type), " is not supported"));
  EDGE_ASSIGN_OR_RETURN(int32_t y_zp, zero_point(ctx, 7, "y_zero_point", y_type));
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, y_type, p.out));
  const std::vector<int64_t> strides[2] = {p.a_strides, p.b_strides};
  int64_t c = 0;
  return dispatch_8bit(y_type, "y", [&](auto yt) -> Status {
    using Y = decltype(yt);
    for_each_broadcast<2>(p.batch, strides, [&](int64_t ia, int64_t ib) {
      const int64_t a0 = ia * p.m * p.k, b0 = ib * p.k * p.n;
      Y* out = y->mutable_data<Y>() + (c++) * p.m * p.n;
      for (int64_t i = 0; i < p.m; ++i) {
        for (int64_t j = 0; j < p.n; ++j) {
          int64_t acc = 0;
          for (int64_t q = 0; q < p.k; ++q) {
            acc += int64_t{int8_value(a, a0 + i * p.k + q) - a_zp[static_cast<size_t>(i)]} *
                   (int8_value(b, b0 + q * p.n + j) - b_zp[static_cast<size_t>(j)]);
          }
          const float sc = a_scale[static_cast<size_t>(i)] * b_scale[static_cast<size_t>(j)] / y_scale;
          out[i * p.n + j] = requantize<Y>(static_cast<float>(wrap_int32(acc)) * sc, y_zp);
        }
      }
    });
    return Status::ok();
  });
}

// ---- DynamicQuantizeLinear ---------------------------------------------------------------------

// ONNX spec as ORT computes it: range [min(0, min x), max(0, max x)] (NaNs skipped);
// scale = (max - min) / 255, or 1 when the range is empty; zp = round_half_even(clamp(0 - min / scale,
// 0, 255)); y = MlasQuantizeLinear(x / scale, zp).
Status run_dynamic_quantize(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.dtype() != DType::kFloat32) {
    return unimplemented(str_cat("input 0 (x) of type ", dtype_name(x.dtype()), " is not supported (float32)"));
  }
  float lo = 0.0f, hi = 0.0f;
  for (int64_t i = 0; i < x.num_elements(); ++i) {
    const float v = x.data<float>()[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const float sc = hi == lo ? 1.0f : (hi - lo) / 255.0f;
  // std::min/std::max in ORT's order: a NaN (x = -inf gives -inf / inf) ends as 255.
  const float zp_f = std::max(0.0f, std::min(255.0f, 0.0f - lo / sc));
  const int32_t zp = static_cast<int32_t>(std::nearbyint(zp_f));
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DType::kUint8, x.dims()));
  for (int64_t i = 0; i < x.num_elements(); ++i) y->mutable_data<uint8_t>()[i] = requantize<uint8_t>(x.data<float>()[i] / sc, zp);
  EDGE_ASSIGN_OR_RETURN(Tensor * y_scale, ctx.allocate_output(1, DType::kFloat32, {}));
  y_scale->mutable_data<float>()[0] = sc;
  EDGE_ASSIGN_OR_RETURN(Tensor * y_zp, ctx.allocate_output(2, DType::kUint8, {}));
  y_zp->mutable_data<uint8_t>()[0] = static_cast<uint8_t>(zp);
  return Status::ok();
}

// ---- QLinearAdd, QLinearMul (com.microsoft) ------------------------------------------------------

// Which operand ORT's broadcast loop hands to MLAS as the per-span scalar: a whole-tensor scalar, else
// the operand broadcast along the innermost non-trivial output dim, else neither.
enum class ScalarSide { kNone, kA, kB };

ScalarSide scalar_side(const Tensor& a, const Tensor& b, const Dims& out, const std::vector<int64_t> (&strides)[2]) {
  if (a.num_elements() == 1) return ScalarSide::kA;
  if (b.num_elements() == 1) return ScalarSide::kB;
  for (size_t d = out.size(); d-- > 0;) {
    if (out[d] == 1) continue;
    if (strides[0][d] == 0) return ScalarSide::kA;
    if (strides[1][d] == 0) return ScalarSide::kB;
    break;
  }
  return ScalarSide::kNone;
}

struct BinaryParams {
  float a_scale, b_scale, c_scale;
  int32_t a_zp, b_zp, c_zp;
};

// QLinearAdd (engine/ops/qlinear_math.h): one formula whether B is a full span or a per-span
// scalar; when A is the per-span scalar the two fused steps swap.
template <typename T>
T add_value(int32_t va, int32_t vb, ScalarSide side, const BinaryParams& p) {
  const QLinearAddParams q = qlinear_add_params(p.a_scale, p.a_zp, p.b_scale, p.b_zp, p.c_scale, p.c_zp);
  if (side == ScalarSide::kA) return qlinear_add_scalar_a<T>(static_cast<T>(va), static_cast<T>(vb), q);
  return qlinear_add<T>(static_cast<T>(va), static_cast<T>(vb), q);
}

// QLinearMul (engine/ops/qlinear_math.h).
template <typename T>
T mul_value(int32_t va, int32_t vb, const BinaryParams& p) {
  return qlinear_mul<T>(va, vb, qlinear_mul_params(p.a_scale, p.a_zp, p.b_scale, p.b_zp, p.c_scale, p.c_zp));
}

// Inputs: A, A_scale, [A_zp], B, B_scale, [B_zp], C_scale, [C_zp]; numpy broadcasting.
Status run_qlinear_binary(bool is_add, KernelContext& ctx) {
  EDGE_RETURN_IF_ERROR(check_8bit(ctx, 0, "A"));
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(3);
  if (b.dtype() != a.dtype()) return invalid_argument("input 3 (B) must have the type of input 0 (A)");
  BinaryParams p;
  EDGE_ASSIGN_OR_RETURN(p.a_scale, scale(ctx, 1, "A_scale"));
  EDGE_ASSIGN_OR_RETURN(p.a_zp, zero_point(ctx, 2, "A_zero_point", a.dtype()));
  EDGE_ASSIGN_OR_RETURN(p.b_scale, scale(ctx, 4, "B_scale"));
  EDGE_ASSIGN_OR_RETURN(p.b_zp, zero_point(ctx, 5, "B_zero_point", a.dtype()));
  EDGE_ASSIGN_OR_RETURN(p.c_scale, scale(ctx, 6, "C_scale"));
  EDGE_ASSIGN_OR_RETURN(p.c_zp, zero_point(ctx, 7, "C_zero_point", a.dtype()));
  auto out = broadcast_dims(a.dims(), b.dims());
  if (!out.is_ok()) {
    return invalid_argument(str_cat("A ", dims_to_string(a.dims()), " and B ", dims_to_string(b.dims()), " do not broadcast"));
  }
  const std::vector<int64_t> strides[2] = {broadcast_strides(a.dims(), *out), broadcast_strides(b.dims(), *out)};
  const ScalarSide side = scalar_side(a, b, *out, strides);
  EDGE_ASSIGN_OR_RETURN(Tensor * c, ctx.allocate_output(0, a.dtype(), *out));
  return dispatch_8bit(a.dtype(), "A", [&](auto tag) -> Status {
    using T = decltype(tag);
    T* pc = c->mutable_data<T>();
    for_each_broadcast<2>(*out, strides, [&](int64_t ia, int64_t ib) {
      const int32_t va = a.data<T>()[ia], vb = b.data<T>()[ib];
      *pc++ = is_add ? add_value<T>(va, vb, side, p) : mul_value<T>(va, vb, p);
    });
    return Status::ok();
  });
}

// ---- Pooling (com.microsoft) ---------------------------------------------------------------------

struct QuantIo {  // X, x_scale, [x_zp], y_scale, [y_zp]: the layout shared by pooling and the table ops
  float x_scale = 1, y_scale = 1;
  int32_t x_zp = 0, y_zp = 0;
};

Result<QuantIo> read_quant_io(const KernelContext& ctx) {
  EDGE_RETURN_IF_ERROR(check_8bit(ctx, 0, "X"));
  QuantIo q;
  EDGE_ASSIGN_OR_RETURN(q.x_scale, scale(ctx, 1, "x_scale"));
  EDGE_ASSIGN_OR_RETURN(q.x_zp, zero_point(ctx, 2, "x_zero_point", ctx.input(0).dtype()));
  EDGE_ASSIGN_OR_RETURN(q.y_scale, scale(ctx, 3, "y_scale"));
  EDGE_ASSIGN_OR_RETURN(q.y_zp, zero_point(ctx, 4, "y_zero_point", ctx.input(0).dtype()));
  return q;
}

// Pooling input geometry with the channel axis where channels_last puts it.
struct PoolLayout {
  int64_t batch = 0, channels = 0, image = 0;
  std::vector<int64_t> spatial;
  bool channels_last = false;
  // Offset of element (n, c, i) (i the row-major spatial index).
  int64_t at(int64_t n, int64_t c, int64_t i) const {
    return channels_last ? (n * image + i) * channels + c : (n * channels + c) * image + i;
  }
  Dims dims_with(const std::vector<int64_t>& sp) const {
    Dims d = {batch};
    if (!channels_last) d.push_back(channels);
    d.insert(d.end(), sp.begin(), sp.end());
    if (channels_last) d.push_back(channels);
    return d;
  }
};

Result<PoolLayout> pool_layout(const Tensor& x, bool channels_last, size_t min_rank) {
  if (x.rank() < min_rank) return invalid_argument(str_cat("input 0 (X) must have rank >= ", min_rank, ", got ", x.rank()));
  EDGE_RETURN_IF_ERROR(check_dims_bounded(x, "input 0 (X)"));
  PoolLayout l;
  l.channels_last = channels_last;
  l.batch = x.dim(0);
  l.channels = channels_last ? x.dim(x.rank() - 1) : x.dim(1);
  l.spatial.assign(x.dims().begin() + (channels_last ? 1 : 2), x.dims().end() - (channels_last ? 1 : 0));
  l.image = product(l.spatial);
  return l;
}

// MlasQLinearGlobalAveragePool: acc = sum(x) - x_zp * image (integer),
// y = requantize(float(acc) * (x_scale / (y_scale * float(image))), y_zp).
template <typename T>
void global_average(const PoolLayout& l, const QuantIo& q, const T* x, T* y) {
  const float sc = q.x_scale / (q.y_scale * static_cast<float>(l.image));
  for (int64_t n = 0; n < l.batch; ++n) {
    for (int64_t c = 0; c < l.channels; ++c) {
      int64_t acc = -int64_t{q.x_zp} * l.image;
      for (int64_t i = 0; i < l.image; ++i) acc += x[l.at(n, c, i)];
      y[n * l.channels + c] = requantize<T>(static_cast<float>(wrap_int32(acc)) * sc, q.y_zp);
    }
  }
}

Status run_qlinear_global_pool(bool channels_last, KernelContext& ctx) {
  EDGE_ASSIGN_OR_RETURN(QuantIo q, read_quant_io(ctx));
  const Tensor& x = ctx.input(0);
  EDGE_ASSIGN_OR_RETURN(PoolLayout l, pool_layout(x, channels_last, 3));
  if (l.image == 0) return invalid_argument("input 0 (X) has an empty spatial plane");
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), l.dims_with(std::vector<int64_t>(l.spatial.size(), 1))));
  return dispatch_8bit(x.dtype(), "X", [&](auto tag) -> Status {
    using T = decltype(tag);
    global_average<T>(l, q, x.data<T>(), y->mutable_data<T>());
    return Status::ok();
  });
}

struct AvgPoolState {
  WindowAttrs attrs;
  bool count_include_pad = false;
  bool channels_last = false;
};

// Divisor of each output: the kernel size with count_include_pad, else the window clipped to the input,
// per axis end = min(start + k, in), start = max(start, 0) (ORT's formula, also for ceil_mode windows).
std::vector<int64_t> avg_pool_counts(const AvgPoolState& st, const WindowGeometry& g, const PoolLayout& l) {
  const int64_t out_size = product(g.output);
  std::vector<int64_t> counts(static_cast<size_t>(out_size), product(g.kernel));
  if (st.count_include_pad) return counts;
  for (int64_t j = 0; j < out_size; ++j) {
    int64_t rest = j, count = 1;
    for (size_t a = g.rank(); a-- > 0;) {
      const int64_t o = rest % g.output[a];
      rest /= g.output[a];
      const int64_t start = o * g.strides[a] - g.pad_begin[a];
      count *= std::min(start + g.kernel[a], l.spatial[a]) - std::max<int64_t>(start, 0);
    }
    counts[static_cast<size_t>(j)] = count;
  }
  return counts;
}

// ORT's QLinearAveragePool: x dequantized as x_scale * float(x - x_zp), summed in float over the window
// in row-major order, divided by the count, then y = clamp(nearbyint(avg / y_scale + float(y_zp))).
// A window equal to the whole (unpadded) image takes the integer global-average path, as ORT does.
template <typename T>
void average_pool(const AvgPoolState& st, const WindowGeometry& g, const PoolLayout& l, const QuantIo& q, const T* x,
                  T* y) {
  const int64_t out_size = product(g.output);
  const auto offsets = kernel_offsets(g);
  const std::vector<int64_t> counts = avg_pool_counts(st, g, l);
  PoolLayout out_l = l;
  out_l.image = out_size;
  std::vector<float> plane(static_cast<size_t>(l.image)), sum(static_cast<size_t>(out_size));
  for (int64_t n = 0; n < l.batch; ++n) {
    for (int64_t c = 0; c < l.channels; ++c) {
      for (int64_t i = 0; i < l.image; ++i) {
        plane[static_cast<size_t>(i)] = q.x_scale * static_cast<float>(int32_t{x[l.at(n, c, i)]} - q.x_zp);
      }
      std::fill(sum.begin(), sum.end(), 0.0f);
      for (const auto& off : offsets) {
        for_each_mapped(g.output, l.spatial, g.strides, g.pad_begin, off, [&](int64_t j, int64_t t) {
          if (t >= 0) sum[static_cast<size_t>(j)] += plane[static_cast<size_t>(t)];
        });
      }
      for (int64_t j = 0; j < out_size; ++j) {
        const int64_t count = counts[static_cast<size_t>(j)];
        const float avg = count > 0 ? sum[static_cast<size_t>(j)] / static_cast<float>(count) : 0.0f;
        y[out_l.at(n, c, j)] = requantize<T>(avg / q.y_scale + static_cast<float>(q.y_zp), 0);
      }
    }
  }
}

Status run_qlinear_avg_pool(const AvgPoolState& st, KernelContext& ctx) {
  EDGE_ASSIGN_OR_RETURN(QuantIo q, read_quant_io(ctx));
  const Tensor& x = ctx.input(0);
  EDGE_ASSIGN_OR_RETURN(PoolLayout l, pool_layout(x, st.channels_last, 3));
  EDGE_ASSIGN_OR_RETURN(WindowGeometry g, forward_geometry(st.attrs, st.attrs.kernel_shape, l.spatial));
  bool whole_image = g.kernel == l.spatial;
  for (size_t a = 0; a < g.rank(); ++a) whole_image = whole_image && g.pad_begin[a] == 0 && g.pad_end[a] == 0;
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), l.dims_with(g.output)));
  return dispatch_8bit(x.dtype(), "X", [&](auto tag) -> Status {
    using T = decltype(tag);
    if (whole_image && l.image > 0) {
      global_average<T>(l, q, x.data<T>(), y->mutable_data<T>());
    } else {
      average_pool<T>(st, g, l, q, x.data<T>(), y->mutable_data<T>());
    }
    return Status::ok();
  });
}

Result<AvgPoolState> read_avg_pool_state(const Node& node) {
  AvgPoolState st;
  EDGE_ASSIGN_OR_RETURN(st.attrs, read_window_attrs(node));
  if (st.attrs.kernel_shape.empty()) return invalid_argument(str_cat(node.describe(), ": kernel_shape is required"));
  for (int64_t d : st.attrs.dilations) {
    // ORT's QLinearAveragePool ignores dilations; refuse rather than guess.
    if (d != 1) return unimplemented(str_cat(node.describe(), ": dilations other than 1 are not supported"));
  }
  EDGE_ASSIGN_OR_RETURN(int64_t include_pad, node.attr_int("count_include_pad", 0));
  EDGE_ASSIGN_OR_RETURN(int64_t channels_last, node.attr_int("channels_last", 0));
  st.count_include_pad = include_pad != 0;
  st.channels_last = channels_last != 0;
  return st;
}

// ---- Table ops: QLinearSigmoid, QLinearLeakyRelu, QLinearConcat ------------------------------------

// The 256-entry table of f (engine/ops/qlinear_math.h), indexed by the raw byte.
template <typename T, typename F>
std::array<T, 256> build_table(const QuantIo& q, F&& f) {
  return quantized_table<T>(q.x_scale, q.x_zp, q.y_scale, q.y_zp, std::forward<F>(f));
}

template <typename T>
void apply_table(const std::array<T, 256>& table, const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = table[static_cast<uint8_t>(x[i])];
}

template <typename F>
Status run_table_op(KernelContext& ctx, F&& f) {
  EDGE_ASSIGN_OR_RETURN(QuantIo q, read_quant_io(ctx));
  const Tensor& x = ctx.input(0);
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), x.dims()));
  return dispatch_8bit(x.dtype(), "X", [&](auto tag) -> Status {
    using T = decltype(tag);
    apply_table(build_table<T>(q, f), x.data<T>(), y->mutable_data<T>(), x.num_elements());
    return Status::ok();
  });
}

// QLinearConcat(y_scale, y_zp, (x, x_scale, x_zp)...): each x is requantized through the table of
// build_table with the identity (a plain copy when its scale and zero point equal y's).
Status run_qlinear_concat(int64_t axis_attr, KernelContext& ctx) {
  const size_t n_inputs = (ctx.num_inputs() - 2) / 3;
  const Tensor& first = ctx.input(2);
  EDGE_RETURN_IF_ERROR(check_8bit(ctx, 2, "x"));
  const DType type = first.dtype();
  EDGE_ASSIGN_OR_RETURN(float y_scale, scale(ctx, 0, "y_scale"));
  EDGE_ASSIGN_OR_RETURN(int32_t y_zp, zero_point(ctx, 1, "y_zero_point", type));
  EDGE_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(axis_attr, static_cast<int64_t>(first.rank())));
  Dims out = first.dims();
  out[static_cast<size_t>(axis)] = 0;
  std::vector<QuantIo> params(n_inputs);
  for (size_t k = 0; k < n_inputs; ++k) {
    const size_t i = 2 + 3 * k;
    const Tensor& x = ctx.input(i);
    if (x.dtype() != type) return invalid_argument(str_cat(input_label(i, "x"), " must have the type of input 2"));
    bool same = x.rank() == first.rank();
    for (size_t d = 0; same && d < x.rank(); ++d) same = d == static_cast<size_t>(axis) || x.dim(d) == first.dim(d);
    if (!same) {
      return invalid_argument(str_cat(input_label(i, "x"), " of shape ", dims_to_string(x.dims()), " does not match ",
                                      dims_to_string(first.dims()), " outside axis ", axis));
    }
    out[static_cast<size_t>(axis)] += x.dim(static_cast<size_t>(axis));
    EDGE_ASSIGN_OR_RETURN(params[k].x_scale, scale(ctx, i + 1, "x_scale"));
    EDGE_ASSIGN_OR_RETURN(params[k].x_zp, zero_point(ctx, i + 2, "x_zero_point", type));
    params[k].y_scale = y_scale;
    params[k].y_zp = y_zp;
  }
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= first.dim(static_cast<size_t>(d));
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, type, out));
  const int64_t out_row = outer > 0 ? y->num_elements() / outer : 0;
  return dispatch_8bit(type, "x", [&](auto tag) -> Status {
    using T = decltype(tag);
    int64_t column = 0;
    for (size_t k = 0; k < n_inputs; ++k) {
      const Tensor& x = ctx.input(2 + 3 * k);
      const int64_t row = outer > 0 ? x.num_elements() / outer : 0;
      const QuantIo& q = params[k];
      const bool copy = q.x_scale == q.y_scale && q.x_zp == q.y_zp;
      const std::array<T, 256> table = build_table<T>(q, [](float v) { return v; });
      for (int64_t r = 0; r < outer; ++r) {
        const T* src = x.data<T>() + r * row;
        T* dst = y->mutable_data<T>() + r * out_row + column;
        if (copy) {
          std::memcpy(dst, src, static_cast<size_t>(row) * sizeof(T));
        } else {
          apply_table(table, src, dst, row);
        }
      }
      column += row;
    }
    return Status::ok();
  });
}

// ---- Factories ------------------------------------------------------------------------------------

// Prepare-time check that the listed inputs are present (contrib ops have optional inputs in between).
Status check_required(const Node& node, std::initializer_list<size_t> required, size_t n_max) {
  for (size_t i : required) {
    if (!node.has_input(i)) return invalid_argument(str_cat(node.describe(), ": required input ", i, " is missing"));
  }
  return check_arity(node, 0, n_max);
}

Result<std::unique_ptr<Kernel>> make_qlinear_conv(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 8, 9));
  EDGE_ASSIGN_OR_RETURN(ConvState st, read_conv_state(node));
  return make_kernel(std::move(st), run_qlinear_conv);
}

// edgeserve.QLinearConv: QLinearConv's inputs with an activation applied to the real-valued
// output before requantizing (qdq_fusion's Conv -> SiLU -> Q). With u = float(acc + B[m]) *
// ((x_scale * w_scale[m]) / y_scale), QLinearConv's scaled value, silu(u * y_scale) / y_scale is
//   y = requantize(u / (1 + exp(-y_scale * u)), y_zp)
// the swish the cpu provider's oneDNN post-op computes on u.
Result<std::unique_ptr<Kernel>> make_qlinear_conv_activation(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 8, 9));
  EDGE_ASSIGN_OR_RETURN(ConvState st, read_conv_state(node));
  EDGE_ASSIGN_OR_RETURN(std::string activation, node.attr_string("activation"));
  if (activation != "Silu") {
    return invalid_argument(str_cat(node.describe(), ": activation '", activation, "' is not supported (Silu is)"));
  }
  st.silu = true;
  return make_kernel(std::move(st), run_qlinear_conv);
}

Result<std::unique_ptr<Kernel>> make_conv_integer(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 4));
  EDGE_ASSIGN_OR_RETURN(ConvState st, read_conv_state(node));
  return make_kernel(std::move(st), run_conv_integer);
}

Result<std::unique_ptr<Kernel>> make_qlinear_binary(const Node& node, bool is_add) {
  EDGE_RETURN_IF_ERROR(check_required(node, {0, 1, 3, 4, 6}, 8));
  return make_kernel(is_add, run_qlinear_binary);
}

Result<std::unique_ptr<Kernel>> make_table_op(const Node& node, bool sigmoid) {
  EDGE_RETURN_IF_ERROR(check_required(node, {0, 1, 3}, 5));
  float alpha = 0;
  if (!sigmoid) {
    EDGE_ASSIGN_OR_RETURN(alpha, node.attr_float("alpha", 0.01f));
  }
  struct TableState {
    bool sigmoid;
    float alpha;
  };
  return make_kernel(TableState{sigmoid, alpha}, [](const TableState& s, KernelContext& ctx) -> Status {
    if (s.sigmoid) return run_table_op(ctx, mlas_logistic);
    const float a = s.alpha;
    return run_table_op(ctx, [a](float v) { return v >= 0.0f ? v : a * v; });
  });
}

Result<std::unique_ptr<Kernel>> make_qlinear_global_pool(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_required(node, {0, 1, 3}, 5));
  EDGE_ASSIGN_OR_RETURN(int64_t channels_last, node.attr_int("channels_last", 0));
  return make_kernel(channels_last != 0, run_qlinear_global_pool);
}

Result<std::unique_ptr<Kernel>> make_qlinear_avg_pool(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_required(node, {0, 1, 3}, 5));
  EDGE_ASSIGN_OR_RETURN(AvgPoolState st, read_avg_pool_state(node));
  return make_kernel(std::move(st), run_qlinear_avg_pool);
}

Result<std::unique_ptr<Kernel>> make_qlinear_concat(const Node& node) {
  const size_t n = node.inputs.size();
  if (n < 5 || (n - 2) % 3 != 0) {
    return invalid_argument(str_cat(node.describe(), ": needs y_scale, y_zero_point and (x, x_scale, x_zero_point) "
                                                     "triples, got ", n, " inputs"));
  }
  for (size_t i = 0; i < n; ++i) {
    if (!node.has_input(i)) return invalid_argument(str_cat(node.describe(), ": input ", i, " is missing"));
  }
  EDGE_RETURN_IF_ERROR(check_arity(node, n, n));
  EDGE_ASSIGN_OR_RETURN(int64_t axis, node.attr_int("axis"));
  return make_kernel(axis, run_qlinear_concat);
}

}  // namespace

std::vector<KernelEntry> qlinear_kernels() {
  constexpr HalfMode kNative = HalfMode::kNative;  // no float16 anywhere: a half input is a type error
  return {
      {"QLinearConv", make_qlinear_conv, kNative, "", 10},
      {"QLinearConv", make_qlinear_conv_activation, kNative, "edgeserve", 1},
      {"ConvInteger", make_conv_integer, kNative, "", 10},
      {"QLinearMatMul", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 8, 8));
         return make_kernel(run_qlinear_matmul);
       }, kNative, "", 10},
      {"DynamicQuantizeLinear", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1, 3));
         if (node.outputs.size() < 3 || node.outputs[1] == nullptr || node.outputs[2] == nullptr) {
           return invalid_argument(str_cat(node.describe(), ": needs outputs y, y_scale and y_zero_point"));
         }
         return make_kernel(run_dynamic_quantize);
       }, kNative, "", 11},
      {"QLinearAdd", EDGE_FACTORY { return make_qlinear_binary(node, true); }, kNative, kMsDomain, 1},
      {"QLinearMul", EDGE_FACTORY { return make_qlinear_binary(node, false); }, kNative, kMsDomain, 1},
      {"QLinearGlobalAveragePool", make_qlinear_global_pool, kNative, kMsDomain, 1},
      {"QLinearAveragePool", make_qlinear_avg_pool, kNative, kMsDomain, 1},
      {"QLinearConcat", make_qlinear_concat, kNative, kMsDomain, 1},
      {"QLinearSigmoid", EDGE_FACTORY { return make_table_op(node, true); }, kNative, kMsDomain, 1},
      {"QLinearLeakyRelu", EDGE_FACTORY { return make_table_op(node, false); }, kNative, kMsDomain, 1},
  };
}

}  // namespace edgeserve::ref
