// Pass: a Reshape whose target shape is assembled from the shape of a tensor at run time —
// Reshape(x, Concat(Unsqueeze(Gather(Shape(t), k)), [-1])), as `x.view(x.size(0), -1)` exports —
// gets a constant target when every run-time part is a dim of t that is statically the same as
// x's dim at that position: ONNX's 0 ("copy the input's dim") replaces it. The Reshape then has a
// constant shape (a view the cpu provider runs in place), and the Shape/Gather chain, and often
// the tensor it measured, become dead. Exact; level 1.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Status fold_reshape_dim_copies(Graph& graph);

}  // namespace edgeserve
