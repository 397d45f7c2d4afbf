// Upgrades models older than opset 7 (the oldest opset the kernels implement) with ONNX's own
// version converter: it rewrites the legacy `broadcast`/`axis` binary ops, Gemm's `broadcast`,
// and BatchNormalization's `is_test`, whose semantics changed at opset 7.
#pragma once

#include "common/status.h"

namespace onnx {
class ModelProto;
}

namespace edgeserve {

// Rewrites `mp` in place to ai.onnx opset 7 when it imports an older ai.onnx opset; a no-op
// otherwise. Fails naming the converter's complaint when the model cannot be converted.
Status upgrade_legacy_opsets(onnx::ModelProto& mp);

}  // namespace edgeserve
