// The graph optimisation pipeline. Each pass lives in its own file; the pipeline lists them
// explicitly, per optimisation level, in the order they run.
#pragma once

#include "common/status.h"
#include "engine/ep/execution_provider.h"
#include "engine/ir/graph.h"

namespace edgeserve {

// Optimisation levels, as in `--level N`:
//   0  none: only the canonicalisation every later stage relies on (Constant -> initializer).
//   1  basic: rewrites that never change results: constant folding, Identity/Dropout and dead
//      node elimination.
//   2  all: BatchNorm folding and the Conv/Gemm fusions for the fast providers (default).
inline constexpr int kMaxOptimizationLevel = 2;

// Runs the passes of `level` and re-finalizes the graph. `evaluator` runs constant folding.
Status run_passes(Graph& graph, int level, const ExecutionProvider& evaluator);

}  // namespace edgeserve
