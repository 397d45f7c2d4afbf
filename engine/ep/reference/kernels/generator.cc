// Ops that generate tensors: Constant, ConstantOfShape, Range, EyeLike, OneHot, Trilu.
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"
#include "engine/ops/constant.h"

namespace edgeserve::ref {

namespace {

Result<std::unique_ptr<Kernel>> make_constant(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 0, 0));
  EDGE_ASSIGN_OR_RETURN(Tensor value, constant_node_value(node));
  // The value is immutable and shared: outputs may alias a buffer nobody writes to.
  return make_kernel(std::move(value), [](const Tensor& v, KernelContext& ctx) {
    ctx.set_output(0, v);
    return Status::ok();
  });
}

Status constant_of_shape(const Tensor& value, KernelContext& ctx) {
  const Tensor& shape = ctx.input(0);
  if (shape.rank() != 1) return invalid_argument("the shape input must be 1-D");
  EDGE_ASSIGN_OR_RETURN(Dims dims, read_int_values(shape));
  for (int64_t d : dims) {
    if (d < 0) return invalid_argument(str_cat("negative dimension ", d, " in shape ", dims_to_string(dims)));
  }
  return dispatch<EDGE_ALL_TYPES>(value.dtype(), "value", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, value.dtype(), dims));
    std::fill_n(y->mutable_data<T>(), y->num_elements(), value.data<T>()[0]);
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_constant_of_shape(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  Tensor value = Tensor::scalar<float>(0.0f);
  if (node.has_attr("value")) {
    EDGE_ASSIGN_OR_RETURN(value, node.attr_tensor("value"));
    if (value.num_elements() != 1) {
      return invalid_argument(str_cat(node.describe(), ": 'value' must hold exactly one element"));
    }
  }
  return make_kernel(std::move(value), constant_of_shape);
}

// Number of Range elements, max(ceil((limit - start) / delta), 0), bounded before any allocation.
Result<int64_t> range_count(double start, double limit, double delta, int64_t max_elements) {
  if (delta == 0) return invalid_argument("delta must not be zero");
  const double n = std::ceil((limit - start) / delta);
  if (std::isnan(n)) return invalid_argument("start, limit and delta must be finite");
  if (n <= 0) return int64_t{0};
  if (n > static_cast<double>(max_elements)) {
    return resource_exhausted(str_cat("Range would produce ", n, " elements, more than the tensor limit allows"));
  }
  return static_cast<int64_t>(n);
}

Status range(KernelContext& ctx) {
  for (size_t i = 0; i < 3; ++i) {
    if (ctx.input(i).num_elements() != 1) return invalid_argument(str_cat("input ", i, " must be a scalar"));
  }
  EDGE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
  EDGE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
  const DType t = ctx.input(0).dtype();
  return dispatch<float, double, int16_t, int32_t, int64_t>(t, "input 0", [&](auto tag) -> Status {
    using T = decltype(tag);
    const T start = ctx.input(0).data<T>()[0];
    const T limit = ctx.input(1).data<T>()[0];
    const T delta = ctx.input(2).data<T>()[0];
    const int64_t max_elements = ctx.max_tensor_bytes() / static_cast<int64_t>(sizeof(T));
    EDGE_ASSIGN_OR_RETURN(int64_t n, range_count(static_cast<double>(start), static_cast<double>(limit),
                                                 static_cast<double>(delta), max_elements));
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, t, {n}));
    T* out = y->mutable_data<T>();
    // Each element is computed from start rather than accumulated, so float error stays bounded.
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (std::is_integral_v<T>) {
        // Unsigned arithmetic wraps instead of overflowing; the true value lies between start
        // and limit, so the wrapped result converts back exactly.
        const uint64_t step = static_cast<uint64_t>(i) * static_cast<uint64_t>(static_cast<int64_t>(delta));
        out[i] = static_cast<T>(static_cast<int64_t>(static_cast<uint64_t>(static_cast<int64_t>(start)) + step));
      } else {
        out[i] = static_cast<T>(start + static_cast<T>(i) * delta);
      }
    }
    return Status::ok();
  });
}

struct EyeAttrs {
  int64_t k = 0;
  DType dtype = DType::kUndefined;  // undefined: the input's type
};

Status eye_like(const EyeAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() != 2) return invalid_argument(str_cat("input must be 2-D, got rank ", x.rank()));
  const DType t = a.dtype == DType::kUndefined ? x.dtype() : a.dtype;
  return dispatch<EDGE_NUMBER_TYPES, bool, Float16, BFloat16>(t, "output", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, t, x.dims()));
    const int64_t rows = x.dim(0), cols = x.dim(1);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t c = r + a.k;
      if (c >= 0 && c < cols) y->mutable_data<T>()[r * cols + c] = static_cast<T>(1.0f);
    }
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_eye_like(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  EyeAttrs a;
  EDGE_ASSIGN_OR_RETURN(a.k, node.attr_int("k", 0));
  if (node.has_attr("dtype")) {
    EDGE_ASSIGN_OR_RETURN(int64_t code, node.attr_int("dtype"));
    a.dtype = (code <= 0 || code > 64) ? DType::kUndefined : dtype_from_onnx(static_cast<int32_t>(code));
    if (a.dtype == DType::kUndefined) return unimplemented(str_cat(node.describe(), ": unsupported dtype ", code));
  }
  return make_kernel(a, eye_like);
}

// Reads OneHot's depth (any numeric scalar); it must be a positive whole count.
Result<int64_t> onehot_depth(const Tensor& t) {
  EDGE_ASSIGN_OR_RETURN(double d, read_scalar_as_double(t));
  if (!(d >= 1) || d > static_cast<double>(std::numeric_limits<int32_t>::max())) {
    return invalid_argument(str_cat("depth must be a positive count, got ", d));
  }
  return static_cast<int64_t>(d);
}

// Reads every index of OneHot as int64; non-integer types are truncated as the spec says.
Result<std::vector<int64_t>> onehot_indices(const Tensor& t) {
  std::vector<int64_t> out(static_cast<size_t>(t.num_elements()));
  Status st = dispatch<EDGE_NUMBER_TYPES>(t.dtype(), "indices", [&](auto tag) {
    using T = decltype(tag);
    for (size_t i = 0; i < out.size(); ++i) {
      const double v = static_cast<double>(t.data<T>()[i]);
      // NaN or huge indices select no position; INT64_MIN is outside every [-depth, depth).
      out[i] = (std::isnan(v) || std::abs(v) > 1e15) ? std::numeric_limits<int64_t>::min() : static_cast<int64_t>(v);
    }
  });
  EDGE_RETURN_IF_ERROR(st);
  return out;
}

Status onehot(const int64_t& axis_attr, KernelContext& ctx) {
  const Tensor& ind = ctx.input(0);
  const Tensor& vals = ctx.input(2);
  if (vals.num_elements() != 2) return invalid_argument("values must hold [off_value, on_value]");
  EDGE_ASSIGN_OR_RETURN(int64_t depth, onehot_depth(ctx.input(1)));
  const int64_t rank = static_cast<int64_t>(ind.rank()) + 1;
  EDGE_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(axis_attr, rank));
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> idx, onehot_indices(ind));
  Dims dims = ind.dims();
  dims.insert(dims.begin() + axis, depth);
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(axis); d < ind.rank(); ++d) inner *= ind.dim(d);
  return dispatch<EDGE_ALL_TYPES>(vals.dtype(), "values", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, vals.dtype(), dims));
    T* out = y->mutable_data<T>();
    std::fill_n(out, y->num_elements(), vals.data<T>()[0]);
    for (size_t i = 0; i < idx.size(); ++i) {
      int64_t v = idx[i];
      if (v < 0 && v >= -depth) v += depth;  // negative indices count from the end
      if (v < 0 || v >= depth) continue;
      const int64_t outer = static_cast<int64_t>(i) / inner, in = static_cast<int64_t>(i) % inner;
      out[(outer * depth + v) * inner + in] = vals.data<T>()[1];
    }
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_onehot(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 3, 3));
  EDGE_ASSIGN_OR_RETURN(int64_t axis, node.attr_int("axis", -1));
  return make_kernel(axis, onehot);
}

Status trilu(const bool& upper, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) return invalid_argument(str_cat("input must have rank >= 2, got ", x.rank()));
  int64_t k = 0;
  if (const Tensor* kt = ctx.optional_input(1)) {
    if (kt->num_elements() != 1) return invalid_argument("k must be a scalar");
    EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> kv, read_int_values(*kt));
    k = kv[0];
  }
  const int64_t rows = x.dim(x.rank() - 2), cols = x.dim(x.rank() - 1);
  return dispatch<EDGE_ALL_TYPES>(x.dtype(), "input 0", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), x.dims()));
    // Clamping k to [-rows, cols] keeps r + k from overflowing without changing the result.
    const int64_t kc = std::max<int64_t>(std::min<int64_t>(k, cols), -rows);
    const int64_t mats = rows * cols == 0 ? 0 : x.num_elements() / (rows * cols);
    for (int64_t m = 0; m < mats; ++m) {
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < cols; ++c) {
          const int64_t off = (m * rows + r) * cols + c;
          if (upper ? c >= r + kc : c <= r + kc) y->mutable_data<T>()[off] = x.data<T>()[off];
        }
      }
    }
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_trilu(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 2));
  EDGE_ASSIGN_OR_RETURN(int64_t upper, node.attr_int("upper", 1));
  return make_kernel(upper != 0, trilu);
}

}  // namespace

std::vector<KernelEntry> generator_kernels() {
  return {
      {"Constant", make_constant, HalfMode::kNative},
      {"ConstantOfShape", make_constant_of_shape, HalfMode::kNative},
      {"Range", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 3, 3));
         return make_kernel(range);
       }},
      {"EyeLike", make_eye_like, HalfMode::kNative},
      {"OneHot", make_onehot, HalfMode::kNative},
      {"Trilu", make_trilu, HalfMode::kNative},
  };
}

}  // namespace edgeserve::ref
