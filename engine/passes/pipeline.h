// The graph optimisation pipeline. Each pass lives in its own file; the pipeline lists them
// explicitly, per optimisation level, in the order they run.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

// Optimisation levels, as in `--level N`:
//   0  none: only the canonicalisation every later stage relies on (Constant -> initializer).
//   1  basic: provider-independent rewrites that never change results (dead nodes, ...).
//   2  all: fusions and layout choices for the fast providers (default).
inline constexpr int kMaxOptimizationLevel = 2;

// Runs the passes of `level` (clamped to [0, kMaxOptimizationLevel]) and re-finalizes the graph.
Status run_passes(Graph& graph, int level);

}  // namespace edgeserve
