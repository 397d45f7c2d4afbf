// Pass: Add(Conv(x), r) -> edgeserve.FusedConv(x, W, B, r), when the Conv's output feeds only
// the Add and r has the output's shape. oneDNN runs the sum as a post-op, writing over r's
// buffer when nothing else reads it; activation fusion may then absorb a following Relu.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Status fuse_residual_adds(Graph& graph);

}  // namespace edgeserve
