// Pass: Conv/Gemm (or their fused forms) followed by an activation become one
// edgeserve.FusedConv/FusedGemm with attributes `activation` and `activation_params`, so the
// activation runs as a post-op on data still in cache. Recognises Relu, LeakyRelu, Clip (constant
// bounds), Sigmoid, Tanh, HardSigmoid, HardSwish, SiLU written as Mul(x, Sigmoid(x)), and GELU
// in its Erf form (gelu_pattern.h).
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Status fuse_activations(Graph& graph);

}  // namespace edgeserve
