// Type-agnostic element movement shared by the shape, layout and gather kernel families.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

// Copies one element dst[d] = src[s]. Data-movement ops never need arithmetic, so every
// fixed-size dtype (bool, Float16, int64...) is moved by a constant-size memcpy: one template
// per element size instead of one per dtype, and no aliasing of the element type.
template <size_t N>
struct ByteMover {
  const char* src;
  char* dst;
  void operator()(int64_t d, int64_t s) const { std::memcpy(dst + d * N, src + s * N, N); }
};

struct StringMover {
  const std::string* src;
  std::string* dst;
  void operator()(int64_t d, int64_t s) const { dst[d] = src[s]; }
};

// Calls f(mover) with a mover from `src` to `dst`. Precondition: both have the same dtype.
template <typename F>
void with_mover(const Tensor& src, Tensor& dst, F&& f) {
  const auto* s = static_cast<const char*>(src.raw_data());
  auto* d = static_cast<char*>(dst.mutable_raw_data());
  switch (dtype_size(src.dtype())) {
    case 1: f(ByteMover<1>{s, d}); break;
    case 2: f(ByteMover<2>{s, d}); break;
    case 4: f(ByteMover<4>{s, d}); break;
    case 8: f(ByteMover<8>{s, d}); break;
    default: f(StringMover{src.data<std::string>(), dst.mutable_data<std::string>()}); break;
  }
}

// Writes the elements src[base + sum(idx[k] * strides[k])] for every idx over `dims`, in
// row-major order, to dst[dst_offset...]. Strides may be zero (broadcast) or negative (reversed
// slices). Precondition: every visited source offset is in range.
inline void strided_copy(const Tensor& src, int64_t base, const Dims& dims, const std::vector<int64_t>& strides,
                         Tensor& dst, int64_t dst_offset = 0) {
  const std::vector<int64_t> st[1] = {strides};
  with_mover(src, dst, [&](auto move) {
    int64_t i = dst_offset;
    for_each_broadcast<1>(dims, st, [&](int64_t off) { move(i++, base + off); });
  });
}

// Reads an int32/int64 index-like input, naming it in the error.
inline Result<std::vector<int64_t>> read_index_input(const Tensor& t, const char* what) {
  auto v = read_int_values(t);
  if (!v.is_ok()) return invalid_argument(str_cat(what, ": ", v.status().message()));
  return v;
}

}  // namespace edgeserve::ref
