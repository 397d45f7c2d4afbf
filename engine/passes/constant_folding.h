// Pass: evaluates, once at load time, every node whose inputs are all constants, turning its
// outputs into initializers. Shape subgraphs of static shapes and weight preprocessing (Identity,
// Transpose, Cast of initializers) disappear, so providers see constant weights.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "engine/ep/execution_provider.h"
#include "engine/ir/graph.h"

namespace edgeserve {

// Folded outputs larger than this stay computed at run time, so folding never inflates a model
// (Expand/ConstantOfShape of a small constant into a large tensor).
inline constexpr int64_t kMaxFoldedBytes = int64_t{16} << 20;

// `evaluator` runs the folded nodes (the reference provider). Nodes it does not support, random
// generators and nodes with graph attributes are left alone.
Status fold_constants(Graph& graph, const ExecutionProvider& evaluator);

}  // namespace edgeserve
