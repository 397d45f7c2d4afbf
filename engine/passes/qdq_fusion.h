// Pass: QDQ patterns (DequantizeLinear -> float op -> QuantizeLinear) become the integer
// (QOperator) op where that is exact, as ONNX Runtime fuses them:
//   Conv [+ Relu/Clip that Q saturates anyway, after any op below] -> QLinearConv, MatMul and
//   Gemm without bias -> QLinearMatMul (ai.onnx, opset >= 10); Gemm with a bias ->
//   com.microsoft QGemm (int32 bias; also with a float output where ORT does so); Add, Mul,
//   GlobalAveragePool, AveragePool, Concat, Sigmoid, LeakyRelu -> com.microsoft QLinear* (opset 1); MaxPool, Reshape, Flatten, Transpose,
//   Squeeze, Unsqueeze, Slice and nearest Resize between a DQ and a Q of the same scale and zero
//   point run on the integer tensor.
// Scales and zero points must be constants (per-tensor; weights may be per channel). A DQ that
// still has other readers is kept for them. Runs before constant folding, which would turn the
// DQ of a weight into a float weight.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Status fuse_qdq(Graph& graph);

}  // namespace edgeserve
