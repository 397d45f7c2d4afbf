// Identity/Dropout elimination.
#include "engine/passes/identity_elimination.h"

#include <algorithm>
#include <unordered_set>

namespace edgeserve {

namespace {

bool is_pass_through(const Node& node) {
  if (!node.domain.empty() || node.outputs.empty() || node.outputs[0] == nullptr || !node.has_input(0)) return false;
  if (node.op_type == "Identity") return true;
  if (node.op_type != "Dropout") return false;
  // Inference-mode Dropout: no mask wanted, and training_mode (opset 12+) absent.
  const bool mask_used = node.outputs.size() > 1 && node.outputs[1] != nullptr && !node.outputs[1]->consumers.empty();
  return !mask_used && !node.has_input(2);
}

}  // namespace

Status eliminate_identities(Graph& graph) {
  EDGE_RETURN_IF_ERROR(graph.finalize());
  std::unordered_set<const Node*> removed;
  for (const auto& node : graph.nodes()) {
    if (!is_pass_through(*node)) continue;
    Value* in = node->inputs[0];
    Value* out = node->outputs[0];
    if (graph.is_output(out)) continue;
    if (node->outputs.size() > 1 && node->outputs[1] != nullptr &&
        graph.is_output(node->outputs[1])) {
      continue;
    }
    for (Node* consumer : out->consumers) {
      std::replace(consumer->inputs.begin(), consumer->inputs.end(), out, in);
    }
    out->consumers.clear();
    removed.insert(node.get());
  }
  graph.remove_nodes_if([&](const Node& n) { return removed.count(&n) != 0; });
  return graph.finalize();
}

}  // namespace edgeserve
