// Tensor: a dtype, dims and a reference-counted, 64-byte aligned buffer. Copies are shallow
// (they share the buffer), which lets Reshape/Identity alias their input. Kernels only ever
// write into tensors they allocated themselves, so a shared buffer is never written twice.
// Not thread-safe for writing; concurrent reads of a shared buffer are fine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/ir/dtype.h"

namespace edgeserve {

using Dims = std::vector<int64_t>;

// Default per-tensor allocation bound (bytes). A model or request that asks for more gets a
// RESOURCE_EXHAUSTED Status instead of an out-of-memory kill.
inline constexpr int64_t kDefaultMaxTensorBytes = int64_t{4} << 30;

// Product of dims, or an error if a dim is negative or the product exceeds `max_elements`.
Result<int64_t> checked_num_elements(const Dims& dims, int64_t max_elements = INT64_MAX / 16);

class Tensor {
 public:
  Tensor() = default;

  // A zero-filled tensor. Fails on negative dims, overflow or more than max_bytes.
  static Result<Tensor> allocate(DType dtype, const Dims& dims, int64_t max_bytes = kDefaultMaxTensorBytes);
  // Same without zero-filling the bytes: only for a caller that overwrites every byte before the
  // tensor is read, or drops it (model import: 100 MB of weights need not be written twice).
  // Not for strings.
  static Result<Tensor> allocate_uninitialized(DType dtype, const Dims& dims,
                                               int64_t max_bytes = kDefaultMaxTensorBytes);

  template <typename T>
  static Tensor from_vector(const Dims& dims, const std::vector<T>& values);
  template <typename T>
  static Tensor scalar(T value) { return from_vector<T>({}, {value}); }

  bool defined() const { return dtype_ != DType::kUndefined || is_container(); }
  DType dtype() const { return dtype_; }
  const Dims& dims() const { return dims_; }
  size_t rank() const { return dims_.size(); }
  int64_t dim(size_t i) const { return dims_[i]; }
  int64_t num_elements() const { return num_elements_; }
  // Bytes of element storage; 0 for string tensors.
  size_t byte_size() const { return static_cast<size_t>(num_elements_) * dtype_size(dtype_); }

  template <typename T>
  const T* data() const { return static_cast<const T*>(buffer_.get()); }
  template <typename T>
  T* mutable_data() { return static_cast<T*>(buffer_.get()); }
  const void* raw_data() const { return buffer_.get(); }
  void* mutable_raw_data() { return buffer_.get(); }

  // ONNX sequence and optional values travel through the same slots as tensors, so that the
  // executor, the run API and the kernels keep one value type. A sequence holds its element
  // tensors (all of dtype `elem_dtype`); an empty optional holds nothing; a present optional is
  // simply its value. Only the ops that take sequences or optionals ever see these: the executor
  // refuses them as inputs of any other op. dims() is empty and num_elements() 0 for both.
  static Tensor sequence(DType elem_dtype, std::vector<Tensor> items);
  static Tensor none(DType elem_dtype);
  bool is_sequence() const { return items_ != nullptr; }
  bool is_none() const { return none_; }
  bool is_container() const { return is_sequence() || is_none(); }
  // Precondition: is_sequence().
  const std::vector<Tensor>& items() const { return *items_; }

  // Same buffer, new dims with the same element count (checked by the caller).
  Tensor reshaped(const Dims& dims) const;
  // A deep copy with its own buffer.
  Tensor clone() const;

 private:
  static Result<Tensor> allocate_impl(DType dtype, const Dims& dims, int64_t max_bytes, bool zero);
  DType dtype_ = DType::kUndefined;
  Dims dims_;
  int64_t num_elements_ = 0;
  std::shared_ptr<void> buffer_;  // element storage; std::string[] for kString
  std::shared_ptr<const std::vector<Tensor>> items_;  // set for sequences only
  bool none_ = false;                                 // an empty optional
};

// A tensor with the name it is bound to (a model input or output).
struct NamedTensor {
  std::string name;
  Tensor tensor;
};

template <typename T>
Tensor Tensor::from_vector(const Dims& dims, const std::vector<T>& values) {
  Tensor t = allocate(dtype_of<T>, dims).value();
  T* out = t.mutable_data<T>();
  for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t.num_elements(); ++i) out[i] = values[i];
  return t;
}

}  // namespace edgeserve
