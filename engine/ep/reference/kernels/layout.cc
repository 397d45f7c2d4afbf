// Layout kernels: ops that reorder or replicate elements (Transpose, Pad, Tile, Expand, *ToSpace).
#include <algorithm>
#include <array>
#include <numeric>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"
#include "engine/ep/reference/kernels/move_util.h"

namespace edgeserve::ref {

namespace {

Result<std::unique_ptr<Kernel>> make_transpose(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> given, node.attr_ints("perm", std::vector<int64_t>{}));
  return make_kernel(given, [](const std::vector<int64_t>& attr_perm, KernelContext& ctx) -> Status {
    const Tensor& x = ctx.input(0);
    const auto rank = static_cast<int64_t>(x.rank());
    std::vector<int64_t> perm = attr_perm;
    if (perm.empty()) {
      perm.resize(x.rank());
      std::iota(perm.rbegin(), perm.rend(), 0);  // default: reverse the axes
    }
    if (static_cast<int64_t>(perm.size()) != rank) {
      return invalid_argument(str_cat("perm has ", perm.size(), " entries for an input of rank ", rank));
    }
    EDGE_ASSIGN_OR_RETURN(perm, normalize_axes(perm, rank));
    const std::vector<int64_t> in_strides = contiguous_strides(x.dims());
    Dims dims(x.rank());
    std::vector<int64_t> strides(x.rank());
    for (size_t i = 0; i < perm.size(); ++i) {
      dims[i] = x.dim(static_cast<size_t>(perm[i]));
      strides[i] = in_strides[static_cast<size_t>(perm[i])];
    }
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), dims));
    strided_copy(x, 0, dims, strides, *y);
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_expand(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
  return make_kernel([](KernelContext& ctx) -> Status {
    const Tensor& x = ctx.input(0);
    EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> shape, read_index_input(ctx.input(1), "shape (input 1)"));
    for (int64_t d : shape) {
      if (d < 0) return invalid_argument(str_cat("shape (input 1) has negative dimension ", d));
    }
    EDGE_ASSIGN_OR_RETURN(Dims dims, broadcast_dims(x.dims(), shape));
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), dims));
    strided_copy(x, 0, dims, broadcast_strides(x.dims(), dims), *y);
    return Status::ok();
  });
}

// Tile views the output as [r0, d0, r1, d1, ...] where every repeat axis has stride 0.
Result<std::unique_ptr<Kernel>> make_tile(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
  return make_kernel([](KernelContext& ctx) -> Status {
    const Tensor& x = ctx.input(0);
    EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> reps, read_index_input(ctx.input(1), "repeats (input 1)"));
    if (reps.size() != x.rank()) {
      return invalid_argument(
          str_cat("repeats (input 1) has ", reps.size(), " entries for an input of rank ", x.rank()));
    }
    const std::vector<int64_t> in_strides = contiguous_strides(x.dims());
    Dims dims, view;
    std::vector<int64_t> strides;
    for (size_t i = 0; i < reps.size(); ++i) {
      const int64_t d = x.dim(i);
      if (reps[i] < 0) return invalid_argument(str_cat("repeats (input 1) has negative value ", reps[i]));
      if (d != 0 && reps[i] > INT64_MAX / d) return resource_exhausted("tiled shape overflows");
      dims.push_back(reps[i] * d);
      view.insert(view.end(), {reps[i], d});
      strides.insert(strides.end(), {0, in_strides[i]});
    }
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), dims));
    strided_copy(x, 0, view, strides, *y);
    return Status::ok();
  });
}

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

// Source index along one axis for output position o, or -1 for the constant fill.
int64_t pad_source(int64_t o, int64_t before, int64_t dim, PadMode mode) {
  const int64_t i = o - before;
  if (i >= 0 && i < dim) return i;
  switch (mode) {
    case PadMode::kConstant: return -1;
    case PadMode::kEdge: return i < 0 ? 0 : dim - 1;
    case PadMode::kWrap: return ((i % dim) + dim) % dim;
    case PadMode::kReflect: {
      if (dim == 1) return 0;
      const int64_t period = 2 * (dim - 1);
      const int64_t m = ((i % period) + period) % period;
      return m < dim ? m : period - m;
    }
  }
  return -1;
}

struct PadState {
  PadMode mode = PadMode::kConstant;
  bool from_inputs = false;
  std::vector<int64_t> attr_pads;
  float attr_value = 0;
};

// The fill value as a one-element tensor of x's dtype (zero-filled = the default).
Result<Tensor> pad_value(const PadState& st, const KernelContext& ctx, DType dtype) {
  if (st.from_inputs && ctx.has_input(2)) {
    const Tensor& v = ctx.input(2);
    if (v.dtype() != dtype || v.num_elements() != 1) {
      return invalid_argument(str_cat("constant_value (input 2) must be one ", dtype_name(dtype), " value"));
    }
    return v;
  }
  EDGE_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dtype, {1}));
  if (st.attr_value != 0) {
    EDGE_RETURN_IF_ERROR((dispatch<EDGE_NUMBER_TYPES, Float16, BFloat16>(dtype, "input 0", [&](auto tag) {
      t.mutable_data<decltype(tag)>()[0] = static_cast<decltype(tag)>(st.attr_value);
    })));
  }
  return t;
}

// Pads (opset 11+) may name a subset of axes (opset 18); expands them to all axes.
Result<std::vector<int64_t>> full_pads(const PadState& st, const KernelContext& ctx, int64_t rank) {
  std::vector<int64_t> pads = st.attr_pads;
  if (st.from_inputs) { EDGE_ASSIGN_OR_RETURN(pads, read_index_input(ctx.input(1), "pads (input 1)")); }
  std::vector<int64_t> axes(static_cast<size_t>(rank));
  std::iota(axes.begin(), axes.end(), 0);
  if (st.from_inputs && ctx.has_input(3)) {
    EDGE_ASSIGN_OR_RETURN(axes, read_index_input(ctx.input(3), "axes (input 3)"));
    EDGE_ASSIGN_OR_RETURN(axes, normalize_axes(axes, rank));
  }
  if (pads.size() != 2 * axes.size()) {
    return invalid_argument(str_cat("pads has ", pads.size(), " entries, expected ", 2 * axes.size()));
  }
  std::vector<int64_t> full(2 * static_cast<size_t>(rank), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    full[static_cast<size_t>(axes[i])] = pads[i];
    full[static_cast<size_t>(axes[i] + rank)] = pads[i + axes.size()];
  }
  return full;
}

Status run_pad(const PadState& st, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const auto rank = static_cast<int64_t>(x.rank());
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> pads, full_pads(st, ctx, rank));
  Dims dims(x.rank());
  for (size_t i = 0; i < x.rank(); ++i) {
    const int64_t before = pads[i], after = pads[i + x.rank()];
    if (__builtin_add_overflow(x.dim(i), before, &dims[i]) || __builtin_add_overflow(dims[i], after, &dims[i]) ||
        dims[i] < 0) {
      return invalid_argument(
          str_cat("pads ", dims_to_string(pads), " are invalid for shape ", dims_to_string(x.dims())));
    }
    if (st.mode != PadMode::kConstant && x.dim(i) == 0 && dims[i] > 0) {
      return invalid_argument(str_cat("cannot pad the empty axis ", i, " in a non-constant mode"));
    }
  }
  EDGE_ASSIGN_OR_RETURN(Tensor value, pad_value(st, ctx, x.dtype()));
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), dims));
  if (y->num_elements() == 0) return Status::ok();
  // Every output dim is now bounded by the (allocated) element count, so the maps are too.
  std::vector<std::vector<int64_t>> maps(x.rank());
  for (size_t i = 0; i < x.rank(); ++i) {
    for (int64_t o = 0; o < dims[i]; ++o) maps[i].push_back(pad_source(o, pads[i], x.dim(i), st.mode));
  }
  const std::vector<int64_t> strides = contiguous_strides(x.dims());
  std::vector<int64_t> idx(x.rank(), 0);
  with_mover(x, *y, [&](auto move) {
    with_mover(value, *y, [&](auto fill) {
      for (int64_t n = 0; n < y->num_elements(); ++n) {
        int64_t src = 0;
        for (size_t d = 0; d < idx.size() && src >= 0; ++d) {
          const int64_t s = maps[d][static_cast<size_t>(idx[d])];
          src = s < 0 ? -1 : src + s * strides[d];
        }
        if (src >= 0) move(n, src);
        else fill(n, 0);
        for (size_t d = idx.size(); d-- > 0 && ++idx[d] == dims[d];) idx[d] = 0;
      }
    });
  });
  return Status::ok();
}

Result<std::unique_ptr<Kernel>> make_pad(const Node& node) {
  PadState s;
  s.from_inputs = node.opset >= 11;
  EDGE_RETURN_IF_ERROR(check_arity(node, s.from_inputs ? 2 : 1, s.from_inputs ? 4 : 1));
  EDGE_ASSIGN_OR_RETURN(std::string mode, node.attr_string("mode", "constant"));
  if (mode == "constant") s.mode = PadMode::kConstant;
  else if (mode == "reflect") s.mode = PadMode::kReflect;
  else if (mode == "edge") s.mode = PadMode::kEdge;
  else if (mode == "wrap") s.mode = PadMode::kWrap;
  else return invalid_argument(str_cat(node.describe(), ": unknown pad mode '", mode, "'"));
  if (!s.from_inputs) {
    EDGE_ASSIGN_OR_RETURN(s.attr_pads, node.attr_ints(node.opset < 2 ? "paddings" : "pads"));
    EDGE_ASSIGN_OR_RETURN(s.attr_value, node.attr_float("value", 0.0f));
  }
  return make_kernel(s, run_pad);
}

// DepthToSpace/SpaceToDepth: a 6-D view of the input, permuted. `view` gives the input's 6-D
// dims and `perm` the view axes in output order.
Status permuted_copy(KernelContext& ctx, const Dims& view, const std::array<size_t, 6>& perm, const Dims& out) {
  const Tensor& x = ctx.input(0);
  const std::vector<int64_t> s = contiguous_strides(view);
  Dims dims(6);
  std::vector<int64_t> strides(6);
  for (size_t i = 0; i < 6; ++i) {
    dims[i] = view[perm[i]];
    strides[i] = s[perm[i]];
  }
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), out));
  strided_copy(x, 0, dims, strides, *y);
  return Status::ok();
}

Result<int64_t> block_size(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  EDGE_ASSIGN_OR_RETURN(int64_t b, node.attr_int("blocksize"));
  // Bounded so that bs * bs cannot overflow.
  if (b <= 0 || b > (int64_t{1} << 20)) return invalid_argument(str_cat(node.describe(), ": invalid blocksize ", b));
  return b;
}

Result<std::unique_ptr<Kernel>> make_depth_to_space(const Node& node) {
  EDGE_ASSIGN_OR_RETURN(int64_t b, block_size(node));
  EDGE_ASSIGN_OR_RETURN(std::string mode, node.attr_string("mode", "DCR"));
  if (mode != "DCR" && mode != "CRD") return invalid_argument(str_cat(node.describe(), ": unknown mode '", mode, "'"));
  return make_kernel(std::pair(b, mode == "CRD"), [](const std::pair<int64_t, bool>& st, KernelContext& ctx) {
    const auto [bs, crd] = st;
    const Tensor& x = ctx.input(0);
    if (x.rank() != 4 || x.dim(1) % (bs * bs) != 0) {
      return invalid_argument(
          str_cat("input 0 of shape ", dims_to_string(x.dims()), " is not [N, C, H, W] with C divisible by ", bs * bs));
    }
    const int64_t n = x.dim(0), c = x.dim(1) / (bs * bs), h = x.dim(2), w = x.dim(3);
    Dims out = {n, c, 0, 0};
    if (__builtin_mul_overflow(h, bs, &out[2]) || __builtin_mul_overflow(w, bs, &out[3])) {
      return resource_exhausted("output shape overflows");
    }
    // Output order: N, C', H, b1, W, b2.
    if (crd) return permuted_copy(ctx, {n, c, bs, bs, h, w}, {0, 1, 4, 2, 5, 3}, out);
    return permuted_copy(ctx, {n, bs, bs, c, h, w}, {0, 3, 4, 1, 5, 2}, out);
  });
}

Result<std::unique_ptr<Kernel>> make_space_to_depth(const Node& node) {
  EDGE_ASSIGN_OR_RETURN(int64_t b, block_size(node));
  return make_kernel(b, [](int64_t bs, KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    if (x.rank() != 4 || x.dim(2) % bs != 0 || x.dim(3) % bs != 0) {
      return invalid_argument(str_cat("input 0 of shape ", dims_to_string(x.dims()),
                                      " is not [N, C, H, W] with H and W divisible by ", bs));
    }
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2) / bs, w = x.dim(3) / bs;
    int64_t depth = 0;
    if (__builtin_mul_overflow(c, bs * bs, &depth)) return resource_exhausted("output shape overflows");
    // View [N, C, H', b1, W', b2] → output order N, b1, b2, C, H', W'.
    return permuted_copy(ctx, {n, c, h, bs, w, bs}, {0, 3, 5, 1, 2, 4}, {n, depth, h, w});
  });
}

}  // namespace

std::vector<KernelEntry> layout_kernels() {
  return {
      {"Transpose", make_transpose, HalfMode::kNative},
      {"Expand", make_expand, HalfMode::kNative},
      {"Tile", make_tile, HalfMode::kNative, "", 6},
      {"Pad", make_pad, HalfMode::kNative},
      {"DepthToSpace", make_depth_to_space, HalfMode::kNative},
      {"SpaceToDepth", make_space_to_depth, HalfMode::kNative},
  };
}

}  // namespace edgeserve::ref
