// com.microsoft.QLinearAdd's arithmetic exactly as ONNX Runtime computes it on x86 (MLAS's
// AVX2 kernel), shared by the reference kernel and the cpu provider's vectorised host step:
//   ratio_a = a_scale / c_scale, ratio_b = b_scale / c_scale (float32)
//   fixed   = float(c_zero) - (ratio_a * a_zero + ratio_b * b_zero)
//   c       = saturate(round_half_even(fma(a, ratio_a, fma(b, ratio_b, fixed))))
// and, when B is a single value, fixed += b * ratio_b once, then c = fma(a, ratio_a, fixed).
// The fused multiply-adds matter: rounding each product separately flips ties.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

namespace edgeserve {

struct QLinearAddParams {
  float ratio_a = 1.f;
  float ratio_b = 1.f;
  float fixed = 0.f;
};

inline QLinearAddParams qlinear_add_params(float a_scale, int32_t a_zero, float b_scale, int32_t b_zero,
                                           float c_scale, int32_t c_zero) {
  QLinearAddParams p;
  p.ratio_a = a_scale / c_scale;
  p.ratio_b = b_scale / c_scale;
  const float zero_part = p.ratio_a * static_cast<float>(a_zero) + p.ratio_b * static_cast<float>(b_zero);
  p.fixed = static_cast<float>(c_zero) - zero_part;
  return p;
}

// Round half to even and saturate into T; NaN and values beyond int32 become T's lowest, as the
// vector conversion (0x80000000) followed by saturating packs gives.
template <typename T>
T saturate_rounded(float v) {
  if (!(std::fabs(v) < 2147483520.f)) return std::numeric_limits<T>::lowest();
  const float r = std::nearbyint(v);
  if (r <= static_cast<float>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (r >= static_cast<float>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(r);
}

template <typename T>
T qlinear_add(T a, T b, const QLinearAddParams& p) {
  const float partial = std::fma(static_cast<float>(b), p.ratio_b, p.fixed);
  return saturate_rounded<T>(std::fma(static_cast<float>(a), p.ratio_a, partial));
}

// The fixed part when B is one value for all elements: fixed + b * ratio_b, rounded once each.
inline float qlinear_add_scalar_b_fixed(float b, const QLinearAddParams& p) { return p.fixed + b * p.ratio_b; }

template <typename T>
T qlinear_add_scalar_b(T a, float fixed_with_b, const QLinearAddParams& p) {
  return saturate_rounded<T>(std::fma(static_cast<float>(a), p.ratio_a, fixed_with_b));
}

}  // namespace edgeserve
