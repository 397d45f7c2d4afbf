// Runs a float32 kernel on float16/bfloat16 tensors: widens half inputs to float32, runs, and
// narrows float32 outputs back to the half type. Results match a native half kernel to within
// half precision, which is what the ONNX reference outputs for fp16 models assume.
#pragma once

#include <memory>

#include "engine/ep/kernel.h"

namespace edgeserve::ref {

std::unique_ptr<Kernel> wrap_half_as_float(std::unique_ptr<Kernel> inner);

// Element conversions between any two numeric dtypes with ONNX Cast semantics for
// float -> integer (truncation toward zero) and to bool (non-zero).
Status convert_tensor(const Tensor& in, Tensor* out);

}  // namespace edgeserve::ref
