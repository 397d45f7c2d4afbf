// memcpy for fixed-size elements, std::copy for strings.
#include "engine/ops/tensor_copy.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace edgeserve {

void copy_elements(const Tensor& src, int64_t from, Tensor& dst, int64_t to, int64_t count) {
  if (src.dtype() == DType::kString) {
    const std::string* s = src.data<std::string>() + from;
    std::copy(s, s + count, dst.mutable_data<std::string>() + to);
    return;
  }
  const size_t es = dtype_size(src.dtype());
  std::memcpy(static_cast<char*>(dst.mutable_raw_data()) + to * es,
              static_cast<const char*>(src.raw_data()) + from * es, static_cast<size_t>(count) * es);
}

int64_t dims_product(const Dims& dims, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= dims[i];
  return p;
}

}  // namespace edgeserve
