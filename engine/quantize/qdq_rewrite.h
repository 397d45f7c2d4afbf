// The QDQ graph surgery: applies a QdqPlan with calibrated ranges. Every planned activation
// tensor t gets QuantizeLinear(t) -> t_quantized (uint8) -> DequantizeLinear -> t_dequantized,
// read by the quantized nodes (and by every consumer when t's producer is quantized, as an
// int8 runtime would hand them dequantized values); constants become int8/int32/uint8
// initializers behind a DequantizeLinear. Graph inputs and outputs keep their FP32 names.
#pragma once

#include <map>
#include <string>

#include "common/status.h"
#include "engine/ir/graph.h"
#include "engine/quantize/qdq_plan.h"
#include "engine/quantize/quant_params.h"

namespace edgeserve::quant {

using RangeMap = std::map<std::string, Range>;

// `plan` was made from model.graph; `ranges` holds every tensor the plan's activations name as
// their range source. Q/DQ nodes use the model's ai.onnx opset, which must be >= 13 when the
// plan has per-channel weights (>= 10 otherwise).
// `dequantized`, when given, receives tensor -> the name of its DequantizeLinear output.
Status apply_qdq(Model& model, const QdqPlan& plan, const RangeMap& ranges,
                 std::map<std::string, std::string>* dequantized = nullptr);

}  // namespace edgeserve::quant
