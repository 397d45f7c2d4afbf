// Quantization parameter arithmetic (see quant_params.h).
#include "engine/quantize/quant_params.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/strings.h"

namespace edgeserve::quant {

ActivationParams activation_params(Range r) {
  const double lo = std::min(0.0f, r.min);
  const double hi = std::max(0.0f, r.max);
  ActivationParams p;
  if (!(hi - lo > 0) || !std::isfinite(hi - lo)) return p;
  p.scale = static_cast<float>((hi - lo) / 255.0);
  const double zp = std::nearbyint(-lo / static_cast<double>(p.scale));
  p.zero_point = static_cast<uint8_t>(std::clamp(zp, 0.0, 255.0));
  return p;
}

float fake_quantize(float x, ActivationParams p) {
  const double q = std::clamp(std::nearbyint(static_cast<double>(x / p.scale)) + p.zero_point, 0.0, 255.0);
  return static_cast<float>((q - p.zero_point) * p.scale);
}

namespace {

// Number of slices along `axis` and the elements each slice repeats per outer step.
struct SliceLayout {
  int64_t count = 1;
  int64_t inner = 1;
  int64_t slice_of(int64_t i) const { return (i / inner) % count; }
};

Result<SliceLayout> slice_layout(const Tensor& w, int64_t axis) {
  SliceLayout l;
  if (axis < 0) {
    l.inner = std::max<int64_t>(1, w.num_elements());
    return l;
  }
  if (axis >= static_cast<int64_t>(w.rank())) {
    return invalid_argument(str_cat("axis ", axis, " is out of range for a weight of rank ", w.rank()));
  }
  l.count = w.dim(static_cast<size_t>(axis));
  for (size_t d = static_cast<size_t>(axis) + 1; d < w.rank(); ++d) l.inner *= w.dim(d);
  return l;
}

}  // namespace

Result<QuantizedWeight> quantize_weight(const Tensor& w, int64_t axis) {
  if (w.dtype() != DType::kFloat32) return invalid_argument("weights must be float32");
  EDGE_ASSIGN_OR_RETURN(SliceLayout l, slice_layout(w, axis));
  QuantizedWeight q;
  q.axis = axis;
  std::vector<float> max_abs(static_cast<size_t>(l.count), 0.0f);
  const float* x = w.data<float>();
  for (int64_t i = 0; i < w.num_elements(); ++i) {
    float& m = max_abs[static_cast<size_t>(l.slice_of(i))];
    m = std::max(m, std::fabs(x[i]));
  }
  for (float m : max_abs) q.scales.push_back(m > 0 && std::isfinite(m) ? m / 127.0f : 1.0f);
  EDGE_ASSIGN_OR_RETURN(q.values, Tensor::allocate(DType::kInt8, w.dims()));
  int8_t* out = q.values.mutable_data<int8_t>();
  for (int64_t i = 0; i < w.num_elements(); ++i) {
    const float s = q.scales[static_cast<size_t>(l.slice_of(i))];
    out[i] = static_cast<int8_t>(std::clamp(std::nearbyint(static_cast<double>(x[i] / s)), -127.0, 127.0));
  }
  return q;
}

Result<Tensor> quantize_bias(const Tensor& bias, float x_scale, const std::vector<float>& w_scales,
                             std::vector<float>* scales) {
  if (bias.dtype() != DType::kFloat32 || bias.rank() != 1) return invalid_argument("the bias must be 1-D float32");
  const int64_t n = bias.num_elements();
  if (w_scales.size() != 1 && static_cast<int64_t>(w_scales.size()) != n) {
    return invalid_argument(str_cat("the bias has ", n, " values for ", w_scales.size(), " weight scales"));
  }
  EDGE_ASSIGN_OR_RETURN(Tensor q, Tensor::allocate(DType::kInt32, bias.dims()));
  scales->clear();
  for (int64_t c = 0; c < n; ++c) {
    const float s = x_scale * w_scales[w_scales.size() == 1 ? 0 : static_cast<size_t>(c)];
    if (w_scales.size() != 1 || c == 0) scales->push_back(s);
    const double v = std::nearbyint(static_cast<double>(bias.data<float>()[c]) / s);
    constexpr double kMax = std::numeric_limits<int32_t>::max();
    q.mutable_data<int32_t>()[c] = static_cast<int32_t>(std::clamp(v, -kMax, kMax));
  }
  return q;
}

Result<Tensor> quantize_constant_u8(const Tensor& c, ActivationParams* params) {
  if (c.dtype() != DType::kFloat32) return invalid_argument("constant operands must be float32");
  Range r;
  for (int64_t i = 0; i < c.num_elements(); ++i) {
    r.min = std::min(r.min, c.data<float>()[i]);
    r.max = std::max(r.max, c.data<float>()[i]);
  }
  *params = activation_params(r);
  EDGE_ASSIGN_OR_RETURN(Tensor q, Tensor::allocate(DType::kUint8, c.dims()));
  for (int64_t i = 0; i < c.num_elements(); ++i) {
    const double v = std::nearbyint(static_cast<double>(c.data<float>()[i] / params->scale)) + params->zero_point;
    q.mutable_data<uint8_t>()[i] = static_cast<uint8_t>(std::clamp(v, 0.0, 255.0));
  }
  return q;
}

}  // namespace edgeserve::quant
