// The graph optimisation pipeline. Each pass lives in its own file; the pipeline lists them
// explicitly, per optimisation level, in the order they run.
#pragma once

#include <functional>

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

// Re-derives value types after folding (engine/onnx/type_inference.h); returns how many values
// gained a known rank or dim.
using TypeRefresh = std::function<Result<int>(Graph&)>;

// Runs the passes of `level` and re-finalizes the graph. `evaluator` runs constant folding.
// With `refresh`, shape folding and constant folding repeat while each round's new types let
// more shape computations fold (a transformer's Reshape targets, layer after layer).
Status run_passes(Graph& graph, int level, const ExecutionProvider& evaluator, const TypeRefresh& refresh = {});

}  // namespace edgeserve
