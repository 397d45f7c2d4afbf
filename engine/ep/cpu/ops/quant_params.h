// Reading the constant quantization parameters (scales, zero points) of QOperator nodes, and the
// oneDNN attributes that requantize an int32 accumulator exactly as ONNX Runtime does.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"

#include "engine/ep/cpu/program_builder.h"
#include "engine/ir/graph.h"

namespace edgeserve::cpu {

// Input i as one float32 scale (> 0 and finite), if it is such a constant.
std::optional<float> constant_scale(const Node& node, size_t i);
// Input i as float32 scales, one or `count` of them, all > 0 and finite.
std::optional<std::vector<float>> constant_scales(const Node& node, size_t i, int64_t count);
// Input i as one zero point of the tensor type (uint8 or int8) `type`; an absent input is 0.
std::optional<int32_t> constant_zero_point(const Node& node, size_t i, DType type);
// Whether input i is absent or a constant of integers that are all zero.
bool all_zero_constant(const Node& node, size_t i);
bool is_quantized_type(DType t);  // uint8 or int8
DType value_type(const Value* v);  // the static element type (kUndefined when absent)

// Output scales and post-ops for y = saturate(round_half_even(acc * scale[c]) + y_zp): oneDNN
// adds a destination zero point before rounding, which breaks ties differently from ONNX Runtime
// (which rounds, then adds), so a non-zero y_zp becomes round and linear post-ops and the final
// conversion only saturates. `mask` is the output-scale mask (0: one scale; per channel: 1 << dim).
dnnl::primitive_attr requantize_attr(const std::vector<float>& scales, int mask, int32_t y_zero_point);

// Post-ops taking u = v / y_scale (v real) to silu(v) / y_scale = u * sigmoid(y_scale * u) (a
// swish with alpha y_scale), rounded half to even, plus `zero` (edgeserve.QLinearConv with
// activation "Silu"; the final conversion saturates). The output scales stay ONNX Runtime's
// x_scale * w_scale / y_scale.
dnnl::post_ops silu_requantize_ops(float y_scale, int32_t zero);

// A step turning float32 slot `scaled` (already acc * scale) into `type` in the same layout:
// round half to even, add `zero`, saturate; or, given `ops`, those post-ops instead. Returns
// the new slot.
Result<int> add_requantize_step(ProgramBuilder& b, const Node& node, int scaled, int32_t zero, DType type,
                                const dnnl::post_ops* ops = nullptr);

// A float32 constant of rank `rank`, all dims 1, holding `value`: a broadcast operand.
int scalar_constant_slot(ProgramBuilder& b, float value, size_t rank);

}  // namespace edgeserve::cpu
