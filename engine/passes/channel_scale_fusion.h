// Pass: a per-channel scaling feeding a Conv becomes the Conv's InputScale input,
//   Conv(Mul(x, s), W, B) with s of shape [N, C, 1, 1] -> edgeserve.FusedConv(x, W, B, -, s)
// — squeeze-and-excitation blocks (efficientnet, mobilenet_v3): the gate s scales every channel
// of a large activation that only the next (projection) Conv reads. Conv(x * s) equals
// Conv(x, W * s) when s is per input channel of one sample, so the cpu provider can scale the
// weights (a few thousand numbers) instead of the activation (up to a million) at batch 1, and
// scales the activation in its own pass otherwise. Applies to group-1 Convs with constant weights
// whose input the Mul alone produces and no other node reads.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Status fuse_channel_scales(Graph& graph);

}  // namespace edgeserve
