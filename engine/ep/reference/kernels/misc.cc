// Type conversion and assorted ops: Cast, CastLike, CumSum, TopK, NonZero, Det, Unique.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <optional>
#include <string>

#include "engine/ep/reference/half_adapter.h"
#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

namespace {

#define EDGE_CAST_TYPES EDGE_NUMBER_TYPES, bool, Float16, BFloat16

// float -> string as ONNX's reference does: shortest round-trip text, "NaN", "INF", "-INF".
template <typename T>
std::string number_to_string(T v) {
  if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    return number_to_string(static_cast<float>(v));
  } else if constexpr (std::is_same_v<T, bool>) {
    return v ? "1" : "0";
  } else {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(v)) return "NaN";
      if (std::isinf(v)) return v > 0 ? "INF" : "-INF";
    }
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof(buf), v);
    return std::string(buf, res.ptr);
  }
}

// Parses a whole string as a number ("NaN", "INF", "+INF", "-INF" included).
Result<double> parse_number(const std::string& s) {
  const char* begin = s.c_str();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  if (end == begin || *end != '\0') return invalid_argument(str_cat("cannot cast string '", s, "' to a number"));
  return v;
}

Status cast_from_string(const Tensor& x, Tensor* y, int64_t max_bytes) {
  EDGE_ASSIGN_OR_RETURN(Tensor tmp, Tensor::allocate(DType::kFloat64, x.dims(), max_bytes));
  for (int64_t i = 0; i < x.num_elements(); ++i) {
    EDGE_ASSIGN_OR_RETURN(tmp.mutable_data<double>()[i], parse_number(x.data<std::string>()[i]));
  }
  return convert_tensor(tmp, y);
}

Status cast_to_string(const Tensor& x, Tensor* y) {
  return dispatch<EDGE_CAST_TYPES>(x.dtype(), "input 0", [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < x.num_elements(); ++i) y->mutable_data<std::string>()[i] = number_to_string(x.data<T>()[i]);
  });
}

Status cast_tensor(KernelContext& ctx, const Tensor& x, DType to) {
  if (x.dtype() == to) {
    ctx.set_output(0, x);  // outputs may share an input's buffer
    return Status::ok();
  }
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, to, x.dims()));
  if (x.dtype() == DType::kString) return cast_from_string(x, y, ctx.max_tensor_bytes());
  if (to == DType::kString) return cast_to_string(x, y);
  return convert_tensor(x, y);
}

Result<std::unique_ptr<Kernel>> make_cast(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  EDGE_ASSIGN_OR_RETURN(int64_t to_code, node.attr_int("to"));
  const DType to = (to_code < 0 || to_code > 64) ? DType::kUndefined : dtype_from_onnx(static_cast<int32_t>(to_code));
  if (to == DType::kUndefined) return unimplemented(str_cat(node.describe(), ": unsupported 'to' type ", to_code));
  return make_kernel(to, [](DType dst, KernelContext& ctx) { return cast_tensor(ctx, ctx.input(0), dst); });
}

Result<std::unique_ptr<Kernel>> make_cast_like(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
  return make_kernel([](KernelContext& ctx) { return cast_tensor(ctx, ctx.input(0), ctx.input(1).dtype()); });
}

// View of a tensor as [outer, axis, inner] around one axis.
struct AxisView {
  int64_t outer = 1, len = 1, inner = 1;
};

AxisView axis_view(const Dims& dims, int64_t axis) {
  AxisView v;
  for (int64_t d = 0; d < static_cast<int64_t>(dims.size()); ++d) {
    (d < axis ? v.outer : d == axis ? v.len : v.inner) *= dims[static_cast<size_t>(d)];
  }
  return v;
}

struct CumSumAttrs {
  bool exclusive = false;
  bool reverse = false;
};

Status cumsum(const CumSumAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& axis_t = ctx.input(1);
  if (axis_t.num_elements() != 1) return invalid_argument("axis must be a scalar");
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> axis_v, read_int_values(axis_t));
  EDGE_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(axis_v[0], static_cast<int64_t>(x.rank())));
  const AxisView v = axis_view(x.dims(), axis);
  return dispatch<float, double, int32_t, int64_t, uint32_t, uint64_t>(x.dtype(), "input 0", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), x.dims()));
    const T* in = x.data<T>();
    T* out = y->mutable_data<T>();
    for (int64_t o = 0; o < v.outer; ++o) {
      for (int64_t i = 0; i < v.inner; ++i) {
        T acc{0};
        for (int64_t s = 0; s < v.len; ++s) {
          const int64_t k = a.reverse ? v.len - 1 - s : s;
          const int64_t off = (o * v.len + k) * v.inner + i;
          if (a.exclusive) out[off] = acc;
          acc = static_cast<T>(acc + in[off]);
          if (!a.exclusive) out[off] = acc;
        }
      }
    }
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_cumsum(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
  CumSumAttrs a;
  EDGE_ASSIGN_OR_RETURN(int64_t exclusive, node.attr_int("exclusive", 0));
  EDGE_ASSIGN_OR_RETURN(int64_t reverse, node.attr_int("reverse", 0));
  a.exclusive = exclusive != 0;
  a.reverse = reverse != 0;
  return make_kernel(a, cumsum);
}

struct TopKAttrs {
  int64_t k = -1;  // from the attribute before opset 10; -1 = read input 1
  int64_t axis = -1;
  bool largest = true;
};

// Strict weak order on values with NaN greater than everything (as numpy sorts), so sorting
// never sees an inconsistent comparator.
template <typename T>
bool value_less(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

Result<int64_t> topk_k(const TopKAttrs& a, const KernelContext& ctx) {
  if (a.k >= 0) return a.k;
  if (!ctx.has_input(1)) return invalid_argument("input K is required");
  const Tensor& kt = ctx.input(1);
  if (kt.num_elements() != 1) return invalid_argument("K must hold exactly one value");
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> kv, read_int_values(kt));
  return kv[0];
}

template <typename T>
void topk_line(const T* in, const AxisView& v, int64_t o, int64_t i, int64_t k, bool largest, std::vector<int64_t>& order,
               T* values, int64_t* indices) {
  std::iota(order.begin(), order.end(), int64_t{0});
  auto at = [&](int64_t j) { return in[(o * v.len + j) * v.inner + i]; };
  // Ties are broken by the lower index, which makes the order total.
  auto before = [&](int64_t p, int64_t q) {
    const T a = at(p), b = at(q);
    if (largest ? value_less(b, a) : value_less(a, b)) return true;
    if (largest ? value_less(a, b) : value_less(b, a)) return false;
    return p < q;
  };
  std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
  for (int64_t j = 0; j < k; ++j) {
    const int64_t off = (o * k + j) * v.inner + i;
    values[off] = at(order[static_cast<size_t>(j)]);
    indices[off] = order[static_cast<size_t>(j)];
  }
}

Status topk(const TopKAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  EDGE_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(a.axis, static_cast<int64_t>(x.rank())));
  EDGE_ASSIGN_OR_RETURN(int64_t k, topk_k(a, ctx));
  const AxisView v = axis_view(x.dims(), axis);
  if (k < 0 || k > v.len) return invalid_argument(str_cat("k = ", k, " is outside [0, ", v.len, "] for axis ", axis));
  Dims out_dims = x.dims();
  out_dims[static_cast<size_t>(axis)] = k;
  return dispatch<EDGE_NUMBER_TYPES>(x.dtype(), "input 0", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * values, ctx.allocate_output(0, x.dtype(), out_dims));
    EDGE_ASSIGN_OR_RETURN(Tensor * indices, ctx.allocate_output(1, DType::kInt64, out_dims));
    std::vector<int64_t> order(static_cast<size_t>(v.len));
    for (int64_t o = 0; o < v.outer; ++o) {
      for (int64_t i = 0; i < v.inner; ++i) {
        topk_line(x.data<T>(), v, o, i, k, a.largest, order, values->mutable_data<T>(), indices->mutable_data<int64_t>());
      }
    }
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_topk(const Node& node) {
  TopKAttrs a;
  if (node.opset < 10) {
    EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1, 2));
    EDGE_ASSIGN_OR_RETURN(a.k, node.attr_int("k"));
    if (a.k < 0) return invalid_argument(str_cat(node.describe(), ": k must be non-negative"));
  } else {
    EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2, 2));
  }
  if (node.outputs.size() < 2 || node.outputs[1] == nullptr) {
    return invalid_argument(str_cat(node.describe(), ": needs the values and indices outputs"));
  }
  EDGE_ASSIGN_OR_RETURN(a.axis, node.attr_int("axis", -1));
  EDGE_ASSIGN_OR_RETURN(int64_t largest, node.attr_int("largest", 1));
  a.largest = largest != 0;
  // `sorted` = 0 leaves the order unspecified; returning sorted results satisfies it.
  return make_kernel(a, topk);
}

Status nonzero(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  return dispatch<EDGE_NUMBER_TYPES, bool>(x.dtype(), "input 0", [&](auto tag) -> Status {
    using T = decltype(tag);
    const T* in = x.data<T>();
    int64_t n = 0;
    for (int64_t i = 0; i < x.num_elements(); ++i) n += in[i] != T{0} ? 1 : 0;
    // A scalar is treated as a 1-element vector, as numpy does.
    const Dims dims = x.rank() == 0 ? Dims{1} : x.dims();
    const int64_t rank = static_cast<int64_t>(dims.size());
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DType::kInt64, {rank, n}));
    int64_t* out = y->mutable_data<int64_t>();
    const std::vector<int64_t> strides = contiguous_strides(dims);
    int64_t col = 0;
    for (int64_t i = 0; i < x.num_elements(); ++i) {
      if (in[i] == T{0}) continue;
      for (int64_t d = 0; d < rank; ++d) {
        out[d * n + col] = (i / strides[static_cast<size_t>(d)]) % dims[static_cast<size_t>(d)];
      }
      ++col;
    }
    return Status::ok();
  });
}

// Determinant of one n x n matrix by LU decomposition with partial pivoting.
double det_of(std::vector<double>& m, int64_t n) {
  double det = 1;
  for (int64_t c = 0; c < n; ++c) {
    int64_t pivot = c;
    for (int64_t r = c + 1; r < n; ++r) {
      if (std::abs(m[static_cast<size_t>(r * n + c)]) > std::abs(m[static_cast<size_t>(pivot * n + c)])) pivot = r;
    }
    const double p = m[static_cast<size_t>(pivot * n + c)];
    if (p == 0) return 0.0;
    if (pivot != c) {
      for (int64_t k = 0; k < n; ++k) std::swap(m[static_cast<size_t>(c * n + k)], m[static_cast<size_t>(pivot * n + k)]);
      det = -det;
    }
    det *= p;
    for (int64_t r = c + 1; r < n; ++r) {
      const double f = m[static_cast<size_t>(r * n + c)] / p;
      for (int64_t k = c; k < n; ++k) m[static_cast<size_t>(r * n + k)] -= f * m[static_cast<size_t>(c * n + k)];
    }
  }
  return det;
}

Status det(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2 || x.dim(x.rank() - 1) != x.dim(x.rank() - 2)) {
    return invalid_argument(str_cat("Det needs [..., M, M] input, got ", dims_to_string(x.dims())));
  }
  const int64_t n = x.dim(x.rank() - 1);
  const Dims out_dims(x.dims().begin(), x.dims().end() - 2);
  return dispatch<EDGE_FLOAT_TYPES>(x.dtype(), "input 0", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), out_dims));
    std::vector<double> m(static_cast<size_t>(n * n));
    for (int64_t b = 0; b < y->num_elements(); ++b) {
      std::copy_n(x.data<T>() + b * n * n, n * n, m.begin());
      y->mutable_data<T>()[b] = static_cast<T>(det_of(m, n));
    }
    return Status::ok();
  });
}

// Unique views the input as `len` slices along an axis (single elements when flattened).
template <typename T>
struct SliceView {
  const T* data;
  AxisView v;
  // Lexicographic order of slices p and q; -1, 0 or 1.
  int compare(int64_t p, int64_t q) const {
    for (int64_t o = 0; o < v.outer; ++o) {
      for (int64_t i = 0; i < v.inner; ++i) {
        const T a = data[(o * v.len + p) * v.inner + i], b = data[(o * v.len + q) * v.inner + i];
        if (value_less(a, b)) return -1;
        if (value_less(b, a)) return 1;
      }
    }
    return 0;
  }
};

// Groups equal slices. Returns the first index of each unique slice, in output order, and
// fills `inverse` with each slice's position in that order.
template <typename T>
std::vector<int64_t> unique_groups(const SliceView<T>& s, bool sorted, std::vector<int64_t>& inverse) {
  std::vector<int64_t> order(static_cast<size_t>(s.v.len));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](int64_t p, int64_t q) { return s.compare(p, q) < 0; });
  std::vector<int64_t> firsts;  // stable sort: the first member of a run is the first occurrence
  std::vector<int64_t> group_of(order.size());
  for (size_t j = 0; j < order.size(); ++j) {
    if (j == 0 || s.compare(order[j - 1], order[j]) != 0) firsts.push_back(order[j]);
    group_of[static_cast<size_t>(order[j])] = static_cast<int64_t>(firsts.size()) - 1;
  }
  std::vector<int64_t> rank(firsts.size());
  std::iota(rank.begin(), rank.end(), int64_t{0});
  if (!sorted) {
    std::vector<int64_t> by_first(firsts.size());
    std::iota(by_first.begin(), by_first.end(), int64_t{0});
    std::sort(by_first.begin(), by_first.end(), [&](int64_t a, int64_t b) {
      return firsts[static_cast<size_t>(a)] < firsts[static_cast<size_t>(b)];
    });
    std::vector<int64_t> reordered(firsts.size());
    for (size_t r = 0; r < by_first.size(); ++r) {
      reordered[r] = firsts[static_cast<size_t>(by_first[r])];
      rank[static_cast<size_t>(by_first[r])] = static_cast<int64_t>(r);
    }
    firsts = std::move(reordered);
  }
  inverse.resize(order.size());
  for (size_t j = 0; j < order.size(); ++j) inverse[j] = rank[static_cast<size_t>(group_of[j])];
  return firsts;
}

Status write_int64_output(KernelContext& ctx, size_t i, const std::vector<int64_t>& v) {
  if (i >= ctx.num_outputs()) return Status::ok();
  EDGE_ASSIGN_OR_RETURN(Tensor * t, ctx.allocate_output(i, DType::kInt64, {static_cast<int64_t>(v.size())}));
  std::copy(v.begin(), v.end(), t->mutable_data<int64_t>());
  return Status::ok();
}

struct UniqueAttrs {
  bool sorted = true;
  std::optional<int64_t> axis;
};

Status unique(const UniqueAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Dims dims = a.axis ? x.dims() : Dims{x.num_elements()};
  int64_t axis = 0;
  if (a.axis) {
    EDGE_ASSIGN_OR_RETURN(axis, normalize_axis(*a.axis, static_cast<int64_t>(x.rank())));
  }
  return dispatch<EDGE_NUMBER_TYPES, bool, std::string>(x.dtype(), "input 0", [&](auto tag) -> Status {
    using T = decltype(tag);
    const SliceView<T> s{x.data<T>(), axis_view(dims, axis)};
    std::vector<int64_t> inverse;
    const std::vector<int64_t> firsts = unique_groups(s, a.sorted, inverse);
    std::vector<int64_t> counts(firsts.size(), 0);
    for (int64_t g : inverse) ++counts[static_cast<size_t>(g)];
    dims[static_cast<size_t>(axis)] = static_cast<int64_t>(firsts.size());
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), dims));
    const int64_t u = static_cast<int64_t>(firsts.size());
    for (int64_t o = 0; o < s.v.outer; ++o) {
      for (int64_t g = 0; g < u; ++g) {
        for (int64_t i = 0; i < s.v.inner; ++i) {
          y->mutable_data<T>()[(o * u + g) * s.v.inner + i] =
              s.data[(o * s.v.len + firsts[static_cast<size_t>(g)]) * s.v.inner + i];
        }
      }
    }
    EDGE_RETURN_IF_ERROR(write_int64_output(ctx, 1, firsts));
    EDGE_RETURN_IF_ERROR(write_int64_output(ctx, 2, inverse));
    return write_int64_output(ctx, 3, counts);
  });
}

Result<std::unique_ptr<Kernel>> make_unique(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  UniqueAttrs a;
  EDGE_ASSIGN_OR_RETURN(int64_t sorted, node.attr_int("sorted", 1));
  a.sorted = sorted != 0;
  if (node.has_attr("axis")) {
    EDGE_ASSIGN_OR_RETURN(int64_t axis, node.attr_int("axis"));
    a.axis = axis;
  }
  return make_kernel(a, unique);
}

}  // namespace

std::vector<KernelEntry> misc_kernels() {
  return {
      {"Cast", make_cast, HalfMode::kNative},
      {"CastLike", make_cast_like, HalfMode::kNative},
      {"CumSum", make_cumsum},
      {"TopK", make_topk},
      {"NonZero", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
         return make_kernel(nonzero);
       }},
      {"Det", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
         return make_kernel(det);
       }},
      {"Unique", make_unique},
  };
}

}  // namespace edgeserve::ref
