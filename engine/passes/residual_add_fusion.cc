// Conv + residual Add fusion.
#include "engine/passes/residual_add_fusion.h"

#include <unordered_set>

#include "engine/passes/fusion_util.h"

namespace edgeserve {

namespace {

// The Add operand (0 or 1) whose producing Conv can absorb the Add, or -1. When both can, the
// later one is chosen: its residual is then already computed and may be overwritten.
int fusable_operand(const Graph& graph, const Node& add, const std::vector<int>& position) {
  int best = -1;
  for (int i = 0; i < 2; ++i) {
    const Value* conv_out = add.inputs[i];
    const Value* residual = add.inputs[1 - i];
    if (conv_out == nullptr || residual == nullptr || residual->constant || conv_out->producer == nullptr) continue;
    const Node& conv = *conv_out->producer;
    if (!can_take_residual(conv) || !only_feeds(graph, conv_out, add) || !same_static_dims(conv_out, residual)) continue;
    if (conv.outputs.size() != 1) continue;
    if (best < 0 || position[conv.outputs[0]->index] > position[add.inputs[best]->index]) best = i;
  }
  return best;
}

}  // namespace

Status fuse_residual_adds(Graph& graph) {
  EDGE_RETURN_IF_ERROR(graph.finalize());
  std::vector<int> position(graph.values().size(), -1);  // value index -> producer's order
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    for (const Value* out : graph.nodes()[n]->outputs) {
      if (out != nullptr) position[out->index] = static_cast<int>(n);
    }
  }
  std::unordered_set<const Node*> removed;
  for (const auto& add : graph.nodes()) {
    if (add->op_type != "Add" || !add->domain.empty() || add->inputs.size() != 2 || add->opset < 7) continue;
    const int i = fusable_operand(graph, *add, position);
    if (i < 0) continue;
    Node& conv = *add->inputs[i]->producer;
    make_fused(conv);
    conv.inputs.resize(3, nullptr);  // keep the bias slot, present or not
    conv.inputs.push_back(add->inputs[1 - i]);
    conv.outputs[0] = add->outputs[0];
    conv.outputs[0]->producer = &conv;
    removed.insert(add.get());
  }
  graph.remove_nodes_if([&](const Node& n) { return removed.count(&n) != 0; });
  return graph.finalize();
}

}  // namespace edgeserve
