// ONNX Runtime's com.microsoft quantized operators, registered with ONNX's schema registry so
// that ONNX's shape inference carries element types and shapes through them: without it every
// tensor after the first QLinearAdd of a QOperator model has an unknown type and rank, and no
// fast kernel can claim the nodes that follow.
#pragma once

namespace edgeserve {

// Idempotent and thread-safe.
void register_contrib_schemas();

}  // namespace edgeserve
