// Quantization parameters and the arithmetic that makes the QDQ initializers: activations
// uint8 asymmetric (the range always contains 0, so 0 is exact), weights int8 symmetric with
// zero point 0 (per tensor or per output channel), biases int32 at scale x_scale * w_scale.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "engine/ir/tensor.h"

namespace edgeserve::quant {

// A float range [min, max] of an activation.
struct Range {
  float min = 0;
  float max = 0;
};

struct ActivationParams {
  float scale = 1;
  uint8_t zero_point = 0;
};

// uint8 asymmetric: the range widened to contain 0, scale = (max - min) / 255, zero point =
// round(-min / scale). A zero-width range gets scale 1 (all values are 0).
ActivationParams activation_params(Range r);

// Symmetric int8 weights: scale s = max|w| / 127 over the tensor (axis < 0) or per slice along
// `axis`, values round(w / s) in [-127, 127]; an all-zero slice gets s = 1.
struct QuantizedWeight {
  Tensor values;              // int8, the weight's dims
  std::vector<float> scales;  // 1 value per tensor, or dims[axis] values
  int64_t axis = -1;          // -1: per tensor
};
Result<QuantizedWeight> quantize_weight(const Tensor& w, int64_t axis);

// int32 bias at scale x_scale * w_scales[c] (w_scales of size 1 applies to every channel).
// Values round(b / s), saturated to int32.
Result<Tensor> quantize_bias(const Tensor& bias, float x_scale, const std::vector<float>& w_scales,
                             std::vector<float>* scales);

// uint8 asymmetric quantization of a constant float tensor with its own min/max, per tensor
// (constant operands of Add and Mul).
Result<Tensor> quantize_constant_u8(const Tensor& c, ActivationParams* params);

// Simulates Q then DQ of one value.
float fake_quantize(float x, ActivationParams p);

}  // namespace edgeserve::quant
