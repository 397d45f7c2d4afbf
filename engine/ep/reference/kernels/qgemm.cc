// com.microsoft.QGemm (ONNX Runtime's contrib op), the oracle for the int8 Gemm with bias that the
// QDQ fusion pass writes. Arithmetic as ORT's QGemm kernel (MLAS) does it on x86-64:
//   acc[m, n] = int32(C[m, n] + sum_k (A[m, k] - a_zp) * (B[k, n] - b_zp[n]))   (wrapping int32)
//   quantized output: y = requantize(float(acc) * ((a_scale * b_scale[n]) / y_scale), y_zp)
//   float output:     y = float(acc) * (a_scale * b_scale[n])
// with the scales multiplied in float32 in that order (ORT's ComputeOutputScale with alpha 1).
#include <cmath>
#include <vector>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"
#include "engine/ops/qlinear_math.h"

namespace edgeserve::ref {

namespace {

constexpr const char* kMsDomain = "com.microsoft";

enum QGemmInput : size_t { kA = 0, kAScale, kAZero, kB, kBScale, kBZero, kC, kYScale, kYZero };

struct QGemmState {
  bool trans_a = false;
  bool trans_b = false;
};

// The values of a quantized tensor, as int32.
Result<std::vector<int32_t>> int_values(const Tensor& t, const std::string& what) {
  std::vector<int32_t> out(static_cast<size_t>(t.num_elements()));
  const Status st = dispatch<uint8_t, int8_t>(t.dtype(), what.c_str(), [&](auto tag) {
    using T = decltype(tag);
    for (size_t i = 0; i < out.size(); ++i) out[i] = t.data<T>()[i];
  });
  if (!st.is_ok()) return st;
  return out;
}

std::string label(size_t i, const char* name) { return str_cat("input ", i, " (", name, ")"); }

// One value, or `count` when count > 1: a scalar or a 1-D tensor of 1 or `count` values.
Status check_count(const Tensor& t, size_t i, const char* name, int64_t count) {
  if (t.num_elements() == 1 && t.rank() <= 1) return Status::ok();
  if (count > 1 && t.rank() == 1 && t.dim(0) == count) return Status::ok();
  const std::string per_column = count > 1 ? str_cat(" or hold ", count, " values") : "";
  return invalid_argument(str_cat(label(i, name), " must be a scalar", per_column,
                                  ", got shape ", dims_to_string(t.dims())));
}

// `count` positive finite float32 scales from input i (one value repeated when per tensor).
Result<std::vector<float>> read_scales(const KernelContext& ctx, size_t i, const char* name, int64_t count) {
  const Tensor& t = ctx.input(i);
  if (t.dtype() != DType::kFloat32) {
    return invalid_argument(str_cat(label(i, name), " must be float32, got ", dtype_name(t.dtype())));
  }
  EDGE_RETURN_IF_ERROR(check_count(t, i, name, count));
  std::vector<float> out(static_cast<size_t>(count));
  for (int64_t j = 0; j < count; ++j) {
    const float v = t.data<float>()[t.num_elements() == 1 ? 0 : j];
    if (!(std::isfinite(v) && v > 0)) return invalid_argument(str_cat(label(i, name), " must be positive, got ", v));
    out[static_cast<size_t>(j)] = v;
  }
  return out;
}

// `count` zero points of type `want` from input i; zeros when the input is absent.
Result<std::vector<int32_t>> read_zero_points(const KernelContext& ctx, size_t i, const char* name, DType want,
                                              int64_t count) {
  std::vector<int32_t> out(static_cast<size_t>(count), 0);
  const Tensor* t = ctx.optional_input(i);
  if (t == nullptr) return out;
  if (t->dtype() != want) {
    return invalid_argument(str_cat(label(i, name), " must be ", dtype_name(want), ", got ", dtype_name(t->dtype())));
  }
  EDGE_RETURN_IF_ERROR(check_count(*t, i, name, count));
  EDGE_ASSIGN_OR_RETURN(std::vector<int32_t> v, int_values(*t, label(i, name)));
  for (int64_t j = 0; j < count; ++j) out[static_cast<size_t>(j)] = v[v.size() == 1 ? 0 : static_cast<size_t>(j)];
  return out;
}

struct QGemmShape {
  int64_t m = 0, k = 0, n = 0;
};

Result<QGemmShape> qgemm_shape(const QGemmState& st, const Tensor& a, const Tensor& b) {
  if (a.rank() != 2) return invalid_argument(str_cat(label(kA, "A"), " must have rank 2, got ", a.rank()));
  if (b.rank() != 2) return invalid_argument(str_cat(label(kB, "B"), " must have rank 2, got ", b.rank()));
  QGemmShape s{a.dim(st.trans_a ? 1 : 0), a.dim(st.trans_a ? 0 : 1), b.dim(st.trans_b ? 0 : 1)};
  const int64_t kb = b.dim(st.trans_b ? 1 : 0);
  if (kb != s.k) {
    return invalid_argument(str_cat("inner dimensions differ: A ", dims_to_string(a.dims()), ", B ", dims_to_string(b.dims()),
                                    st.trans_a ? " (transA)" : "", st.trans_b ? " (transB)" : ""));
  }
  // ORT fills the output from the bias alone when K is 0, with its own (type-punning) rules.
  if (s.k == 0 && s.m > 0 && s.n > 0) return unimplemented("an empty inner dimension (K = 0) is not supported");
  return s;
}

// The row-major [M, N] int32 bias C broadcast as Gemm broadcasts it (scalar, [N], [1, N], [M, 1],
// [M, N]); zeros when absent.
Result<std::vector<int32_t>> broadcast_bias(const KernelContext& ctx, const QGemmShape& s) {
  std::vector<int32_t> out(static_cast<size_t>(s.m * s.n), 0);
  const Tensor* c = ctx.optional_input(kC);
  if (c == nullptr) return out;
  const Dims mn = {s.m, s.n};
  auto shape = broadcast_dims(c->dims(), mn);
  if (c->dtype() != DType::kInt32 || c->rank() > 2 || !shape.is_ok() || *shape != mn) {
    return invalid_argument(str_cat(label(kC, "C"), " must be int32 and broadcast to [", s.m, ", ", s.n, "], got ",
                                    dtype_name(c->dtype()), " ", dims_to_string(c->dims())));
  }
  const std::vector<int64_t> strides = broadcast_strides(c->dims(), mn);
  for (int64_t i = 0; i < s.m; ++i) {
    for (int64_t j = 0; j < s.n; ++j) {
      out[static_cast<size_t>(i * s.n + j)] = c->data<int32_t>()[i * strides[0] + j * strides[1]];
    }
  }
  return out;
}

// acc = C + (A - a_zp) x (B - b_zp), wrapping to int32 as ORT's accumulators do.
Result<std::vector<int32_t>> accumulate(const QGemmState& st, KernelContext& ctx, const QGemmShape& s) {
  const Tensor& a = ctx.input(kA);
  const Tensor& b = ctx.input(kB);
  EDGE_ASSIGN_OR_RETURN(std::vector<int32_t> a_zp, read_zero_points(ctx, kAZero, "a_zero_point", a.dtype(), 1));
  EDGE_ASSIGN_OR_RETURN(std::vector<int32_t> b_zp, read_zero_points(ctx, kBZero, "b_zero_point", b.dtype(), s.n));
  EDGE_ASSIGN_OR_RETURN(std::vector<int32_t> av, int_values(a, label(kA, "A")));
  EDGE_ASSIGN_OR_RETURN(std::vector<int32_t> bv, int_values(b, label(kB, "B")));
  EDGE_ASSIGN_OR_RETURN(std::vector<int32_t> acc, broadcast_bias(ctx, s));
  for (int64_t i = 0; i < s.m; ++i) {
    for (int64_t j = 0; j < s.n; ++j) {
      int64_t sum = acc[static_cast<size_t>(i * s.n + j)];
      for (int64_t q = 0; q < s.k; ++q) {
        const int64_t x = av[static_cast<size_t>(st.trans_a ? q * s.m + i : i * s.k + q)] - a_zp[0];
        const int64_t w = bv[static_cast<size_t>(st.trans_b ? j * s.k + q : q * s.n + j)] - b_zp[static_cast<size_t>(j)];
        sum += x * w;
      }
      acc[static_cast<size_t>(i * s.n + j)] = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(sum)));
    }
  }
  return acc;
}

Status run_qgemm(const QGemmState& st, KernelContext& ctx) {
  const Tensor& a = ctx.input(kA);
  const Tensor& b = ctx.input(kB);
  EDGE_ASSIGN_OR_RETURN(QGemmShape s, qgemm_shape(st, a, b));
  EDGE_ASSIGN_OR_RETURN(std::vector<float> a_scale, read_scales(ctx, kAScale, "a_scale", 1));
  EDGE_ASSIGN_OR_RETURN(std::vector<float> b_scale, read_scales(ctx, kBScale, "b_scale", s.n));
  EDGE_ASSIGN_OR_RETURN(std::vector<int32_t> acc, accumulate(st, ctx, s));
  const Tensor* y_zero = ctx.optional_input(kYZero);
  const bool quantized = ctx.has_input(kYScale);
  if (!quantized && y_zero != nullptr) {
    return unimplemented("input 8 (y_zero_point) without input 7 (y_scale) is not supported");
  }
  if (quantized && y_zero == nullptr) {
    return unimplemented("input 7 (y_scale) without input 8 (y_zero_point) is not supported");
  }
  std::vector<float> scale(static_cast<size_t>(s.n));
  for (size_t j = 0; j < scale.size(); ++j) scale[j] = a_scale[0] * b_scale[j];
  if (!quantized) {
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DType::kFloat32, {s.m, s.n}));
    for (size_t i = 0; i < acc.size(); ++i) {
      y->mutable_data<float>()[i] = static_cast<float>(acc[i]) * scale[i % scale.size()];
    }
    return Status::ok();
  }
  EDGE_ASSIGN_OR_RETURN(std::vector<float> y_scale, read_scales(ctx, kYScale, "y_scale", 1));
  for (float& v : scale) v /= y_scale[0];
  EDGE_ASSIGN_OR_RETURN(std::vector<int32_t> y_zp, read_zero_points(ctx, kYZero, "y_zero_point", y_zero->dtype(), 1));
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, y_zero->dtype(), {s.m, s.n}));
  return dispatch<uint8_t, int8_t>(y_zero->dtype(), "input 8 (y_zero_point)", [&](auto tag) {
    using Y = decltype(tag);
    for (size_t i = 0; i < acc.size(); ++i) {
      y->mutable_data<Y>()[i] = requantize<Y>(static_cast<float>(acc[i]) * scale[i % scale.size()], y_zp[0]);
    }
  });
}

Result<std::unique_ptr<Kernel>> make_qgemm(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 0, 9));
  for (size_t i : {kA, kAScale, kB, kBScale}) {
    if (!node.has_input(i)) return invalid_argument(str_cat(node.describe(), ": required input ", i, " is missing"));
  }
  EDGE_ASSIGN_OR_RETURN(float alpha, node.attr_float("alpha", 1.f));
  if (alpha != 1.f) return unimplemented(str_cat(node.describe(), ": alpha ", alpha, " is not supported (only 1)"));
  EDGE_ASSIGN_OR_RETURN(int64_t trans_a, node.attr_int("transA", 0));
  EDGE_ASSIGN_OR_RETURN(int64_t trans_b, node.attr_int("transB", 0));
  return make_kernel(QGemmState{trans_a != 0, trans_b != 0}, run_qgemm);
}

}  // namespace

std::vector<KernelEntry> qgemm_kernels() {
  return {{"QGemm", make_qgemm, HalfMode::kNative, kMsDomain, 1}};
}

}  // namespace edgeserve::ref
