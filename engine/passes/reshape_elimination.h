// Pass: Reshape(Reshape(x, s1), s2) reads x directly when s2 is a constant without 0 entries
// (a 0 would copy a dim of the intermediate shape), and a Reshape whose output has the same
// static dims as its input disappears. Exact: reshapes only relabel the same elements.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Status eliminate_reshapes(Graph& graph);

}  // namespace edgeserve
