// Byte-wise slicing and stacking; strings are copied element by element.
#include "engine/runtime/tensor_stacking.h"

#include <algorithm>
#include <cstring>

#include "common/strings.h"
#include "engine/ops/tensor_copy.h"

namespace edgeserve {

Result<Tensor> slice_along(const Tensor& x, size_t axis, int64_t index) {
  Dims dims = x.dims();
  const int64_t n = dims[axis];
  const int64_t outer = dims_product(dims, 0, axis);
  const int64_t inner = dims_product(dims, axis + 1, dims.size());
  dims.erase(dims.begin() + static_cast<std::ptrdiff_t>(axis));
  EDGE_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(x.dtype(), dims, INT64_MAX));
  for (int64_t o = 0; o < outer; ++o) copy_elements(x, (o * n + index) * inner, out, o * inner, inner);
  return out;
}

Result<Tensor> stack_along(const std::vector<Tensor>& items, size_t axis, int64_t max_bytes) {
  const Tensor& first = items.front();
  Dims dims = first.dims();
  if (axis > dims.size()) return invalid_argument(str_cat("stacking axis ", axis, " is out of range"));
  const int64_t outer = dims_product(dims, 0, axis);
  const int64_t inner = dims_product(dims, axis, dims.size());
  const int64_t n = static_cast<int64_t>(items.size());
  dims.insert(dims.begin() + static_cast<std::ptrdiff_t>(axis), n);
  EDGE_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(first.dtype(), dims, max_bytes));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t o = 0; o < outer; ++o) copy_elements(items[i], o * inner, out, (o * n + i) * inner, inner);
  }
  return out;
}

Status StackBuilder::append(const std::vector<Tensor>& values, size_t first) {
  for (size_t k = 0; k < items_.size(); ++k) {
    const Tensor& v = values[first + k];
    if (v.is_container()) return unimplemented(str_cat("scan output ", k, " is a sequence or optional"));
    auto& list = items_[k];
    if (!list.empty() && (v.dtype() != list[0].dtype() || v.dims() != list[0].dims())) {
      return invalid_argument(str_cat("scan output ", k, " is ", dtype_name(v.dtype()), dims_to_string(v.dims()),
                                      ", earlier iterations gave ", dtype_name(list[0].dtype()),
                                      dims_to_string(list[0].dims())));
    }
    bytes_ += std::max<int64_t>(static_cast<int64_t>(v.byte_size()), v.num_elements());
    if (bytes_ > max_bytes_) {
      return resource_exhausted(str_cat("scan outputs exceed the ", max_bytes_, "-byte tensor limit"));
    }
    list.push_back(v);
  }
  return Status::ok();
}

Result<std::vector<Tensor>> StackBuilder::finish(const Graph& body, size_t first, const std::vector<int64_t>& axes,
                                                 const std::vector<bool>& reverse) {
  std::vector<Tensor> out;
  for (size_t k = 0; k < items_.size(); ++k) {
    auto& list = items_[k];
    if (list.empty()) {
      const TensorType& type = body.outputs[first + k]->type;
      Dims dims = {0};
      if (type.dims && std::all_of(type.dims->begin(), type.dims->end(), [](const Dim& d) { return d.is_known(); })) {
        for (const Dim& d : *type.dims) dims.push_back(d.value);
      }
      EDGE_ASSIGN_OR_RETURN(Tensor empty, Tensor::allocate(type.dtype == DType::kUndefined ? DType::kFloat32 : type.dtype,
                                                           dims, max_bytes_));
      out.push_back(std::move(empty));
      continue;
    }
    if (k < reverse.size() && reverse[k]) std::reverse(list.begin(), list.end());
    int64_t axis = axes.empty() ? 0 : axes[k];
    if (axis < 0) axis += static_cast<int64_t>(list[0].rank()) + 1;
    if (axis < 0) return invalid_argument(str_cat("scan output axis ", axes[k], " is out of range"));
    EDGE_ASSIGN_OR_RETURN(Tensor stacked, stack_along(list, static_cast<size_t>(axis), max_bytes_));
    out.push_back(std::move(stacked));
  }
  return out;
}

}  // namespace edgeserve
