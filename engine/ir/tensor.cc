// Tensor allocation with bounds.
#include "engine/ir/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "common/aligned_buffer.h"
#include "common/strings.h"

namespace edgeserve {

namespace {

std::shared_ptr<void> allocate_bytes(size_t bytes, bool zero) { return aligned_buffer(bytes, zero); }

std::shared_ptr<void> allocate_strings(int64_t n) {
  auto* p = new (std::nothrow) std::string[static_cast<size_t>(n == 0 ? 1 : n)];
  if (p == nullptr) return nullptr;
  return std::shared_ptr<void>(p, [](void* q) { delete[] static_cast<std::string*>(q); });
}
}  // namespace

Result<int64_t> checked_num_elements(const Dims& dims, int64_t max_elements) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return invalid_argument(str_cat("negative dimension in ", dims_to_string(dims)));
    if (d != 0 && n > max_elements / d) {
      return resource_exhausted(str_cat("shape ", dims_to_string(dims), " has too many elements"));
    }
    n *= d;
  }
  return n;
}

Result<Tensor> Tensor::allocate_impl(DType dtype, const Dims& dims, int64_t max_bytes, bool zero) {
  if (dtype == DType::kUndefined) return invalid_argument("cannot allocate a tensor of undefined type");
  const int64_t elem = dtype == DType::kString ? static_cast<int64_t>(sizeof(std::string)) : static_cast<int64_t>(dtype_size(dtype));
  EDGE_ASSIGN_OR_RETURN(int64_t n, checked_num_elements(dims));
  if (n > max_bytes / elem) {
    return resource_exhausted(str_cat("tensor of ", dtype_name(dtype), dims_to_string(dims), " needs more than the ",
                                      max_bytes, "-byte limit per tensor"));
  }
  Tensor t;
  t.dtype_ = dtype;
  t.dims_ = dims;
  t.num_elements_ = n;
  t.buffer_ = dtype == DType::kString ? allocate_strings(n) : allocate_bytes(static_cast<size_t>(n * elem), zero);
  if (!t.buffer_) return resource_exhausted(str_cat("out of memory allocating ", dims_to_string(dims)));
  return t;
}

Result<Tensor> Tensor::allocate(DType dtype, const Dims& dims, int64_t max_bytes) {
  return allocate_impl(dtype, dims, max_bytes, /*zero=*/true);
}

Result<Tensor> Tensor::allocate_uninitialized(DType dtype, const Dims& dims, int64_t max_bytes) {
  return allocate_impl(dtype, dims, max_bytes, /*zero=*/dtype == DType::kString);
}

Tensor Tensor::sequence(DType elem_dtype, std::vector<Tensor> items) {
  Tensor t;
  t.dtype_ = elem_dtype;
  t.items_ = std::make_shared<const std::vector<Tensor>>(std::move(items));
  return t;
}

Tensor Tensor::none(DType elem_dtype) {
  Tensor t;
  t.dtype_ = elem_dtype;
  t.none_ = true;
  return t;
}

Tensor Tensor::reshaped(const Dims& dims) const {
  Tensor t = *this;
  t.dims_ = dims;
  return t;
}

Tensor Tensor::clone() const {
  if (is_container()) return *this;  // elements are immutable once built
  Tensor t = allocate(dtype_, dims_, INT64_MAX).value();
  if (dtype_ == DType::kString) {
    for (int64_t i = 0; i < num_elements_; ++i) t.mutable_data<std::string>()[i] = data<std::string>()[i];
  } else if (byte_size() > 0) {
    std::memcpy(t.mutable_raw_data(), raw_data(), byte_size());
  }
  return t;
}

}  // namespace edgeserve
