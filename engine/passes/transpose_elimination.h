// Pass: Transpose(Transpose(x, p1), p2) becomes one Transpose(x, p1 then p2), and a Transpose
// whose permutation is the identity disappears (its consumers read x). Exact: only data movement
// is removed. The first Transpose stays while something else still reads it.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Status eliminate_transposes(Graph& graph);

}  // namespace edgeserve
