// MatMul (numpy semantics), Gemm and MatMulInteger on top of the shared reference gemm.
#include <type_traits>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/gemm.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

namespace {

// The batched product of A [..., M, K] and B [..., K, N]: shapes after numpy's 1-D promotion,
// the broadcast batch dims and each batch matrix's offsets.
struct MatMulPlan {
  int64_t m = 1, k = 1, n = 1;
  Dims batch;
  std::vector<int64_t> a_batch_strides, b_batch_strides;  // in matrices, 0 where broadcast
  Dims out_dims;
};

Result<MatMulPlan> plan_matmul(const Dims& a, const Dims& b) {
  const std::string shapes = str_cat("A ", dims_to_string(a), " and B ", dims_to_string(b));
  if (a.empty() || b.empty()) return invalid_argument(str_cat("MatMul needs inputs of rank >= 1, got ", shapes));
  // A 1-D A is a row vector [1, K], a 1-D B a column vector [K, 1]; the 1 is dropped afterwards.
  Dims a2 = a.size() == 1 ? Dims{1, a[0]} : a;
  Dims b2 = b.size() == 1 ? Dims{b[0], 1} : b;
  MatMulPlan p;
  p.m = a2[a2.size() - 2];
  p.k = a2.back();
  p.n = b2.back();
  if (b2[b2.size() - 2] != p.k) return invalid_argument(str_cat("inner dimensions differ: ", shapes));
  const Dims a_batch(a2.begin(), a2.end() - 2);
  const Dims b_batch(b2.begin(), b2.end() - 2);
  auto batch = broadcast_dims(a_batch, b_batch);
  if (!batch.is_ok()) return invalid_argument(str_cat("batch dimensions do not broadcast: ", shapes));
  p.batch = *batch;
  p.a_batch_strides = broadcast_strides(a_batch, p.batch);
  p.b_batch_strides = broadcast_strides(b_batch, p.batch);
  p.out_dims = p.batch;
  if (a.size() > 1) p.out_dims.push_back(p.m);
  if (b.size() > 1) p.out_dims.push_back(p.n);
  return p;
}

// Calls f(a_offset, b_offset, c_offset) in elements for every batch matrix.
template <typename F>
void for_each_batch(const MatMulPlan& p, F&& f) {
  const std::vector<int64_t> strides[2] = {p.a_batch_strides, p.b_batch_strides};
  int64_t c = 0;
  for_each_broadcast<2>(p.batch, strides, [&](int64_t ia, int64_t ib) {
    f(ia * p.m * p.k, ib * p.k * p.n, c * p.m * p.n);
    ++c;
  });
}

// Integer products wrap through the unsigned type (no signed-overflow UB on untrusted data).
template <typename T>
void wrapping_matmul(const MatMulPlan& p, const T* a, const T* b, T* c) {
  using U = std::make_unsigned_t<T>;
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t j = 0; j < p.n; ++j) {
      U sum = 0;
      for (int64_t q = 0; q < p.k; ++q) sum += static_cast<U>(a[i * p.k + q]) * static_cast<U>(b[q * p.n + j]);
      c[i * p.n + j] = static_cast<T>(sum);
    }
  }
}

Status run_matmul(KernelContext& ctx) {
  EDGE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  EDGE_ASSIGN_OR_RETURN(MatMulPlan p, plan_matmul(a.dims(), b.dims()));
  return dispatch<float, double, int32_t, int64_t, uint32_t, uint64_t>(a.dtype(), "input 0", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, a.dtype(), p.out_dims));
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* pc = y->mutable_data<T>();
    for_each_batch(p, [&](int64_t ia, int64_t ib, int64_t ic) {
      if constexpr (std::is_floating_point_v<T>) {
        gemm<T>(p.m, p.n, p.k, pa + ia, p.k, 1, pb + ib, p.n, 1, T{0}, pc + ic, p.n);
      } else {
        wrapping_matmul<T>(p, pa + ia, pb + ib, pc + ic);
      }
    });
    return Status::ok();
  });
}

// A zero point: a scalar, or a 1-D tensor with one value per row of A / column of B.
Result<std::vector<int32_t>> read_zero_points(const KernelContext& ctx, size_t i, int64_t count, const char* what) {
  std::vector<int32_t> zp(static_cast<size_t>(count), 0);
  const Tensor* t = ctx.optional_input(i);
  if (t == nullptr) return zp;
  if (t->dtype() != ctx.input(i - 2).dtype()) return invalid_argument(str_cat(what, " must have its input's type"));
  const bool scalar = t->num_elements() == 1 && t->rank() <= 1;
  if (!scalar && !(t->rank() == 1 && t->dim(0) == count)) {
    return invalid_argument(str_cat(what, " must be a scalar or have ", count, " elements, got shape ",
                                    dims_to_string(t->dims())));
  }
  for (int64_t j = 0; j < count; ++j) {
    const int64_t src = scalar ? 0 : j;
    zp[static_cast<size_t>(j)] = t->dtype() == DType::kUint8 ? t->data<uint8_t>()[src] : t->data<int8_t>()[src];
  }
  return zp;
}

// Reads element i of an int8/uint8 tensor as int32.
int32_t int8_at(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kUint8 ? int32_t{t.data<uint8_t>()[i]} : int32_t{t.data<int8_t>()[i]};
}

Status run_matmul_integer(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  for (const Tensor* t : {&a, &b}) {
    if (t->dtype() != DType::kUint8 && t->dtype() != DType::kInt8) {
      return unimplemented(str_cat("MatMulInteger inputs must be int8 or uint8, got ", dtype_name(t->dtype())));
    }
  }
  EDGE_ASSIGN_OR_RETURN(MatMulPlan p, plan_matmul(a.dims(), b.dims()));
  EDGE_ASSIGN_OR_RETURN(std::vector<int32_t> za, read_zero_points(ctx, 2, p.m, "a_zero_point"));
  EDGE_ASSIGN_OR_RETURN(std::vector<int32_t> zb, read_zero_points(ctx, 3, p.n, "b_zero_point"));
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DType::kInt32, p.out_dims));
  int32_t* pc = y->mutable_data<int32_t>();
  for_each_batch(p, [&](int64_t ia, int64_t ib, int64_t ic) {
    for (int64_t i = 0; i < p.m; ++i) {
      for (int64_t j = 0; j < p.n; ++j) {
        // |(a - za) * (b - zb)| <= 255^2, so an int64 sum cannot overflow for any real K.
        int64_t sum = 0;
        for (int64_t q = 0; q < p.k; ++q) {
          sum += int64_t{int8_at(a, ia + i * p.k + q) - za[static_cast<size_t>(i)]} *
                 (int8_at(b, ib + q * p.n + j) - zb[static_cast<size_t>(j)]);
        }
        pc[ic + i * p.n + j] = static_cast<int32_t>(sum);
      }
    }
  });
  return Status::ok();
}

struct GemmAttrs {
  bool trans_a = false;
  bool trans_b = false;
  float alpha = 1.0f;
  float beta = 1.0f;
};

// Checks C broadcasts unidirectionally to (M, N); returns its strides in that view.
Result<std::vector<int64_t>> gemm_c_strides(const Tensor& c, int64_t m, int64_t n) {
  const Dims out{m, n};
  bool ok = c.rank() <= 2;
  for (size_t d = 0; ok && d < c.rank(); ++d) {
    const int64_t want = out[d + 2 - c.rank()];
    ok = c.dim(d) == want || c.dim(d) == 1;
  }
  if (!ok) {
    return invalid_argument(str_cat("C of shape ", dims_to_string(c.dims()), " does not broadcast to ",
                                    dims_to_string(out)));
  }
  return broadcast_strides(c.dims(), out);
}

Status run_gemm(const GemmAttrs& g, KernelContext& ctx) {
  EDGE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  const std::string shapes = str_cat("A ", dims_to_string(a.dims()), " and B ", dims_to_string(b.dims()));
  if (a.rank() != 2 || b.rank() != 2) return invalid_argument(str_cat("Gemm needs 2-D inputs, got ", shapes));
  const int64_t m = g.trans_a ? a.dim(1) : a.dim(0);
  const int64_t k = g.trans_a ? a.dim(0) : a.dim(1);
  const int64_t n = g.trans_b ? b.dim(0) : b.dim(1);
  if ((g.trans_b ? b.dim(1) : b.dim(0)) != k) {
    return invalid_argument(str_cat("inner dimensions differ: ", shapes, " (transA=", g.trans_a, ", transB=", g.trans_b, ")"));
  }
  const Tensor* c = ctx.optional_input(2);
  std::vector<int64_t> cs;
  if (c != nullptr) {
    EDGE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
    EDGE_ASSIGN_OR_RETURN(cs, gemm_c_strides(*c, m, n));
  }
  return dispatch<EDGE_FLOAT_TYPES>(a.dtype(), "input 0", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, a.dtype(), {m, n}));
    T* out = y->mutable_data<T>();
    // op(A) strides: a transpose is just swapped (row, column) strides.
    const int64_t a_row = g.trans_a ? 1 : a.dim(1), a_col = g.trans_a ? a.dim(1) : 1;
    const int64_t b_row = g.trans_b ? 1 : b.dim(1), b_col = g.trans_b ? b.dim(1) : 1;
    gemm<T>(m, n, k, a.data<T>(), a_row, a_col, b.data<T>(), b_row, b_col, T{0}, out, n);
    const T alpha = static_cast<T>(g.alpha);
    const T beta = static_cast<T>(g.beta);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        T v = alpha * out[i * n + j];
        if (c != nullptr) v += beta * c->data<T>()[i * cs[0] + j * cs[1]];
        out[i * n + j] = v;
      }
    }
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_gemm(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 3));
  GemmAttrs g;
  EDGE_ASSIGN_OR_RETURN(int64_t ta, node.attr_int("transA", 0));
  EDGE_ASSIGN_OR_RETURN(int64_t tb, node.attr_int("transB", 0));
  EDGE_ASSIGN_OR_RETURN(g.alpha, node.attr_float("alpha", 1.0f));
  EDGE_ASSIGN_OR_RETURN(g.beta, node.attr_float("beta", 1.0f));
  g.trans_a = ta != 0;
  g.trans_b = tb != 0;
  return make_kernel(g, run_gemm);
}

}  // namespace

std::vector<KernelEntry> matmul_kernels() {
  return {
      {"MatMul", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
         return make_kernel(run_matmul);
       }},
      {"Gemm", make_gemm},
      {"MatMulInteger", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 2, 4));
         return make_kernel(run_matmul_integer);
       }, HalfMode::kNative},
  };
}

}  // namespace edgeserve::ref
