// Element-range copies between tensors of one dtype, strings included: the inner loop of ops
// that cut tensors along an axis or join them (SplitToSequence, ConcatFromSequence, Loop/Scan
// slicing and stacking).
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/ir/tensor.h"

namespace edgeserve {

// Copies `count` elements from element offset `from` of src to element offset `to` of dst.
// Preconditions: same dtype, both ranges in bounds (checked by the caller).
void copy_elements(const Tensor& src, int64_t from, Tensor& dst, int64_t to, int64_t count);
// Product of dims[begin, end).
int64_t dims_product(const Dims& dims, size_t begin, size_t end);

}  // namespace edgeserve
