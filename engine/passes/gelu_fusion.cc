// Standalone GELU (Erf form) -> edgeserve.Gelu.
#include "engine/passes/gelu_fusion.h"

#include <algorithm>
#include <unordered_set>

#include "engine/passes/fusion_util.h"
#include "engine/passes/gelu_pattern.h"

namespace edgeserve {

namespace {

std::unique_ptr<Node> make_gelu(Value* x, const GeluMatch& m) {
  auto node = std::make_unique<Node>();
  node->name = scoped_name(m.nodes.front()->name, "Gelu");
  node->op_type = "Gelu";
  node->domain = "edgeserve";
  node->opset = 1;
  node->inputs = {x};
  node->outputs = {m.last->outputs[0]};
  return node;
}

}  // namespace

Status fuse_gelus(Graph& graph) {
  EDGE_RETURN_IF_ERROR(graph.finalize());
  std::unordered_set<const Node*> removed;
  std::vector<std::unique_ptr<Node>> added;  // added after the loop: adding invalidates nodes()
  for (const auto& value : graph.values()) {
    if (value->constant) continue;
    auto match = match_gelu_erf(graph, value.get());
    if (!match) continue;
    if (std::any_of(match->nodes.begin(), match->nodes.end(), [&](const Node* n) { return removed.count(n) != 0; })) {
      continue;
    }
    added.push_back(make_gelu(value.get(), *match));
    removed.insert(match->nodes.begin(), match->nodes.end());
  }
  graph.remove_nodes_if([&](const Node& n) { return removed.count(&n) != 0; });
  for (auto& n : added) graph.add_node(std::move(n));
  return graph.finalize();
}

}  // namespace edgeserve
