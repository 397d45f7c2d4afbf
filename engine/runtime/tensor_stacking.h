// Slicing a tensor along an axis and stacking tensors along a new one: how Loop and Scan turn
// per-iteration values into whole outputs and back.
#pragma once

#include <vector>

#include "common/status.h"
#include "engine/ir/graph.h"
#include "engine/ir/tensor.h"

namespace edgeserve {

// x with `axis` removed, at position `index` along it. Preconditions: 0 <= axis < rank and
// 0 <= index < dim(axis), checked by the caller.
Result<Tensor> slice_along(const Tensor& x, size_t axis, int64_t index);
// The items (same dtype and dims, at least one) stacked along a new dim at `axis` (0..rank).
Result<Tensor> stack_along(const std::vector<Tensor>& items, size_t axis, int64_t max_bytes);

// Collects per-iteration values for `count` outputs, bounding the bytes held in all.
class StackBuilder {
 public:
  StackBuilder(size_t count, int64_t max_bytes) : items_(count), max_bytes_(max_bytes) {}
  // Appends values[first + k] to output k; every iteration must give the same dtype and dims.
  Status append(const std::vector<Tensor>& values, size_t first);
  size_t iterations() const { return items_.empty() ? 0 : items_[0].size(); }
  // Output k stacked along axes[k] (0 when axes is empty), in reverse order where reverse[k].
  // With no iterations, output k is empty with the static element type of `body`'s output
  // first + k ([0] when its shape is unknown).
  Result<std::vector<Tensor>> finish(const Graph& body, size_t first, const std::vector<int64_t>& axes,
                                     const std::vector<bool>& reverse = {});

 private:
  std::vector<std::vector<Tensor>> items_;
  int64_t max_bytes_;
  int64_t bytes_ = 0;
};

}  // namespace edgeserve
