// SplitToSequence and ConcatFromSequence: a tensor cut along an axis into a sequence, and back.
#include <algorithm>
#include <cstring>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"
#include "engine/ops/tensor_copy.h"

namespace edgeserve::ref {

namespace {

// Elements [start, start + len) of x along `axis`.
Result<Tensor> slice_range(const Tensor& x, size_t axis, int64_t start, int64_t len, int64_t max_bytes) {
  Dims dims = x.dims();
  const int64_t n = dims[axis];
  const int64_t outer = dims_product(dims, 0, axis);
  const int64_t inner = dims_product(dims, axis + 1, dims.size());
  dims[axis] = len;
  EDGE_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(x.dtype(), dims, max_bytes));
  for (int64_t o = 0; o < outer; ++o) copy_elements(x, (o * n + start) * inner, out, o * len * inner, len * inner);
  return out;
}

// Chunk lengths along the axis: from the `split` input (a scalar chunk size or one length per
// chunk), or 1 each without it.
Result<std::vector<int64_t>> chunk_lengths(const KernelContext& ctx, int64_t dim) {
  std::vector<int64_t> lens;
  if (!ctx.has_input(1)) return std::vector<int64_t>(static_cast<size_t>(dim), 1);
  const Tensor& split = ctx.input(1);
  if (split.dtype() != DType::kInt64 && split.dtype() != DType::kInt32) return invalid_argument("'split' must be int32 or int64");
  if (split.rank() > 1) return invalid_argument("'split' must be a scalar or 1-D");
  for (int64_t i = 0; i < split.num_elements(); ++i) {
    lens.push_back(split.dtype() == DType::kInt64 ? split.data<int64_t>()[i] : split.data<int32_t>()[i]);
  }
  if (split.rank() == 0) {
    const int64_t size = lens.at(0);
    if (size <= 0) return invalid_argument(str_cat("'split' chunk size ", size, " must be positive"));
    lens.clear();
    for (int64_t at = 0; at < dim; at += size) lens.push_back(std::min(size, dim - at));
    return lens;
  }
  int64_t total = 0;
  for (int64_t l : lens) {
    if (l < 0) return invalid_argument(str_cat("'split' length ", l, " is negative"));
    // Compared before adding, so that huge lengths cannot wrap the sum around to `dim`.
    if (l > dim - total) return invalid_argument(str_cat("'split' lengths sum to more than the axis size ", dim));
    total += l;
  }
  if (total != dim) return invalid_argument(str_cat("'split' lengths sum to ", total, ", the axis has ", dim));
  return lens;
}

struct SplitAttrs {
  int64_t axis = 0;
  bool keepdims = true;
};

Status run_split(const SplitAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  EDGE_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(a.axis, static_cast<int64_t>(x.rank())));
  const size_t ax = static_cast<size_t>(axis);
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> lens, chunk_lengths(ctx, x.dim(ax)));
  std::vector<Tensor> items;
  int64_t start = 0;
  for (int64_t len : lens) {
    EDGE_ASSIGN_OR_RETURN(Tensor chunk, slice_range(x, ax, start, len, ctx.max_tensor_bytes()));
    if (!a.keepdims && !ctx.has_input(1)) {
      Dims d = chunk.dims();
      d.erase(d.begin() + axis);
      chunk = chunk.reshaped(d);
    }
    items.push_back(std::move(chunk));
    start += len;
  }
  ctx.set_output(0, Tensor::sequence(x.dtype(), std::move(items)));
  return Status::ok();
}

struct ConcatAttrs {
  int64_t axis = 0;
  bool new_axis = false;
};

Status run_concat(const ConcatAttrs& a, KernelContext& ctx) {
  if (!ctx.input(0).is_sequence()) return invalid_argument("input 0 must be a sequence");
  std::vector<Tensor> items = ctx.input(0).items();
  if (items.empty()) return invalid_argument("cannot concatenate an empty sequence");
  const int64_t rank = static_cast<int64_t>(items[0].rank()) + (a.new_axis ? 1 : 0);
  EDGE_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(a.axis, rank));
  const size_t ax = static_cast<size_t>(axis);
  Dims out_dims;
  for (Tensor& t : items) {
    if (a.new_axis) {
      Dims d = t.dims();
      d.insert(d.begin() + axis, 1);
      t = t.reshaped(d);
    }
    if (t.dtype() != items[0].dtype() || t.rank() != static_cast<size_t>(rank)) {
      return invalid_argument("sequence elements differ in dtype or rank");
    }
    if (out_dims.empty()) {
      out_dims = t.dims();
      out_dims[ax] = 0;
    }
    for (size_t d = 0; d < t.rank(); ++d) {
      if (d != ax && t.dim(d) != out_dims[d]) return invalid_argument(str_cat("sequence elements differ at dim ", d));
    }
    out_dims[ax] += t.dim(ax);
  }
  EDGE_ASSIGN_OR_RETURN(Tensor* y, ctx.allocate_output(0, items[0].dtype(), out_dims));
  const int64_t outer = dims_product(out_dims, 0, ax);
  const int64_t inner = dims_product(out_dims, ax + 1, out_dims.size());
  int64_t offset = 0;
  for (const Tensor& t : items) {
    const int64_t block = t.dim(ax) * inner;
    for (int64_t o = 0; o < outer; ++o) copy_elements(t, o * block, *y, o * out_dims[ax] * inner + offset, block);
    offset += block;
  }
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_split_to_sequence(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 2));
  SplitAttrs a;
  EDGE_ASSIGN_OR_RETURN(a.axis, node.attr_int("axis", 0));
  EDGE_ASSIGN_OR_RETURN(int64_t keep, node.attr_int("keepdims", 1));
  a.keepdims = keep != 0;
  return make_kernel(a, run_split);
}

Result<std::unique_ptr<Kernel>> make_concat_from_sequence(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  ConcatAttrs a;
  EDGE_ASSIGN_OR_RETURN(a.axis, node.attr_int("axis"));
  EDGE_ASSIGN_OR_RETURN(int64_t new_axis, node.attr_int("new_axis", 0));
  a.new_axis = new_axis != 0;
  return make_kernel(a, run_concat);
}

}  // namespace edgeserve::ref
