// Pooling moved before a channel Concat.
#include "engine/passes/pool_through_concat.h"

#include <memory>
#include <unordered_set>

#include "engine/passes/fusion_util.h"

namespace edgeserve {

namespace {

bool is_channel_pool(const Node& n) {
  if (!n.domain.empty() || n.inputs.size() != 1 || n.outputs.empty() || n.outputs[0] == nullptr) return false;
  if (n.op_type == "MaxPool") return n.outputs.size() == 1 || n.outputs[1] == nullptr;  // no Indices output
  return n.op_type == "AveragePool" || n.op_type == "GlobalAveragePool" || n.op_type == "GlobalMaxPool";
}

// The Concat feeding `pool` along channels, when the swap applies.
Node* channel_concat_before(const Graph& graph, const Node& pool) {
  if (!is_channel_pool(pool) || pool.inputs[0] == nullptr) return nullptr;
  Node* concat = pool.inputs[0]->producer;
  if (concat == nullptr || concat->op_type != "Concat" || !concat->domain.empty()) return nullptr;
  if (!only_feeds(graph, pool.inputs[0], pool) || concat_axis(*concat) != 1) return nullptr;
  const auto& out_dims = pool.outputs[0]->type.dims;
  if (!out_dims || out_dims->size() < 3) return nullptr;
  for (const Value* part : concat->inputs) {
    if (part == nullptr || part->constant || !part->type.dims || part->type.dims->size() != out_dims->size()) {
      return nullptr;
    }
  }
  return concat;
}

// Pools every part with `pool`'s attributes; the new Concat takes over the pool's output.
void swap(Graph& graph, Node& concat, const Node& pool) {
  std::vector<Value*> pooled;
  for (size_t i = 0; i < concat.inputs.size(); ++i) {
    Value* part = concat.inputs[i];
    TensorType type;
    type.dtype = pool.outputs[0]->type.dtype;
    std::vector<Dim> dims = *pool.outputs[0]->type.dims;  // checked present by the caller
    dims[1] = (*part->type.dims)[1];
    type.dims = std::move(dims);
    auto node = std::make_unique<Node>();
    node->name = pool.name + "/part" + std::to_string(i);
    node->op_type = pool.op_type;
    node->opset = pool.opset;
    node->attributes = pool.attributes;
    node->inputs = {part};
    node->outputs = {add_value(graph, node->name, type)};
    pooled.push_back(node->outputs[0]);
    graph.add_node(std::move(node));
  }
  concat.inputs = pooled;
  concat.outputs[0] = pool.outputs[0];
}

}  // namespace

Status pool_through_concat(Graph& graph) {
  EDGE_RETURN_IF_ERROR(graph.finalize());
  std::vector<std::pair<Node*, const Node*>> swaps;
  for (const auto& node : graph.nodes()) {
    if (Node* concat = channel_concat_before(graph, *node)) swaps.emplace_back(concat, node.get());
  }
  std::unordered_set<const Node*> removed;
  for (auto [concat, pool] : swaps) {
    swap(graph, *concat, *pool);
    removed.insert(pool);
  }
  graph.remove_nodes_if([&](const Node& n) { return removed.count(&n) != 0; });
  return graph.finalize();
}

}  // namespace edgeserve
