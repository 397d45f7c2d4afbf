// Constant -> initializer.
#include "engine/passes/constant_to_initializer.h"

#include "engine/ops/constant.h"
#include "engine/passes/fusion_util.h"

namespace edgeserve {

Status constant_to_initializer(Graph& graph) {
  bool changed = false;
  for (const auto& node : graph.nodes()) {
    if (node->op_type != "Constant" || !node->domain.empty() || node->outputs.size() != 1 || !node->outputs[0]) continue;
    EDGE_ASSIGN_OR_RETURN(Tensor value, constant_node_value(*node));
    make_constant(node->outputs[0], std::move(value));
    changed = true;
  }
  if (changed) {
    graph.remove_nodes_if([](const Node& n) { return n.op_type == "Constant" && n.domain.empty() && n.outputs.size() == 1 && n.outputs[0]; });
  }
  return Status::ok();
}

}  // namespace edgeserve
