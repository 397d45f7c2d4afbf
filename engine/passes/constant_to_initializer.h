// Pass: replaces Constant nodes by initializers, so their values exist before the first run.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Status constant_to_initializer(Graph& graph);

}  // namespace edgeserve
