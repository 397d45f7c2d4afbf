// Gather and scatter kernels: Gather, GatherElements, GatherND, Scatter*, Compress.
#include <algorithm>
#include <optional>
#include <type_traits>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"
#include "engine/ep/reference/kernels/move_util.h"

namespace edgeserve::ref {

namespace {

constexpr const char* kIndices = "indices (input 1)";

// Maps index v (negative counts from the end) into [0, dim), or names the bad value.
Result<int64_t> checked_index(int64_t v, int64_t dim, const char* what) {
  if (v < -dim || v >= dim) {
    return invalid_argument(str_cat(what, " has value ", v, ", out of range for an axis of size ", dim));
  }
  return v < 0 ? v + dim : v;
}

// Product of dims[begin, end).
int64_t span_size(const Dims& dims, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end; ++i) n *= dims[i];
  return n;
}

Status run_gather(int64_t axis, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& ind = ctx.input(1);
  EDGE_ASSIGN_OR_RETURN(int64_t a, normalize_axis(axis, static_cast<int64_t>(x.rank())));
  const auto ax = static_cast<size_t>(a);
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> idx, read_index_input(ind, kIndices));
  const int64_t dim = x.dim(ax);
  for (int64_t& v : idx) { EDGE_ASSIGN_OR_RETURN(v, checked_index(v, dim, kIndices)); }
  Dims dims(x.dims().begin(), x.dims().begin() + a);
  dims.insert(dims.end(), ind.dims().begin(), ind.dims().end());
  dims.insert(dims.end(), x.dims().begin() + a + 1, x.dims().end());
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), dims));
  const int64_t outer = span_size(x.dims(), 0, ax);
  const int64_t inner = span_size(x.dims(), ax + 1, x.rank());
  const auto n = static_cast<int64_t>(idx.size());
  with_mover(x, *y, [&](auto move) {
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t k = 0; k < n; ++k) {
        const int64_t dst = (o * n + k) * inner, src = (o * dim + idx[static_cast<size_t>(k)]) * inner;
        for (int64_t j = 0; j < inner; ++j) move(dst + j, src + j);
      }
    }
  });
  return Status::ok();
}

// For GatherElements/ScatterElements: the offset in `data` addressed by every element of
// `ind`, i.e. the element's own coordinates with the axis coordinate replaced by its value.
Result<std::vector<int64_t>> element_offsets(const Tensor& data, const Tensor& ind, int64_t axis) {
  if (ind.rank() != data.rank()) {
    return invalid_argument(str_cat("indices (input 1) has rank ", ind.rank(), ", data has rank ", data.rank()));
  }
  EDGE_ASSIGN_OR_RETURN(int64_t a, normalize_axis(axis, static_cast<int64_t>(data.rank())));
  const auto ax = static_cast<size_t>(a);
  for (size_t d = 0; d < data.rank(); ++d) {
    if (d != ax && ind.dim(d) > data.dim(d)) {
      return invalid_argument(str_cat("indices (input 1) shape ", dims_to_string(ind.dims()), " exceeds data shape ",
                                      dims_to_string(data.dims()), " on axis ", d));
    }
  }
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> offsets, read_index_input(ind, kIndices));
  const std::vector<int64_t> strides = contiguous_strides(data.dims());
  std::vector<int64_t> coord(data.rank(), 0);
  for (int64_t& v : offsets) {
    EDGE_ASSIGN_OR_RETURN(int64_t i, checked_index(v, data.dim(ax), kIndices));
    v = 0;
    for (size_t d = 0; d < coord.size(); ++d) v += (d == ax ? i : coord[d]) * strides[d];
    for (size_t d = coord.size(); d-- > 0 && ++coord[d] == ind.dim(d);) coord[d] = 0;
  }
  return offsets;
}

Status run_gather_elements(int64_t axis, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> offsets, element_offsets(x, ctx.input(1), axis));
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), ctx.input(1).dims()));
  with_mover(x, *y, [&](auto move) {
    for (size_t i = 0; i < offsets.size(); ++i) move(static_cast<int64_t>(i), offsets[i]);
  });
  return Status::ok();
}

// The data offsets of the index tuples in the last axis of `ind` (GatherND/ScatterND): tuple k
// addresses data[batch(k), t_0, ..., t_{m-1}, ...] where batch(k) covers the first batch_dims.
Result<std::vector<int64_t>> tuple_offsets(const Tensor& data, const Tensor& ind, size_t batch_dims) {
  const size_t q = ind.rank();
  if (q < 1 || q <= batch_dims || data.rank() <= batch_dims) {
    return invalid_argument(str_cat("indices (input 1) rank ", q, " and data rank ", data.rank(),
                                    " are too small for batch_dims ", batch_dims));
  }
  const auto m = static_cast<size_t>(ind.dim(q - 1));
  if (m < 1 || m > data.rank() - batch_dims) {
    return invalid_argument(
        str_cat("indices (input 1) tuples of length ", m, " do not fit data of rank ", data.rank()));
  }
  for (size_t d = 0; d < batch_dims; ++d) {
    if (ind.dim(d) != data.dim(d))
      return invalid_argument(str_cat("batch dimension ", d, " differs between data and indices"));
  }
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> idx, read_index_input(ind, kIndices));
  const std::vector<int64_t> strides = contiguous_strides(data.dims());
  const int64_t per_batch = span_size(ind.dims(), batch_dims, q - 1);
  const int64_t batch_stride = span_size(data.dims(), batch_dims, data.rank());
  std::vector<int64_t> offsets(idx.size() / m);
  for (size_t k = 0; k < offsets.size(); ++k) {
    int64_t off = static_cast<int64_t>(k) / std::max<int64_t>(per_batch, 1) * batch_stride;
    for (size_t j = 0; j < m; ++j) {
      EDGE_ASSIGN_OR_RETURN(int64_t i, checked_index(idx[k * m + j], data.dim(batch_dims + j), kIndices));
      off += i * strides[batch_dims + j];
    }
    offsets[k] = off;
  }
  return offsets;
}

Status run_gather_nd(int64_t batch_dims, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& ind = ctx.input(1);
  if (batch_dims < 0) return invalid_argument(str_cat("batch_dims ", batch_dims, " is negative"));
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> offsets, tuple_offsets(x, ind, static_cast<size_t>(batch_dims)));
  const size_t tail = static_cast<size_t>(batch_dims) + static_cast<size_t>(ind.dim(ind.rank() - 1));
  Dims dims(ind.dims().begin(), ind.dims().end() - 1);
  dims.insert(dims.end(), x.dims().begin() + static_cast<int64_t>(tail), x.dims().end());
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), dims));
  const int64_t slice = span_size(x.dims(), tail, x.rank());
  with_mover(x, *y, [&](auto move) {
    for (size_t k = 0; k < offsets.size(); ++k) {
      for (int64_t j = 0; j < slice; ++j) move(static_cast<int64_t>(k) * slice + j, offsets[k] + j);
    }
  });
  return Status::ok();
}

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

template <typename T>
T combine(Reduction r, T a, T b) {
  if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    return T(combine(r, static_cast<float>(a), static_cast<float>(b)));
  } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    // Integers wrap instead of overflowing (signed overflow is UB): compute in uint64.
    const auto ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
    if (r == Reduction::kAdd) return static_cast<T>(ua + ub);
    if (r == Reduction::kMul) return static_cast<T>(ua * ub);
    return r == Reduction::kMax ? std::max(a, b) : r == Reduction::kMin ? std::min(a, b) : b;
  } else {
    switch (r) {
      case Reduction::kAdd: return static_cast<T>(a + b);
      case Reduction::kMul: return static_cast<T>(a * b);
      case Reduction::kMax: return std::max(a, b);
      case Reduction::kMin: return std::min(a, b);
      case Reduction::kNone: break;
    }
    return b;
  }
}

// Copies data to output 0, then writes updates[u] to output[o] for each pair from
// for_each_pair(f) (which calls f(o, u)), combining with the reduction.
template <typename Pairs>
Status scatter_into(KernelContext& ctx, Reduction r, Pairs for_each_pair) {
  const Tensor& data = ctx.input(0);
  const Tensor& upd = ctx.input(2);
  if (upd.dtype() != data.dtype()) return invalid_argument("updates (input 2) and data (input 0) differ in type");
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, data.dtype(), data.dims()));
  with_mover(data, *y, [&](auto move) {
    for (int64_t i = 0; i < data.num_elements(); ++i) move(i, i);
  });
  if (r == Reduction::kNone) {
    with_mover(upd, *y, [&](auto move) { for_each_pair(move); });
    return Status::ok();
  }
  return dispatch<EDGE_NUMBER_TYPES, bool, Float16, BFloat16>(data.dtype(), "input 0", [&](auto tag) {
    using T = decltype(tag);
    T* out = y->mutable_data<T>();
    const T* in = upd.data<T>();
    for_each_pair([&](int64_t o, int64_t u) { out[o] = combine(r, out[o], in[u]); });
  });
}

Result<Reduction> parse_reduction(const Node& node) {
  EDGE_ASSIGN_OR_RETURN(std::string s, node.attr_string("reduction", "none"));
  if (s == "none") return Reduction::kNone;
  if (s == "add") return Reduction::kAdd;
  if (s == "mul") return Reduction::kMul;
  if (s == "max") return Reduction::kMax;
  if (s == "min") return Reduction::kMin;
  return invalid_argument(str_cat(node.describe(), ": unknown reduction '", s, "'"));
}

Result<std::unique_ptr<Kernel>> make_scatter_elements(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 3, 3));
  EDGE_ASSIGN_OR_RETURN(int64_t axis, node.attr_int("axis", 0));
  EDGE_ASSIGN_OR_RETURN(Reduction r, parse_reduction(node));
  return make_kernel(std::pair(axis, r), [](const std::pair<int64_t, Reduction>& st, KernelContext& ctx) -> Status {
    const Tensor& ind = ctx.input(1);
    if (ctx.input(2).dims() != ind.dims()) {
      return invalid_argument(str_cat("updates (input 2) shape ", dims_to_string(ctx.input(2).dims()),
                                      " differs from indices (input 1) shape ", dims_to_string(ind.dims())));
    }
    EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> offsets, element_offsets(ctx.input(0), ind, st.first));
    return scatter_into(ctx, st.second, [&](auto f) {
      for (size_t i = 0; i < offsets.size(); ++i) f(offsets[i], static_cast<int64_t>(i));
    });
  });
}

Result<std::unique_ptr<Kernel>> make_scatter_nd(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 3, 3));
  EDGE_ASSIGN_OR_RETURN(Reduction r, parse_reduction(node));
  return make_kernel(r, [](Reduction red, KernelContext& ctx) -> Status {
    const Tensor& data = ctx.input(0);
    const Tensor& ind = ctx.input(1);
    EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> offsets, tuple_offsets(data, ind, 0));
    const auto m = static_cast<int64_t>(ind.dim(ind.rank() - 1));
    Dims expected(ind.dims().begin(), ind.dims().end() - 1);
    expected.insert(expected.end(), data.dims().begin() + m, data.dims().end());
    if (ctx.input(2).dims() != expected) {
      return invalid_argument(str_cat("updates (input 2) has shape ", dims_to_string(ctx.input(2).dims()),
                                      ", expected ", dims_to_string(expected)));
    }
    const int64_t slice = span_size(data.dims(), static_cast<size_t>(m), data.rank());
    return scatter_into(ctx, red, [&](auto f) {
      for (size_t k = 0; k < offsets.size(); ++k) {
        for (int64_t j = 0; j < slice; ++j) f(offsets[k] + j, static_cast<int64_t>(k) * slice + j);
      }
    });
  });
}

// Compress keeps the slices along `axis` (or the elements of the flattened input) whose
// condition is true; a condition shorter than the axis drops the rest.
Status run_compress(std::optional<int64_t> axis, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& cond = ctx.input(1);
  if (cond.dtype() != DType::kBool || cond.rank() != 1)
    return invalid_argument("condition (input 1) must be a 1-D bool tensor");
  const Tensor flat = axis ? x : x.reshaped({x.num_elements()});
  EDGE_ASSIGN_OR_RETURN(int64_t a, normalize_axis(axis.value_or(0), static_cast<int64_t>(flat.rank())));
  const auto ax = static_cast<size_t>(a);
  const int64_t dim = flat.dim(ax);
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < cond.num_elements(); ++i) {
    if (!cond.data<bool>()[i]) continue;
    if (i >= dim)
      return invalid_argument(str_cat("condition (input 1) selects index ", i, " beyond the axis size ", dim));
    keep.push_back(i);
  }
  Dims dims = flat.dims();
  dims[ax] = static_cast<int64_t>(keep.size());
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), dims));
  const int64_t outer = span_size(flat.dims(), 0, ax);
  const int64_t inner = span_size(flat.dims(), ax + 1, flat.rank());
  const auto n = static_cast<int64_t>(keep.size());
  with_mover(flat, *y, [&](auto move) {
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t k = 0; k < n; ++k) {
        const int64_t dst = (o * n + k) * inner, src = (o * dim + keep[static_cast<size_t>(k)]) * inner;
        for (int64_t j = 0; j < inner; ++j) move(dst + j, src + j);
      }
    }
  });
  return Status::ok();
}

// A kernel taking (data, indices) and one int attribute.
template <typename Run>
Result<std::unique_ptr<Kernel>> with_int_attr(const Node& node, const char* attr, int64_t fallback, Run run) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
  EDGE_ASSIGN_OR_RETURN(int64_t v, node.attr_int(attr, fallback));
  return make_kernel(v, run);
}

}  // namespace

std::vector<KernelEntry> gather_kernels() {
  return {
      {"Gather", EDGE_FACTORY { return with_int_attr(node, "axis", 0, run_gather); }, HalfMode::kNative},
      {"GatherElements", EDGE_FACTORY { return with_int_attr(node, "axis", 0, run_gather_elements); },
       HalfMode::kNative},
      {"GatherND", EDGE_FACTORY { return with_int_attr(node, "batch_dims", 0, run_gather_nd); }, HalfMode::kNative},
      {"ScatterElements", make_scatter_elements, HalfMode::kNative},
      {"Scatter", make_scatter_elements, HalfMode::kNative},
      {"ScatterND", make_scatter_nd, HalfMode::kNative},
      {"Compress", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
         std::optional<int64_t> axis;
         if (node.has_attr("axis")) { EDGE_ASSIGN_OR_RETURN(axis, node.attr_int("axis")); }
         return make_kernel(axis, run_compress);
       }, HalfMode::kNative},
  };
}

}  // namespace edgeserve::ref
