// Slice and Transpose as oneDNN reorders from a strided view of the (plain) input: the view's
// strides and offset encode the slice steps or the permutation, and oneDNN's reorder does the
// gather with vector loads where it can. Axes, starts, ends, steps and perm must be constants.
#include <algorithm>
#include <numeric>

#include "common/strings.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/scratchpad.h"
#include "engine/ops/shape_util.h"

namespace edgeserve::cpu {

namespace {

using dnnl::memory;

bool all_constant_after_data(const Node& node) {
  for (size_t i = 1; i < node.inputs.size(); ++i) {
    if (node.has_input(i) && !is_constant_input(node, i)) return false;
  }
  return true;
}

bool claims_slice(const Node& node) {
  if (node.opset < 10 || static_rank(node.inputs[0]) < 1 || !float32_io(node, {1, 2, 3, 4})) return false;
  if (!all_constant_after_data(node)) return false;
  if (node.has_input(4)) {
    auto steps = read_int_values(*node.inputs[4]->constant);
    if (!steps.is_ok()) return false;
    for (int64_t s : steps.value()) if (s <= 0) return false;  // negative steps stay on the reference
  }
  return true;
}

Status copy_view_to_output(const Node& node, ProgramBuilder& b, int view) {
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(plain_md(b.md(view).dims()), node));
  dnnl::reorder::primitive_desc pd(b.engine(), b.md(view), b.engine(), b.md(dst), user_scratchpad());
  b.add_step(dnnl::reorder(pd), {{DNNL_ARG_FROM, view}, {DNNL_ARG_TO, dst}}, node);
  b.define(node.outputs[0], dst);
  return Status::ok();
}

Status build_slice(const Node& node, ProgramBuilder& b) {
  const memory::dims in = b.dims_of(node.inputs[0]);
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> starts, read_int_values(*node.inputs[1]->constant));
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> ends, read_int_values(*node.inputs[2]->constant));
  std::vector<int64_t> axes(starts.size()), steps(starts.size(), 1);
  std::iota(axes.begin(), axes.end(), int64_t{0});
  if (node.has_input(3)) { EDGE_ASSIGN_OR_RETURN(axes, read_int_values(*node.inputs[3]->constant)); }
  if (node.has_input(4)) { EDGE_ASSIGN_OR_RETURN(steps, read_int_values(*node.inputs[4]->constant)); }
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
    return invalid_argument(str_cat(node.describe(), ": starts, ends, axes and steps must have the same length"));
  }
  EDGE_ASSIGN_OR_RETURN(axes, normalize_axes(axes, static_cast<int64_t>(in.size())));
  const std::vector<int64_t> in_strides = contiguous_strides(Dims(in.begin(), in.end()));
  memory::dims dims = in;
  memory::dims strides(in_strides.begin(), in_strides.end());
  int64_t offset = 0;
  for (size_t i = 0; i < axes.size(); ++i) {
    const auto ax = static_cast<size_t>(axes[i]);
    const auto [start, count] = clamp_slice(starts[i], ends[i], steps[i], in[ax]);
    dims[ax] = count;
    offset += count > 0 ? start * in_strides[ax] : 0;
    strides[ax] = in_strides[ax] * std::min<int64_t>(steps[i], in[ax] + 1);
  }
  if (std::count(dims.begin(), dims.end(), 0) > 0) {  // an empty result: nothing to copy
    EDGE_ASSIGN_OR_RETURN(int empty, b.new_slot(plain_md(dims), node));
    b.define(node.outputs[0], empty);
    return Status::ok();
  }
  EDGE_ASSIGN_OR_RETURN(int plain, b.plain_slot(node.inputs[0], node));
  return copy_view_to_output(node, b, b.strided_view(plain, dims, strides, offset));
}

bool claims_transpose(const Node& node) {
  return static_rank(node.inputs[0]) >= 1 && float32_io(node) && node.num_present_inputs() == 1;
}

Status build_transpose(const Node& node, ProgramBuilder& b) {
  const memory::dims in = b.dims_of(node.inputs[0]);
  const auto rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> perm(in.size());
  for (int64_t i = 0; i < rank; ++i) perm[i] = rank - 1 - i;  // default: reverse
  if (node.has_attr("perm")) { EDGE_ASSIGN_OR_RETURN(perm, node.attr_ints("perm")); }
  if (static_cast<int64_t>(perm.size()) != rank) {
    return invalid_argument(str_cat(node.describe(), ": perm has ", perm.size(), " entries for rank ", rank));
  }
  EDGE_ASSIGN_OR_RETURN(perm, normalize_axes(perm, rank));
  const std::vector<int64_t> in_strides = contiguous_strides(Dims(in.begin(), in.end()));
  memory::dims dims, strides;
  for (int64_t p : perm) {
    dims.push_back(in[p]);
    strides.push_back(in_strides[p]);
  }
  EDGE_ASSIGN_OR_RETURN(int plain, b.plain_slot(node.inputs[0], node));
  return copy_view_to_output(node, b, b.strided_view(plain, dims, strides, 0));
}

}  // namespace

std::vector<CpuOp> layout_ops() {
  return {CpuOp{"Slice", claims_slice, build_slice, "", 10}, CpuOp{"Transpose", claims_transpose, build_transpose}};
}

}  // namespace edgeserve::cpu
