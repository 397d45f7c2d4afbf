// Shared kernel checks.
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

Status check_arity(const Node& node, size_t n_required, size_t n_max, size_t n_outputs) {
  for (size_t i = 0; i < n_required; ++i) {
    if (!node.has_input(i)) return invalid_argument(str_cat(node.describe(), ": required input ", i, " is missing"));
  }
  if (node.inputs.size() > n_max) {
    return invalid_argument(str_cat(node.describe(), ": has ", node.inputs.size(), " inputs, at most ", n_max, " allowed"));
  }
  if (node.outputs.size() < n_outputs || (n_outputs > 0 && node.outputs[0] == nullptr)) {
    return invalid_argument(str_cat(node.describe(), ": needs ", n_outputs, " output(s)"));
  }
  return Status::ok();
}

Status check_dims_bounded(const Tensor& t, const char* what) {
  Dims dims = t.dims();
  for (int64_t& d : dims) d = d == 0 ? 1 : d;
  if (!checked_num_elements(dims).is_ok()) return invalid_argument(str_cat(what, " has too many elements in its dims"));
  return Status::ok();
}

Status check_same_dtype(const KernelContext& ctx, size_t a, size_t b) {
  if (ctx.input(a).dtype() != ctx.input(b).dtype()) {
    return invalid_argument(str_cat("inputs ", a, " and ", b, " have different types (", dtype_name(ctx.input(a).dtype()),
                                    " vs ", dtype_name(ctx.input(b).dtype()), ")"));
  }
  return Status::ok();
}

}  // namespace edgeserve::ref
