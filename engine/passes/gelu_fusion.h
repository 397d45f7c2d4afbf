// Pass: GELU in its Erf form (gelu_pattern.h) that no Conv/Gemm took as a fused activation, such
// as the one after a transformer's 3-D MatMul + Add, becomes one edgeserve.Gelu node: five
// elementwise passes over the tensor become one (oneDNN eltwise_gelu_erf on the cpu provider).
// Runs after activation fusion so that Conv/Gemm + GELU still fuse whole.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Status fuse_gelus(Graph& graph);

}  // namespace edgeserve
