// Frees a model's fixed batch of 1: many detectors are exported with input [1, 3, H, W] and a
// Reshape to [1, C, -1] in the head, so they cannot run a batch of camera frames. The rewrite
// makes dim 0 of every graph input and output symbolic ("batch") and turns the leading 1 of a
// constant Reshape shape into 0 ("copy the input's dim 0") where the Reshape's input has a
// leading dim of 1, then lets shape inference re-derive the rest.
#pragma once

#include <string>

#include "common/status.h"

namespace onnx {
class ModelProto;
}

namespace edgeserve {

// Rewrites `mp` in place. Returns kInvalidArgument when no input has a fixed leading dim of 1
// (nothing to free). A model that hard-codes its batch elsewhere (Expand, Tile,
// ConstantOfShape) still loads, and fails at run time with batch > 1 naming the node.
Status free_batch_dimension(onnx::ModelProto& mp);

}  // namespace edgeserve
