// The arithmetic of quantized ops exactly as ONNX Runtime computes it on x86-64 (MLAS's AVX2/FMA
// kernels), shared by the reference kernels and the cpu provider's host steps.
//
// com.microsoft.QLinearAdd:
//   ratio_a = a_scale / c_scale, ratio_b = b_scale / c_scale (float32)
//   fixed   = float(c_zero) - (ratio_a * a_zero + ratio_b * b_zero)
//   c       = saturate(round_half_even(fma(a, ratio_a, fma(b, ratio_b, fixed))))
// MLAS's kernel for a single-valued B adds b * ratio_b to the fixed part first; ONNX Runtime's
// Linux build contracts that into the same fused multiply-add, so one formula covers both (checked
// against ORT 1.30 with B per tensor, per channel and full size). When A is the single value the
// roles swap: fma(b, ratio_b, fma(a, ratio_a, fixed)). The fused multiply-adds matter: rounding
// each product separately flips ties.
#pragma once

#include <algorithm>
#include <array>
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

// MlasRequantizeOutput / MlasQuantizeLinear: clamp v to [qmin - zp, qmax - zp] (NaN takes the
// lower bound, as MAXPS does), round half to even, add zp. v = float(acc) * scale or x / scale.
template <typename T>
T requantize(float v, int32_t zp) {
  const float lo = static_cast<float>(int32_t{std::numeric_limits<T>::lowest()} - zp);
  const float hi = static_cast<float>(int32_t{std::numeric_limits<T>::max()} - zp);
  v = v > lo ? v : lo;
  v = v < hi ? v : hi;
  return static_cast<T>(static_cast<int32_t>(std::nearbyint(v)) + zp);
}

template <typename T>
T qlinear_add(T a, T b, const QLinearAddParams& p) {
  const float partial = std::fma(static_cast<float>(b), p.ratio_b, p.fixed);
  return saturate_rounded<T>(std::fma(static_cast<float>(a), p.ratio_a, partial));
}

// The same with A the single value (ORT passes the vector operand first).
template <typename T>
T qlinear_add_scalar_a(T a, T b, const QLinearAddParams& p) {
  const float partial = std::fma(static_cast<float>(a), p.ratio_a, p.fixed);
  return saturate_rounded<T>(std::fma(static_cast<float>(b), p.ratio_b, partial));
}

// com.microsoft.QLinearMul (MLAS's SSE2 kernel):
//   c = saturate(round_half_even(float((a - za) * (b - zb)) * ((sa * sb) / sc) + zc))
struct QLinearMulParams {
  int32_t a_zero = 0, b_zero = 0;
  float ratio = 1.f;  // (a_scale * b_scale) / c_scale
  float c_zero = 0.f;
};

inline QLinearMulParams qlinear_mul_params(float a_scale, int32_t a_zero, float b_scale, int32_t b_zero, float c_scale,
                                           int32_t c_zero) {
  return QLinearMulParams{a_zero, b_zero, a_scale * b_scale / c_scale, static_cast<float>(c_zero)};
}

template <typename T>
T qlinear_mul(int32_t a, int32_t b, const QLinearMulParams& p) {
  const float product = static_cast<float>((a - p.a_zero) * (b - p.b_zero));
  return saturate_rounded<T>(product * p.ratio + p.c_zero);
}

// MlasComputeLogistic (Eigen's rational approximation, the FMA3 kernel on AVX2 machines): v
// clamped to [-18, 18]; p = v * poly_a(v^2), q = poly_b(v^2) by Horner steps with fused
// multiply-adds; result clamp(p / q + 0.5, 0, 1).
inline float mlas_logistic(float v) {
  v = std::min(std::max(v, -18.0f), 18.0f);
  const float v2 = v * v;
  float p = std::fma(v2, 4.37031012579801e-11f, 1.15627324459942e-07f);
  p = std::fma(p, v2, 6.08574864600143e-05f);
  p = std::fma(p, v2, 8.51377133304701e-03f);
  p = std::fma(p, v2, 2.48287947061529e-01f);
  p = p * v;
  float q = std::fma(v2, 6.10247389755681e-13f, 5.76102136993427e-09f);
  q = std::fma(q, v2, 6.29106785017040e-06f);
  q = std::fma(q, v2, 1.70198817374094e-03f);
  q = std::fma(q, v2, 1.16817656904453e-01f);
  q = std::fma(q, v2, 9.93151921023180e-01f);
  return std::min(std::max(p / q + 0.5f, 0.0f), 1.0f);
}

// ORT's QlinearBuildLookupTable: for every byte b, v = x_scale * float(int(T(b)) - x_zero), then
// table[b] = requantize(f(v) / y_scale, y_zero). Indexed by the raw byte. Unary quantized ops
// (QLinearSigmoid, QLinearLeakyRelu) and requantizing copies (QLinearConcat) are such tables.
template <typename T, typename F>
std::array<T, 256> quantized_table(float x_scale, int32_t x_zero, float y_scale, int32_t y_zero, F&& f) {
  std::array<T, 256> table{};
  for (int i = 0; i < 256; ++i) {
    const T x = static_cast<T>(static_cast<uint8_t>(i));
    const float v = x_scale * static_cast<float>(int32_t{x} - x_zero);
    table[static_cast<size_t>(i)] = requantize<T>(f(v) / y_scale, y_zero);
  }
  return table;
}

}  // namespace edgeserve
