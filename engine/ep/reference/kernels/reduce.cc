// Reductions over axes (ReduceSum, ReduceMean, ... ReduceLogSumExp) and ArgMax/ArgMin.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

namespace {

enum class ReduceOp { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

#define EDGE_REDUCE_TYPES float, double, int32_t, int64_t
#define EDGE_EXTREME_TYPES float, double, int32_t, int64_t, int8_t, uint8_t

struct ReduceAttrs {
  ReduceOp op = ReduceOp::kSum;
  std::vector<int64_t> axes;     // from the attribute; unused when axes_from_input
  bool axes_from_input = false;  // ReduceSum from opset 13, the others from 18
  bool keepdims = true;
  bool noop_with_empty_axes = false;
};

// Where each input element lands in the output: out_strides has the output stride of every
// input axis and 0 on reduced axes, so visiting the input row-major gives the output offset.
struct ReducePlan {
  Dims out_dims;
  std::vector<int64_t> out_strides;
  int64_t out_count = 1;
  int64_t group = 1;  // input elements folded into each output element
};

ReducePlan plan_reduce(const Dims& in, const std::vector<int64_t>& axes, bool keepdims) {
  std::vector<bool> reduced(in.size(), axes.empty());
  for (int64_t a : axes) reduced[static_cast<size_t>(a)] = true;
  ReducePlan p;
  Dims kept = in;
  for (size_t d = 0; d < in.size(); ++d) {
    if (!reduced[d]) continue;
    p.group *= in[d];
    kept[d] = 1;
  }
  p.out_strides = contiguous_strides(kept);
  for (size_t d = 0; d < in.size(); ++d) {
    if (reduced[d]) p.out_strides[d] = 0;
    else p.out_count *= in[d];
    if (!reduced[d] || keepdims) p.out_dims.push_back(kept[d]);
  }
  return p;
}

// Calls f(out_offset, value) for every input element.
template <typename T, typename F>
void visit_reduce(const Tensor& x, const ReducePlan& p, F&& f) {
  const T* in = x.data<T>();
  int64_t i = 0;
  const std::vector<int64_t> strides[1] = {p.out_strides};
  for_each_broadcast<1>(x.dims(), strides, [&](int64_t o) { f(o, in[i++]); });
}

// Integer accumulation wraps (through unsigned arithmetic): ONNX leaves overflow unspecified
// and signed overflow would be undefined behaviour in C++.
template <typename A>
A acc_add(A a, A b) {
  if constexpr (std::is_integral_v<A>) return static_cast<A>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  else return a + b;
}
template <typename A>
A acc_mul(A a, A b) {
  if constexpr (std::is_integral_v<A>) return static_cast<A>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  else return a * b;
}

// double -> T without undefined behaviour for NaN/inf/out-of-range integer results.
template <typename T>
T saturate(double v) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    if (std::isnan(v)) return T{0};
    if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  }
}

template <typename T, typename A>
T finish(ReduceOp op, A acc, int64_t group) {
  switch (op) {
    case ReduceOp::kMean:
      if constexpr (std::is_integral_v<A>) return static_cast<T>(group == 0 ? A{0} : acc / group);
      else return static_cast<T>(acc / static_cast<double>(group));
    case ReduceOp::kL2: return saturate<T>(std::sqrt(static_cast<double>(acc)));
    case ReduceOp::kLogSum: return saturate<T>(std::log(static_cast<double>(acc)));
    default: return static_cast<T>(acc);
  }
}

// Sum, Mean, Prod, L1, L2, LogSum, SumSquare: floats accumulate in double, integers in int64.
template <typename T>
Status reduce_sum_like(ReduceOp op, const Tensor& x, const ReducePlan& p, Tensor* y, int64_t max_bytes) {
  using A = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
  EDGE_ASSIGN_OR_RETURN(Tensor acc_t, Tensor::allocate(dtype_of<A>, {p.out_count}, max_bytes));
  A* acc = acc_t.mutable_data<A>();
  if (op == ReduceOp::kProd) std::fill(acc, acc + p.out_count, A{1});
  visit_reduce<T>(x, p, [&](int64_t o, T v) {
    const A a = static_cast<A>(v);
    switch (op) {
      case ReduceOp::kProd: acc[o] = acc_mul(acc[o], a); break;
      case ReduceOp::kL1: acc[o] = acc_add(acc[o], a < A{0} ? acc_mul(a, A{-1}) : a); break;
      case ReduceOp::kL2:
      case ReduceOp::kSumSquare: acc[o] = acc_add(acc[o], acc_mul(a, a)); break;
      default: acc[o] = acc_add(acc[o], a);
    }
  });
  T* out = y->mutable_data<T>();
  for (int64_t o = 0; o < p.out_count; ++o) out[o] = finish<T, A>(op, acc[o], p.group);
  return Status::ok();
}

// log(sum(exp(x))) computed as max + log(sum(exp(x - max))) so large inputs do not overflow.
template <typename T>
Status reduce_log_sum_exp(const Tensor& x, const ReducePlan& p, Tensor* y, int64_t max_bytes) {
  EDGE_ASSIGN_OR_RETURN(Tensor max_t, Tensor::allocate(DType::kFloat64, {p.out_count}, max_bytes));
  EDGE_ASSIGN_OR_RETURN(Tensor sum_t, Tensor::allocate(DType::kFloat64, {p.out_count}, max_bytes));
  double* mx = max_t.mutable_data<double>();
  double* sum = sum_t.mutable_data<double>();
  std::fill(mx, mx + p.out_count, -std::numeric_limits<double>::infinity());
  visit_reduce<T>(x, p, [&](int64_t o, T v) {
    const double d = static_cast<double>(v);
    if (d > mx[o] || std::isnan(d)) mx[o] = d;
  });
  visit_reduce<T>(x, p, [&](int64_t o, T v) { sum[o] += std::exp(static_cast<double>(v) - mx[o]); });
  T* out = y->mutable_data<T>();
  for (int64_t o = 0; o < p.out_count; ++o) {
    // An infinite max (all -inf, an empty set, or a +inf element) is the result itself.
    out[o] = saturate<T>(std::isinf(mx[o]) ? mx[o] : mx[o] + std::log(sum[o]));
  }
  return Status::ok();
}

// Max/Min in the input type; NaN wins, as in ONNX Runtime. An empty set yields -inf/+inf
// (the lowest/highest value for integers).
template <typename T>
T extreme_init(bool is_max) {
  using L = std::numeric_limits<T>;
  if constexpr (L::has_infinity) return is_max ? -L::infinity() : L::infinity();
  else return is_max ? L::lowest() : L::max();
}

template <typename T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
  else return false;
}

template <typename T>
void reduce_extreme(bool is_max, const Tensor& x, const ReducePlan& p, Tensor* y) {
  T* out = y->mutable_data<T>();
  std::fill(out, out + p.out_count, extreme_init<T>(is_max));
  visit_reduce<T>(x, p, [&](int64_t o, T v) {
    if (is_nan(v) || (is_max ? v > out[o] : v < out[o])) out[o] = v;
  });
}

Result<std::vector<int64_t>> resolve_axes(const ReduceAttrs& a, const KernelContext& ctx) {
  std::vector<int64_t> axes = a.axes;
  if (a.axes_from_input && ctx.has_input(1)) {
    const Tensor& t = ctx.input(1);
    if (t.rank() > 1) return invalid_argument(str_cat("axes must be 1-D, got shape ", dims_to_string(t.dims())));
    EDGE_ASSIGN_OR_RETURN(axes, read_int_values(t));
  }
  return normalize_axes(axes, static_cast<int64_t>(ctx.input(0).rank()));
}

Status run_reduce(const ReduceAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> axes, resolve_axes(a, ctx));
  if (axes.empty() && a.noop_with_empty_axes) {
    ctx.set_output(0, x);
    return Status::ok();
  }
  const ReducePlan p = plan_reduce(x.dims(), axes, a.keepdims);
  if (a.op == ReduceOp::kMax || a.op == ReduceOp::kMin) {
    return dispatch<EDGE_EXTREME_TYPES>(x.dtype(), "input 0", [&](auto tag) -> Status {
      EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), p.out_dims));
      reduce_extreme<decltype(tag)>(a.op == ReduceOp::kMax, x, p, y);
      return Status::ok();
    });
  }
  return dispatch<EDGE_REDUCE_TYPES>(x.dtype(), "input 0", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), p.out_dims));
    if (a.op == ReduceOp::kLogSumExp) return reduce_log_sum_exp<T>(x, p, y, ctx.max_tensor_bytes());
    return reduce_sum_like<T>(a.op, x, p, y, ctx.max_tensor_bytes());
  });
}

Result<std::unique_ptr<Kernel>> make_reduce(const Node& node, ReduceOp op, int64_t axes_input_opset) {
  ReduceAttrs a;
  a.op = op;
  a.axes_from_input = node.opset >= axes_input_opset;
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, a.axes_from_input ? 2 : 1));
  if (!a.axes_from_input) {
    EDGE_ASSIGN_OR_RETURN(a.axes, node.attr_ints("axes", std::vector<int64_t>{}));
  }
  EDGE_ASSIGN_OR_RETURN(int64_t keepdims, node.attr_int("keepdims", 1));
  EDGE_ASSIGN_OR_RETURN(int64_t noop, node.attr_int("noop_with_empty_axes", 0));
  a.keepdims = keepdims != 0;
  a.noop_with_empty_axes = noop != 0;
  return make_kernel(a, run_reduce);
}

struct ArgAttrs {
  bool is_max = true;
  int64_t axis = 0;
  bool keepdims = true;
  bool select_last = false;
};

template <typename T>
void arg_extreme(const ArgAttrs& a, const T* in, int64_t outer, int64_t n, int64_t inner, int64_t* out) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const T* base = in + o * n * inner + i;
      int64_t best = 0;
      for (int64_t k = 1; k < n; ++k) {
        const T v = base[k * inner];
        const T b = base[best * inner];
        const bool better = a.is_max ? v > b : v < b;
        if (better || (a.select_last && v == b)) best = k;
      }
      out[o * inner + i] = best;
    }
  }
}

Status run_arg(const ArgAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  EDGE_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(a.axis, static_cast<int64_t>(x.rank())));
  const size_t ax = static_cast<size_t>(axis);
  if (x.dim(ax) == 0) return invalid_argument(str_cat("cannot take the arg extreme of an empty axis ", axis));
  int64_t outer = 1;
  int64_t inner = 1;
  Dims out_dims;
  for (size_t d = 0; d < x.rank(); ++d) {
    if (d < ax) outer *= x.dim(d);
    if (d > ax) inner *= x.dim(d);
    if (d != ax) out_dims.push_back(x.dim(d));
    else if (a.keepdims) out_dims.push_back(1);
  }
  return dispatch<EDGE_EXTREME_TYPES>(x.dtype(), "input 0", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DType::kInt64, out_dims));
    arg_extreme<T>(a, x.data<T>(), outer, x.dim(ax), inner, y->mutable_data<int64_t>());
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_arg(const Node& node, bool is_max) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  ArgAttrs a;
  a.is_max = is_max;
  EDGE_ASSIGN_OR_RETURN(a.axis, node.attr_int("axis", 0));
  EDGE_ASSIGN_OR_RETURN(int64_t keepdims, node.attr_int("keepdims", 1));
  EDGE_ASSIGN_OR_RETURN(int64_t last, node.attr_int("select_last_index", 0));
  a.keepdims = keepdims != 0;
  a.select_last = last != 0;
  return make_kernel(a, run_arg);
}

}  // namespace

std::vector<KernelEntry> reduce_kernels() {
  return {
      {"ReduceSum", EDGE_FACTORY { return make_reduce(node, ReduceOp::kSum, 13); }},
      {"ReduceMean", EDGE_FACTORY { return make_reduce(node, ReduceOp::kMean, 18); }},
      {"ReduceMax", EDGE_FACTORY { return make_reduce(node, ReduceOp::kMax, 18); }},
      {"ReduceMin", EDGE_FACTORY { return make_reduce(node, ReduceOp::kMin, 18); }},
      {"ReduceProd", EDGE_FACTORY { return make_reduce(node, ReduceOp::kProd, 18); }},
      {"ReduceL1", EDGE_FACTORY { return make_reduce(node, ReduceOp::kL1, 18); }},
      {"ReduceL2", EDGE_FACTORY { return make_reduce(node, ReduceOp::kL2, 18); }},
      {"ReduceLogSum", EDGE_FACTORY { return make_reduce(node, ReduceOp::kLogSum, 18); }},
      {"ReduceLogSumExp", EDGE_FACTORY { return make_reduce(node, ReduceOp::kLogSumExp, 18); }},
      {"ReduceSumSquare", EDGE_FACTORY { return make_reduce(node, ReduceOp::kSumSquare, 18); }},
      {"ArgMax", EDGE_FACTORY { return make_arg(node, true); }},
      {"ArgMin", EDGE_FACTORY { return make_arg(node, false); }},
  };
}

}  // namespace edgeserve::ref
