// Max/Average/Lp pooling over sliding windows, and their global (whole-plane) forms.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"
#include "engine/ops/conv_geometry.h"

namespace edgeserve::ref {

namespace {

enum class PoolKind { kMax, kAverage, kLp };

struct PoolState {
  PoolKind kind = PoolKind::kMax;
  WindowAttrs attrs;
  bool count_include_pad = false;  // AveragePool
  bool column_major = false;       // MaxPool storage_order = 1
  bool want_indices = false;       // MaxPool's optional second output
  double p = 2;                    // LpPool
};

// Planes (N * C) and spatial dims of a pooling input, checked.
struct PoolShape {
  int64_t planes = 0;
  std::vector<int64_t> in_spatial;
  int64_t in_size = 0;
};

Result<PoolShape> pool_shape(const Tensor& x, size_t min_rank) {
  if (x.rank() < min_rank) {
    return invalid_argument(str_cat("input X must have rank >= ", min_rank, " (N, C, spatial...), got rank ", x.rank()));
  }
  EDGE_RETURN_IF_ERROR(check_dims_bounded(x, "input X"));
  PoolShape s;
  s.planes = x.dim(0) * x.dim(1);
  s.in_spatial.assign(x.dims().begin() + 2, x.dims().end());
  s.in_size = product(s.in_spatial);
  return s;
}

Dims with_spatial(const Tensor& x, const std::vector<int64_t>& spatial) {
  Dims dims = {x.dim(0), x.dim(1)};
  dims.insert(dims.end(), spatial.begin(), spatial.end());
  return dims;
}

// Row-major spatial index -> column-major (storage_order = 1) index.
int64_t to_column_major(int64_t t, const std::vector<int64_t>& dims) {
  int64_t out = 0;
  int64_t scale = 1;
  std::vector<int64_t> coord(dims.size());
  for (size_t a = dims.size(); a-- > 0;) {
    coord[a] = t % dims[a];
    t /= dims[a];
  }
  for (size_t a = 0; a < dims.size(); ++a) {
    out += coord[a] * scale;
    scale *= dims[a];
  }
  return out;
}

template <typename T>
Status run_max_pool(const PoolState& st, const WindowGeometry& geo, const PoolShape& s, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Dims out_dims = with_spatial(x, geo.output);
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), out_dims));
  Tensor* indices = nullptr;
  if (st.want_indices) {
    EDGE_ASSIGN_OR_RETURN(indices, ctx.allocate_output(1, DType::kInt64, out_dims));
  }
  const int64_t out_size = product(geo.output);
  const auto offsets = kernel_offsets(geo);
  std::vector<int64_t> best(static_cast<size_t>(out_size));
  for (int64_t plane = 0; plane < s.planes; ++plane) {
    const T* in = x.data<T>() + plane * s.in_size;
    T* out = y->mutable_data<T>() + plane * out_size;
    std::fill(out, out + out_size, std::numeric_limits<T>::lowest());
    std::fill(best.begin(), best.end(), int64_t{-1});
    for (const auto& off : offsets) {
      for_each_mapped(geo.output, s.in_spatial, geo.strides, geo.pad_begin, off, [&](int64_t j, int64_t t) {
        // The first maximum wins; padding never does.
        if (t >= 0 && (best[static_cast<size_t>(j)] < 0 || in[t] > out[j])) {
          out[j] = in[t];
          best[static_cast<size_t>(j)] = t;
        }
      });
    }
    if (indices == nullptr) continue;
    int64_t* idx = indices->mutable_data<int64_t>() + plane * out_size;
    for (int64_t j = 0; j < out_size; ++j) {
      const int64_t t = std::max<int64_t>(best[static_cast<size_t>(j)], 0);
      idx[j] = plane * s.in_size + (st.column_major ? to_column_major(t, s.in_spatial) : t);
    }
  }
  return Status::ok();
}

// Divisors of AveragePool: window positions inside the input, or inside the padded input
// when count_include_pad is set. They are the same for every plane.
std::vector<int64_t> window_counts(const PoolState& st, const WindowGeometry& geo, const PoolShape& s) {
  std::vector<int64_t> counts(static_cast<size_t>(product(geo.output)), 0);
  std::vector<int64_t> target = s.in_spatial;
  std::vector<int64_t> pad = geo.pad_begin;
  if (st.count_include_pad) {
    // Positions are counted in the padded frame, where no pad is subtracted.
    for (size_t a = 0; a < target.size(); ++a) target[a] += geo.pad_begin[a] + geo.pad_end[a];
    std::fill(pad.begin(), pad.end(), 0);
  }
  for (const auto& off : kernel_offsets(geo)) {
    for_each_mapped(geo.output, target, geo.strides, pad, off, [&](int64_t j, int64_t t) {
      if (t >= 0) ++counts[static_cast<size_t>(j)];
    });
  }
  return counts;
}

// AveragePool and LpPool: a sum over the window (of x or |x|^p), then a finishing step.
template <typename T>
Status run_sum_pool(const PoolState& st, const WindowGeometry& geo, const PoolShape& s, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), with_spatial(x, geo.output)));
  const int64_t out_size = product(geo.output);
  const auto offsets = kernel_offsets(geo);
  const bool lp = st.kind == PoolKind::kLp;
  const std::vector<int64_t> counts = lp ? std::vector<int64_t>{} : window_counts(st, geo, s);
  const T p = static_cast<T>(st.p);
  for (int64_t plane = 0; plane < s.planes; ++plane) {
    const T* in = x.data<T>() + plane * s.in_size;
    T* out = y->mutable_data<T>() + plane * out_size;  // zero-filled
    for (const auto& off : offsets) {
      for_each_mapped(geo.output, s.in_spatial, geo.strides, geo.pad_begin, off, [&](int64_t j, int64_t t) {
        if (t >= 0) out[j] += lp ? std::pow(std::abs(in[t]), p) : in[t];
      });
    }
    for (int64_t j = 0; j < out_size; ++j) {
      if (lp) {
        out[j] = std::pow(out[j], T{1} / p);
      } else {
        const int64_t c = counts[static_cast<size_t>(j)];
        out[j] = c > 0 ? out[j] / static_cast<T>(c) : T{0};
      }
    }
  }
  return Status::ok();
}

template <typename T>
Status run_pool(const PoolState& st, KernelContext& ctx) {
  EDGE_ASSIGN_OR_RETURN(PoolShape s, pool_shape(ctx.input(0), 3));
  EDGE_ASSIGN_OR_RETURN(WindowGeometry geo, forward_geometry(st.attrs, st.attrs.kernel_shape, s.in_spatial));
  if (st.kind == PoolKind::kMax) return run_max_pool<T>(st, geo, s, ctx);
  if constexpr (std::is_floating_point_v<T>) return run_sum_pool<T>(st, geo, s, ctx);
  return internal_error("sum pooling instantiated for an integer type");
}

// LpPool's p: a float attribute in opset 1, an int from opset 2; it must be positive.
Result<double> read_lp_norm(const Node& node) {
  double p = 2;
  if (node.opset < 2) {
    EDGE_ASSIGN_OR_RETURN(float pf, node.attr_float("p", 2.0f));
    p = pf;
  } else {
    EDGE_ASSIGN_OR_RETURN(int64_t pi, node.attr_int("p", 2));
    p = static_cast<double>(pi);
  }
  if (!(p > 0)) return invalid_argument(str_cat(node.describe(), ": p must be positive, got ", p));
  return p;
}

Result<PoolState> read_pool_state(const Node& node, PoolKind kind) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  PoolState st;
  st.kind = kind;
  EDGE_ASSIGN_OR_RETURN(st.attrs, read_window_attrs(node));
  if (st.attrs.kernel_shape.empty()) return invalid_argument(str_cat(node.describe(), ": kernel_shape is required"));
  EDGE_ASSIGN_OR_RETURN(int64_t include_pad, node.attr_int("count_include_pad", 0));
  EDGE_ASSIGN_OR_RETURN(int64_t order, node.attr_int("storage_order", 0));
  if (order != 0 && order != 1) return invalid_argument(str_cat(node.describe(), ": storage_order must be 0 or 1"));
  st.count_include_pad = include_pad != 0;
  st.column_major = order == 1;
  st.want_indices = node.outputs.size() > 1 && node.outputs[1] != nullptr;
  if (kind == PoolKind::kLp) {
    EDGE_ASSIGN_OR_RETURN(st.p, read_lp_norm(node));
  }
  return st;
}

template <typename... Ts>
Result<std::unique_ptr<Kernel>> make_pool(const Node& node, PoolKind kind) {
  EDGE_ASSIGN_OR_RETURN(PoolState st, read_pool_state(node, kind));
  return make_kernel(std::move(st), [](const PoolState& s, KernelContext& ctx) -> Status {
    return dispatch<Ts...>(ctx.input(0).dtype(), "input X", [&](auto tag) -> Status {
      return run_pool<decltype(tag)>(s, ctx);
    });
  });
}

// Global pooling reduces each whole (n, c) plane to one value.
template <typename T>
Status run_global_pool(PoolKind kind, double p_norm, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  EDGE_ASSIGN_OR_RETURN(PoolShape s, pool_shape(x, 2));
  if (s.in_size == 0) return invalid_argument("input X has an empty spatial plane");
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(),
                                                        with_spatial(x, std::vector<int64_t>(s.in_spatial.size(), 1))));
  const T p = static_cast<T>(p_norm);
  for (int64_t plane = 0; plane < s.planes; ++plane) {
    const T* in = x.data<T>() + plane * s.in_size;
    T acc = kind == PoolKind::kMax ? in[0] : T{0};
    for (int64_t i = 0; i < s.in_size; ++i) {
      if (kind == PoolKind::kMax) acc = std::max(acc, in[i]);
      else acc += kind == PoolKind::kLp ? std::pow(std::abs(in[i]), p) : in[i];
    }
    if (kind == PoolKind::kAverage) acc /= static_cast<T>(s.in_size);
    if (kind == PoolKind::kLp) acc = std::pow(acc, T{1} / p);
    y->mutable_data<T>()[plane] = acc;
  }
  return Status::ok();
}

Result<std::unique_ptr<Kernel>> make_global_pool(const Node& node, PoolKind kind) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  double p = 2;
  if (kind == PoolKind::kLp) {
    EDGE_ASSIGN_OR_RETURN(p, read_lp_norm(node));
  }
  struct GlobalState {
    PoolKind kind;
    double p;
  };
  return make_kernel(GlobalState{kind, p}, [](const GlobalState& s, KernelContext& ctx) -> Status {
    return dispatch<EDGE_FLOAT_TYPES>(ctx.input(0).dtype(), "input X", [&](auto tag) -> Status {
      return run_global_pool<decltype(tag)>(s.kind, s.p, ctx);
    });
  });
}

}  // namespace

std::vector<KernelEntry> pool_kernels() {
  return {
      {"MaxPool", EDGE_FACTORY { return make_pool<EDGE_FLOAT_TYPES, int8_t, uint8_t>(node, PoolKind::kMax); }},
      {"AveragePool", EDGE_FACTORY { return make_pool<EDGE_FLOAT_TYPES>(node, PoolKind::kAverage); }},
      {"LpPool", EDGE_FACTORY { return make_pool<EDGE_FLOAT_TYPES>(node, PoolKind::kLp); }},
      {"GlobalMaxPool", EDGE_FACTORY { return make_global_pool(node, PoolKind::kMax); }},
      {"GlobalAveragePool", EDGE_FACTORY { return make_global_pool(node, PoolKind::kAverage); }},
      {"GlobalLpPool", EDGE_FACTORY { return make_global_pool(node, PoolKind::kLp); }},
  };
}

}  // namespace edgeserve::ref
