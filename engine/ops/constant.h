// The value of a Constant node, from whichever value_* attribute it carries.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

Result<Tensor> constant_node_value(const Node& node);

}  // namespace edgeserve
