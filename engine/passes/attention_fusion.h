// Pass: scaled dot-product attention, as torch's MultiheadAttention exports it,
//   S = MatMul(Div(Q, c), Kt)   (or Mul(Q, c), or the Div/Mul after the MatMul, or no scaling)
//   P = Softmax(S, last axis);  O = MatMul(P, V)
// becomes one edgeserve.Attention(Q, Kt, V) with attribute scale (1/c for Div, c for Mul), so no
// [batch, M, N] score tensor is ever written out. Every intermediate must feed only the pattern
// and not be a graph output; Q, Kt and V must be float32 of one known rank >= 2.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Status fuse_attention(Graph& graph);

}  // namespace edgeserve
