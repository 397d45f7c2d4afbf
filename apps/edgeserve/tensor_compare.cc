// Tensor comparison.
#include "apps/edgeserve/tensor_compare.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/strings.h"

namespace edgeserve::cli {

namespace {

std::vector<double> as_doubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.num_elements()));
  visit_dtype<float, double, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t, bool, Float16,
              BFloat16>(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (size_t i = 0; i < v.size(); ++i) {
      if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
        v[i] = static_cast<float>(t.data<T>()[i]);
      } else {
        v[i] = static_cast<double>(t.data<T>()[i]);
      }
    }
  });
  return v;
}

}  // namespace

std::string compare_tensors(const Tensor& expected, const Tensor& actual, const Tolerance& tol) {
  if (expected.dtype() != actual.dtype()) {
    return str_cat("dtype ", dtype_name(actual.dtype()), ", expected ", dtype_name(expected.dtype()));
  }
  if (expected.dims() != actual.dims()) {
    return str_cat("shape ", dims_to_string(actual.dims()), ", expected ", dims_to_string(expected.dims()));
  }
  if (expected.dtype() == DType::kString) {
    for (int64_t i = 0; i < expected.num_elements(); ++i) {
      if (expected.data<std::string>()[i] != actual.data<std::string>()[i]) {
        return str_cat("string mismatch at element ", i);
      }
    }
    return "";
  }
  const std::vector<double> e = as_doubles(expected);
  const std::vector<double> a = as_doubles(actual);
  double range = 0;
  if (tol.range_tol > 0 && !e.empty()) {
    const auto [lo, hi] = std::minmax_element(e.begin(), e.end());
    range = *hi - *lo;
  }
  int64_t bad = 0;
  int64_t first_bad = -1;
  double worst = 0;
  for (size_t i = 0; i < e.size(); ++i) {
    if (std::isnan(e[i]) && std::isnan(a[i])) continue;
    if (e[i] == a[i]) continue;  // also equal infinities
    const double diff = std::abs(e[i] - a[i]);
    const bool ok = diff <= tol.atol + tol.rtol * std::abs(e[i]) || (range > 0 && diff <= tol.range_tol * range);
    if (std::isnan(diff) || !ok) {
      if (first_bad < 0) first_bad = static_cast<int64_t>(i);
      ++bad;
    }
    if (!std::isnan(diff)) worst = std::max(worst, diff);
  }
  if (bad == 0) return "";
  return str_cat(bad, " of ", e.size(), " values differ; first at ", first_bad, ": got ", a[first_bad], ", expected ",
                 e[first_bad], "; max abs diff ", worst);
}

}  // namespace edgeserve::cli
