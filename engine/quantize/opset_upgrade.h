// Raises a model's ai.onnx opset to 13, the first with per-axis QuantizeLinear and
// DequantizeLinear, by rewriting the nodes whose semantics changed on the way (attributes that
// became inputs; Softmax's axis) and refusing, with the node named, the few this does not
// translate. Older models (squeezenet's caffe2 export is opset 7) are common calibration targets.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve::quant {

inline constexpr int64_t kQdqOpset = 13;

// No-op when the opset is already >= kQdqOpset. Re-finalizes the graph.
Status upgrade_opset(Model& model);

}  // namespace edgeserve::quant
