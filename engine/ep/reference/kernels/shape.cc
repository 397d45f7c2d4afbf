// Shape kernels: ops that change dims without reordering elements (Reshape, Squeeze, Slice...).
#include <algorithm>
#include <optional>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"
#include "engine/ep/reference/kernels/move_util.h"

namespace edgeserve::ref {

namespace {

// Reads optional int input i (absent → nullopt).
Result<std::optional<std::vector<int64_t>>> optional_ints(const KernelContext& ctx, size_t i, const char* what) {
  const Tensor* t = ctx.optional_input(i);
  if (t == nullptr) return std::optional<std::vector<int64_t>>();
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> v, read_index_input(*t, what));
  return std::optional<std::vector<int64_t>>(std::move(v));
}

Result<std::unique_ptr<Kernel>> make_reshape(const Node& node) {
  struct State { std::vector<int64_t> attr_shape; bool from_attr; bool allow_zero; };
  State s;
  s.from_attr = node.opset < 5;
  EDGE_RETURN_IF_ERROR(check_arity(node, s.from_attr ? 1 : 2, 2));
  if (s.from_attr) { EDGE_ASSIGN_OR_RETURN(s.attr_shape, node.attr_ints("shape")); }
  EDGE_ASSIGN_OR_RETURN(int64_t allow_zero, node.attr_int("allowzero", 0));
  s.allow_zero = allow_zero != 0;
  return make_kernel(s, [](const State& st, KernelContext& ctx) -> Status {
    std::vector<int64_t> shape = st.attr_shape;
    if (!st.from_attr) { EDGE_ASSIGN_OR_RETURN(shape, read_index_input(ctx.input(1), "shape (input 1)")); }
    EDGE_ASSIGN_OR_RETURN(Dims dims, reshape_dims(ctx.input(0).dims(), shape, st.allow_zero));
    ctx.set_output(0, ctx.input(0).reshaped(dims));
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_flatten(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  EDGE_ASSIGN_OR_RETURN(int64_t axis, node.attr_int("axis", 1));
  return make_kernel(axis, [](int64_t ax, KernelContext& ctx) -> Status {
    const Tensor& x = ctx.input(0);
    const auto rank = static_cast<int64_t>(x.rank());
    // Flatten accepts axis in [-rank, rank]: axis == rank puts everything in the outer dim.
    const int64_t a = ax < 0 ? ax + rank : ax;
    if (a < 0 || a > rank) return invalid_argument(str_cat("axis ", ax, " is out of range for rank ", rank));
    EDGE_ASSIGN_OR_RETURN(int64_t outer, checked_num_elements(Dims(x.dims().begin(), x.dims().begin() + a)));
    EDGE_ASSIGN_OR_RETURN(int64_t inner, checked_num_elements(Dims(x.dims().begin() + a, x.dims().end())));
    ctx.set_output(0, x.reshaped({outer, inner}));
    return Status::ok();
  });
}

// Squeeze/Unsqueeze: axes from an attribute before opset 13, from input 1 afterwards.
struct AxesState {
  std::optional<std::vector<int64_t>> attr_axes;
  bool from_input;
};

Result<AxesState> parse_axes(const Node& node) {
  AxesState s;
  s.from_input = node.opset >= 13;
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, s.from_input ? 2 : 1));
  if (!s.from_input && node.has_attr("axes")) { EDGE_ASSIGN_OR_RETURN(s.attr_axes, node.attr_ints("axes")); }
  return s;
}

Result<std::optional<std::vector<int64_t>>> resolve_axes(const AxesState& s, const KernelContext& ctx) {
  if (!s.from_input) return s.attr_axes;
  return optional_ints(ctx, 1, "axes (input 1)");
}

Result<std::unique_ptr<Kernel>> make_squeeze(const Node& node) {
  EDGE_ASSIGN_OR_RETURN(AxesState s, parse_axes(node));
  return make_kernel(s, [](const AxesState& st, KernelContext& ctx) -> Status {
    const Tensor& x = ctx.input(0);
    EDGE_ASSIGN_OR_RETURN(auto axes, resolve_axes(st, ctx));
    std::vector<bool> drop(x.rank(), false);
    if (axes) {
      EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> norm, normalize_axes(*axes, static_cast<int64_t>(x.rank())));
      for (int64_t a : norm) {
        if (x.dim(static_cast<size_t>(a)) != 1) {
          return invalid_argument(str_cat("cannot squeeze axis ", a, " of size ", x.dim(static_cast<size_t>(a))));
        }
        drop[static_cast<size_t>(a)] = true;
      }
    } else {
      for (size_t i = 0; i < x.rank(); ++i) drop[i] = x.dim(i) == 1;
    }
    Dims dims;
    for (size_t i = 0; i < x.rank(); ++i) {
      if (!drop[i]) dims.push_back(x.dim(i));
    }
    ctx.set_output(0, x.reshaped(dims));
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_unsqueeze(const Node& node) {
  EDGE_ASSIGN_OR_RETURN(AxesState s, parse_axes(node));
  if (!s.from_input && !s.attr_axes) return invalid_argument(str_cat(node.describe(), ": missing attribute 'axes'"));
  return make_kernel(s, [](const AxesState& st, KernelContext& ctx) -> Status {
    const Tensor& x = ctx.input(0);
    EDGE_ASSIGN_OR_RETURN(auto axes, resolve_axes(st, ctx));
    if (!axes) return invalid_argument("axes (input 1) is required");
    const auto rank = static_cast<int64_t>(x.rank() + axes->size());
    EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> norm, normalize_axes(*axes, rank));
    std::vector<bool> inserted(static_cast<size_t>(rank), false);
    for (int64_t a : norm) inserted[static_cast<size_t>(a)] = true;
    Dims dims;
    size_t next = 0;
    for (int64_t i = 0; i < rank; ++i) dims.push_back(inserted[static_cast<size_t>(i)] ? 1 : x.dim(next++));
    ctx.set_output(0, x.reshaped(dims));
    return Status::ok();
  });
}

// Checks that every input matches input 0 except along `axis`, returning the concat dims.
Result<Dims> concat_dims(const KernelContext& ctx, int64_t axis) {
  const Tensor& first = ctx.input(0);
  Dims dims = first.dims();
  dims[static_cast<size_t>(axis)] = 0;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor& t = ctx.input(i);
    if (t.dtype() != first.dtype()) return invalid_argument(str_cat("input ", i, " has a different type"));
    if (t.rank() != first.rank()) return invalid_argument(str_cat("input ", i, " has a different rank"));
    for (size_t d = 0; d < t.rank(); ++d) {
      if (static_cast<int64_t>(d) != axis && t.dim(d) != first.dim(d)) {
        return invalid_argument(str_cat("input ", i, " has shape ", dims_to_string(t.dims()), ", incompatible with ",
                                        dims_to_string(first.dims()), " outside axis ", axis));
      }
    }
    int64_t& total = dims[static_cast<size_t>(axis)];
    if (__builtin_add_overflow(total, t.dim(static_cast<size_t>(axis)), &total)) {
      return resource_exhausted("concatenated axis size overflows");
    }
  }
  return dims;
}

Result<std::unique_ptr<Kernel>> make_concat(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, SIZE_MAX));
  EDGE_ASSIGN_OR_RETURN(int64_t axis, node.opset < 4 ? node.attr_int("axis", 1) : node.attr_int("axis"));
  return make_kernel(axis, [](int64_t ax, KernelContext& ctx) -> Status {
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      if (!ctx.has_input(i)) return invalid_argument(str_cat("input ", i, " is missing"));
    }
    EDGE_ASSIGN_OR_RETURN(int64_t a, normalize_axis(ax, static_cast<int64_t>(ctx.input(0).rank())));
    EDGE_ASSIGN_OR_RETURN(Dims dims, concat_dims(ctx, a));
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, ctx.input(0).dtype(), dims));
    int64_t outer = 1;
    for (int64_t d = 0; d < a; ++d) outer *= dims[static_cast<size_t>(d)];
    const int64_t out_block = outer == 0 ? 0 : y->num_elements() / outer;
    int64_t offset = 0;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor& t = ctx.input(i);
      const int64_t block = outer == 0 ? 0 : t.num_elements() / outer;
      with_mover(t, *y, [&](auto move) {
        for (int64_t o = 0; o < outer; ++o) {
          for (int64_t j = 0; j < block; ++j) move(o * out_block + offset + j, o * block + j);
        }
      });
      offset += block;
    }
    return Status::ok();
  });
}

// Split sizes: explicit, or num_outputs chunks of ceil(dim / n) (opset 18), or equal parts.
Result<std::vector<int64_t>> split_sizes(std::optional<std::vector<int64_t>> split, int64_t dim, size_t outputs,
                                         bool ceil_chunks) {
  const auto n = static_cast<int64_t>(outputs);
  if (split && split->empty()) split.reset();  // an empty split input means "not given"
  if (!split) {
    if (ceil_chunks) {
      const int64_t chunk = (dim + n - 1) / n;
      split = std::vector<int64_t>(outputs, chunk);
      split->back() = dim - chunk * (n - 1);
    } else {
      if (dim % n != 0)
        return invalid_argument(str_cat("axis of size ", dim, " cannot be split into ", n, " equal parts"));
      split = std::vector<int64_t>(outputs, dim / n);
    }
  }
  if (split->size() != outputs) {
    return invalid_argument(str_cat("split has ", split->size(), " entries for ", outputs, " outputs"));
  }
  int64_t sum = 0;
  for (int64_t v : *split) {
    // Checked against the remainder so that the running sum cannot overflow.
    if (v < 0 || v > dim - sum)
      return invalid_argument(str_cat("split sizes ", dims_to_string(*split), " exceed the axis size ", dim));
    sum += v;
  }
  if (sum != dim) return invalid_argument(str_cat("split sizes sum to ", sum, ", the axis has ", dim));
  return *split;
}

Result<std::unique_ptr<Kernel>> make_split(const Node& node) {
  struct State { int64_t axis; std::optional<std::vector<int64_t>> attr_split; bool from_input; bool ceil_chunks; };
  State s;
  s.from_input = node.opset >= 13;
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 2));
  EDGE_ASSIGN_OR_RETURN(s.axis, node.attr_int("axis", 0));
  if (!s.from_input && node.has_attr("split")) { EDGE_ASSIGN_OR_RETURN(s.attr_split, node.attr_ints("split")); }
  s.ceil_chunks = node.has_attr("num_outputs");
  if (s.ceil_chunks) {
    EDGE_ASSIGN_OR_RETURN(int64_t n, node.attr_int("num_outputs"));
    if (n != static_cast<int64_t>(node.outputs.size())) {
      return invalid_argument(str_cat(node.describe(), ": num_outputs ", n, " differs from the output count"));
    }
  }
  return make_kernel(s, [](const State& st, KernelContext& ctx) -> Status {
    const Tensor& x = ctx.input(0);
    EDGE_ASSIGN_OR_RETURN(int64_t a, normalize_axis(st.axis, static_cast<int64_t>(x.rank())));
    auto split = st.attr_split;
    if (st.from_input) { EDGE_ASSIGN_OR_RETURN(split, optional_ints(ctx, 1, "split (input 1)")); }
    const int64_t dim = x.dim(static_cast<size_t>(a));
    EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, split_sizes(split, dim, ctx.num_outputs(), st.ceil_chunks));
    int64_t outer = 1;
    for (int64_t d = 0; d < a; ++d) outer *= x.dim(static_cast<size_t>(d));
    const int64_t inner = dim == 0 || outer == 0 ? 0 : x.num_elements() / outer / dim;
    int64_t offset = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      Dims dims = x.dims();
      dims[static_cast<size_t>(a)] = sizes[i];
      EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(i, x.dtype(), dims));
      const int64_t block = sizes[i] * inner;
      with_mover(x, *y, [&](auto move) {
        for (int64_t o = 0; o < outer; ++o) {
          for (int64_t j = 0; j < block; ++j) move(o * block + j, o * dim * inner + offset + j);
        }
      });
      offset += block;
    }
    return Status::ok();
  });
}


struct SliceArgs {
  std::vector<int64_t> starts, ends, axes, steps;
};

Result<SliceArgs> slice_args(const KernelContext& ctx, const SliceArgs& attrs, bool from_inputs) {
  SliceArgs a = attrs;
  if (from_inputs) {
    EDGE_ASSIGN_OR_RETURN(a.starts, read_index_input(ctx.input(1), "starts (input 1)"));
    EDGE_ASSIGN_OR_RETURN(a.ends, read_index_input(ctx.input(2), "ends (input 2)"));
    EDGE_ASSIGN_OR_RETURN(auto axes, optional_ints(ctx, 3, "axes (input 3)"));
    EDGE_ASSIGN_OR_RETURN(auto steps, optional_ints(ctx, 4, "steps (input 4)"));
    if (axes) a.axes = *axes;
    if (steps) a.steps = *steps;
  }
  const size_t n = a.starts.size();
  if (a.axes.empty()) {
    for (size_t i = 0; i < n; ++i) a.axes.push_back(static_cast<int64_t>(i));
  }
  if (a.steps.empty()) a.steps.assign(n, 1);
  if (a.ends.size() != n || a.axes.size() != n || a.steps.size() != n) {
    return invalid_argument("starts, ends, axes and steps must have the same length");
  }
  EDGE_ASSIGN_OR_RETURN(a.axes, normalize_axes(a.axes, static_cast<int64_t>(ctx.input(0).rank())));
  return a;
}

Result<std::unique_ptr<Kernel>> make_slice(const Node& node) {
  struct State { SliceArgs attrs; bool from_inputs; };
  State s;
  s.from_inputs = node.opset >= 10;
  EDGE_RETURN_IF_ERROR(check_arity(node, s.from_inputs ? 3 : 1, s.from_inputs ? 5 : 1));
  if (!s.from_inputs) {
    EDGE_ASSIGN_OR_RETURN(s.attrs.starts, node.attr_ints("starts"));
    EDGE_ASSIGN_OR_RETURN(s.attrs.ends, node.attr_ints("ends"));
    EDGE_ASSIGN_OR_RETURN(s.attrs.axes, node.attr_ints("axes", std::vector<int64_t>{}));
  }
  return make_kernel(s, [](const State& st, KernelContext& ctx) -> Status {
    const Tensor& x = ctx.input(0);
    EDGE_ASSIGN_OR_RETURN(SliceArgs a, slice_args(ctx, st.attrs, st.from_inputs));
    Dims dims = x.dims();
    std::vector<int64_t> strides = contiguous_strides(x.dims());
    int64_t base = 0;
    for (size_t i = 0; i < a.axes.size(); ++i) {
      if (a.steps[i] == 0) return invalid_argument("steps (input 4) must not contain 0");
      const auto ax = static_cast<size_t>(a.axes[i]);
      const auto [start, count] = clamp_slice(a.starts[i], a.ends[i], a.steps[i], x.dim(ax));
      dims[ax] = count;
      if (count > 0) base += start * strides[ax];
      // A step longer than the axis visits one element; bounding it keeps the stride from overflowing.
      strides[ax] *= std::clamp<int64_t>(a.steps[i], -x.dim(ax) - 1, x.dim(ax) + 1);
    }
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), dims));
    strided_copy(x, base, dims, strides, *y);
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_shape(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  struct State { int64_t start; std::optional<int64_t> end; };
  State s;
  EDGE_ASSIGN_OR_RETURN(s.start, node.attr_int("start", 0));
  if (node.has_attr("end")) { EDGE_ASSIGN_OR_RETURN(s.end, node.attr_int("end")); }
  return make_kernel(s, [](const State& st, KernelContext& ctx) -> Status {
    const Dims& in = ctx.input(0).dims();
    const auto rank = static_cast<int64_t>(in.size());
    // Out-of-range start/end clamp to [0, rank] rather than fail, per the spec.
    auto clamp_axis = [rank](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
    const int64_t begin = clamp_axis(st.start);
    const int64_t end = std::max(begin, clamp_axis(st.end.value_or(rank)));
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DType::kInt64, {end - begin}));
    std::copy(in.begin() + begin, in.begin() + end, y->mutable_data<int64_t>());
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_dropout(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 3));
  const bool want_mask = node.outputs.size() > 1 && node.outputs[1] != nullptr;
  return make_kernel(want_mask, [](bool mask, KernelContext& ctx) -> Status {
    if (const Tensor* t = ctx.optional_input(2)) {
      if (t->dtype() != DType::kBool || t->num_elements() != 1) {
        return invalid_argument("training_mode (input 2) must be a bool scalar");
      }
      if (t->data<bool>()[0]) return unimplemented("Dropout with training_mode = true is not supported");
    }
    ctx.set_output(0, ctx.input(0));
    if (mask) {
      EDGE_ASSIGN_OR_RETURN(Tensor * m, ctx.allocate_output(1, DType::kBool, ctx.input(0).dims()));
      std::fill_n(m->mutable_data<bool>(), m->num_elements(), true);
    }
    return Status::ok();
  });
}

}  // namespace

std::vector<KernelEntry> shape_kernels() {
  return {
      {"Reshape", make_reshape, HalfMode::kNative},
      {"Flatten", make_flatten, HalfMode::kNative},
      {"Squeeze", make_squeeze, HalfMode::kNative},
      {"Unsqueeze", make_unsqueeze, HalfMode::kNative},
      {"Concat", make_concat, HalfMode::kNative},
      {"Split", make_split, HalfMode::kNative},
      {"Slice", make_slice, HalfMode::kNative},
      {"Shape", make_shape, HalfMode::kNative},
      {"Size", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
         return make_kernel([](KernelContext& ctx) -> Status {
           ctx.set_output(0, Tensor::scalar<int64_t>(ctx.input(0).num_elements()));
           return Status::ok();
         });
       }, HalfMode::kNative},
      {"Identity", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
         return make_kernel([](KernelContext& ctx) -> Status {
           ctx.set_output(0, ctx.input(0));
           return Status::ok();
         });
       }, HalfMode::kNative},
      {"Dropout", make_dropout, HalfMode::kNative},
  };
}

}  // namespace edgeserve::ref
