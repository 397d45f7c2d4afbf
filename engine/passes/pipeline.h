// The graph optimisation pipeline. Each pass lives in its own file; the pipeline lists them
// explicitly in the order they run.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

// Passes that every provider benefits from and that never change results.
Status run_default_passes(Graph& graph);

}  // namespace edgeserve
