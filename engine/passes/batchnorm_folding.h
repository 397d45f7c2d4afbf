// Pass: Conv (or Gemm) followed by an inference-mode BatchNormalization on constant statistics
// becomes one Conv (Gemm) with rescaled weights and a new bias: W' = W * s, B' = (B - mean) * s +
// beta with s = gamma / sqrt(var + epsilon) per output channel (Gemm: per column of op(B)). Exporters usually do this already; models
// that arrive unfolded (older exports, training checkpoints) would otherwise pay a whole extra
// pass over every activation.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Status fold_batchnorms(Graph& graph);

}  // namespace edgeserve
