// Output comparison for conformance runs.
#pragma once

#include <string>

#include "edgeserve/tensor.h"

namespace edgeserve::cli {

struct Tolerance {
  double rtol = 1e-3;
  double atol = 1e-7;
  // When > 0, also allow |a - b| <= range_tol * (max(expected) - min(expected)): the
  // "within X of the output range" criterion used for whole-model checks.
  double range_tol = 0;
};

// Empty string when `actual` matches `expected` (dtype, dims, values within tolerance; NaN
// matches NaN), else a one-line description of the first mismatch and the worst difference.
std::string compare_tensors(const Tensor& expected, const Tensor& actual, const Tolerance& tol);

}  // namespace edgeserve::cli
