// Pass: removes nodes none of whose outputs reach a graph output.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Status eliminate_dead_nodes(Graph& graph);

}  // namespace edgeserve
