// Pass: removes Identity and inference-mode Dropout nodes by pointing their consumers at their
// input. A node whose output is a graph output stays (the output keeps its name).
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Status eliminate_identities(Graph& graph);

}  // namespace edgeserve
