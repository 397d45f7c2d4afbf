// Pass: MatMul(A, B) + C becomes Gemm(A, B, C) when A is 2-D, B is a constant matrix and C a
// constant that broadcasts to the product's [M, N] (a bias of [N] or [1, N], or a full [M, N]) —
// classifier heads exported as MatMul + Add. The cpu provider runs Gemm as one inner product with
// the bias (and, after activation fusion, the activation) fused.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Status fuse_matmul_add(Graph& graph);

// Pass: MatMul of A [..., K] (rank >= 3) by a constant [K, N], then Add of a constant of N values
// ([N] or [1, ..., 1, N], either operand order) -> edgeserve.FusedMatMul(A, B, bias [N]): one
// GEMM with a bias, which activation fusion can then extend (a transformer's MLP: + GELU).
Status fuse_matmul_bias(Graph& graph);

}  // namespace edgeserve
