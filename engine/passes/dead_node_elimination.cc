// Dead node elimination by reverse reachability from the graph outputs.
#include "engine/passes/dead_node_elimination.h"

#include <unordered_set>

namespace edgeserve {

Status eliminate_dead_nodes(Graph& graph) {
  EDGE_RETURN_IF_ERROR(graph.finalize());  // fresh producer links and topological order
  std::unordered_set<const Value*> live(graph.outputs.begin(), graph.outputs.end());
  std::unordered_set<const Node*> live_nodes;
  const auto& nodes = graph.nodes();
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    const Node& n = **it;
    bool needed = false;
    for (const Value* out : n.outputs) needed = needed || (out != nullptr && live.count(out));
    if (!needed) continue;
    live_nodes.insert(&n);
    for (const Value* in : n.inputs) {
      if (in != nullptr) live.insert(in);
    }
  }
  graph.remove_nodes_if([&](const Node& n) { return !live_nodes.count(&n); });
  return Status::ok();
}

}  // namespace edgeserve
