// Constant -> initializer.
#include "engine/passes/constant_to_initializer.h"

#include "engine/ops/constant.h"

namespace edgeserve {

Status constant_to_initializer(Graph& graph) {
  bool changed = false;
  for (const auto& node : graph.nodes()) {
    if (node->op_type != "Constant" || !node->domain.empty() || node->outputs.size() != 1 || !node->outputs[0]) continue;
    EDGE_ASSIGN_OR_RETURN(Tensor value, constant_node_value(*node));
    Value* out = node->outputs[0];
    out->type.dtype = value.dtype();
    std::vector<Dim> dims;
    for (int64_t d : value.dims()) dims.push_back(Dim{d, ""});
    out->type.dims = dims;
    out->constant = std::move(value);
    out->producer = nullptr;
    changed = true;
  }
  if (changed) {
    graph.remove_nodes_if([](const Node& n) { return n.op_type == "Constant" && n.domain.empty() && n.outputs.size() == 1 && n.outputs[0]; });
  }
  return Status::ok();
}

}  // namespace edgeserve
