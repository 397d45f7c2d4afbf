// Pass: elementwise quantized ops whose output depends on one 8-bit input byte alone become one
// 256-entry lookup, `edgeserve.QLinearTable(X, Table)` (Table: a constant [256] of the output
// type, indexed by X's raw byte): QLinearSigmoid and QLinearLeakyRelu, and the quantized SiLU
// QLinearMul(x, QLinearSigmoid(x)) — both operands are functions of the same byte, so the product
// is too. The table is computed with ONNX Runtime's arithmetic (engine/ops/qlinear_math.h) for
// every byte, so results are bit-identical; YOLOX's 110 SiLUs become one pass over memory each
// instead of two. Level 2, after QDQ fusion.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Status fuse_qlinear_tables(Graph& graph);

}  // namespace edgeserve
