// Pass: the LayerNorm that exporters write below opset 17, where LayerNormalization does not
// exist yet, becomes one LayerNormalization node (opset 17), which both providers run in one pass
// over each row instead of nine elementwise and reduction nodes:
//   m = ReduceMean(x, last axis, keepdims=1); d = Sub(x, m)
//   Pow(d, 2) or Mul(d, d) -> ReduceMean(last axis) -> Add(eps) -> Sqrt -> Div(d, .)
//   -> Mul(scale) -> Add(bias)      (Mul and Add each optional; scale/bias constants of C values)
// Every intermediate must feed only the pattern (d feeds exactly the squaring and the Div), x
// must be float32 with a known last dim C, and eps a constant scalar.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Status fuse_layernorms(Graph& graph);

}  // namespace edgeserve
