// KernelContext output allocation.
#include "engine/ep/kernel.h"

#include "common/strings.h"

namespace edgeserve {

Result<Tensor*> KernelContext::allocate_output(size_t i, DType dtype, const Dims& dims) {
  if (i >= outputs_->size()) return internal_error(str_cat("output index ", i, " out of range"));
  auto t = Tensor::allocate(dtype, dims, max_tensor_bytes_);
  if (!t.is_ok()) return t.status().with_context(str_cat("output ", i));
  (*outputs_)[i] = std::move(t).value();
  return &(*outputs_)[i];
}

}  // namespace edgeserve
