// Reshape chain collapse and no-op Reshape removal.
#include "engine/passes/reshape_elimination.h"

#include <unordered_set>

#include "engine/passes/fusion_util.h"

namespace edgeserve {

namespace {

bool is_reshape(const Node* n) {
  return n != nullptr && n->domain.empty() && n->op_type == "Reshape" && n->opset >= 5 && n->inputs.size() == 2 &&
         n->inputs[0] != nullptr && n->inputs[1] != nullptr && n->outputs.size() == 1 && n->outputs[0] != nullptr;
}

// A constant int64 shape with no 0 entry: the result depends on the element count only.
bool is_absolute_shape(const Value* shape) {
  if (shape == nullptr || !shape->constant || shape->constant->dtype() != DType::kInt64) return false;
  const Tensor& t = *shape->constant;
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    if (t.data<int64_t>()[i] == 0) return false;
  }
  return true;
}

bool fully_static(const Value* v) {
  if (!v->type.dims) return false;
  for (const Dim& d : *v->type.dims) {
    if (!d.is_known()) return false;
  }
  return true;
}

// Input and output dims known and equal. (Equal symbols are not enough: shape inference may name
// a computed target's dims after the input's without the run-time values agreeing.)
bool is_noop(const Node& reshape) {
  return fully_static(reshape.inputs[0]) && fully_static(reshape.outputs[0]) &&
         same_static_dims(reshape.inputs[0], reshape.outputs[0]);
}

}  // namespace

Status eliminate_reshapes(Graph& graph) {
  EDGE_RETURN_IF_ERROR(graph.finalize());
  for (const auto& node : graph.nodes()) {  // topological: a chain collapses front to back
    if (!is_reshape(node.get()) || !is_absolute_shape(node->inputs[1])) continue;
    Node* first = node->inputs[0]->producer;
    if (is_reshape(first)) node->inputs[0] = first->inputs[0];
  }
  EDGE_RETURN_IF_ERROR(graph.finalize());
  std::unordered_set<const Node*> removed;
  for (const auto& node : graph.nodes()) {
    if (is_reshape(node.get()) && is_noop(*node) && bypass(graph, *node, node->inputs[0])) removed.insert(node.get());
  }
  graph.remove_nodes_if([&](const Node& n) { return removed.count(&n) != 0; });
  return graph.finalize();
}

}  // namespace edgeserve
