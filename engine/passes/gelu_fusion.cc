// Standalone GELU (Erf form) -> edgeserve.Gelu.
#include "engine/passes/gelu_fusion.h"

#include <algorithm>

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
  return replace_matches(
      graph, graph.values(),
      [&](Value& v) { return v.constant ? std::nullopt : match_gelu_erf(graph, &v); },
      [](Value& v, const GeluMatch& m) { return make_gelu(&v, m); });
}

}  // namespace edgeserve
