// Pass: shape computations on tensors whose static dims are known become constants —
// Shape(x) (with start/end), Size(x), and Gather(Shape(x), constant indices) when just the
// gathered dims are known (a dynamic batch leaves the channel and spatial dims foldable). Constant
// folding then folds what was computed from them (the Concat/Reshape chains exporters write).
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Status fold_shapes(Graph& graph);

}  // namespace edgeserve
