// Constant folding by running the evaluator's kernel on the constant inputs.
#include "engine/passes/constant_folding.h"

#include <algorithm>
#include <unordered_set>

#include "engine/passes/fusion_util.h"

namespace edgeserve {

namespace {

bool is_foldable(const Node& node, const ExecutionProvider& evaluator) {
  static const std::unordered_set<std::string> kNondeterministic = {
      "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"};
  if (node.inputs.empty() || kNondeterministic.count(node.op_type)) return false;
  for (const auto& [name, attr] : node.attributes) {
    if (attr.kind == AttrKind::kGraph || attr.kind == AttrKind::kGraphs) return false;
  }
  bool any_input = false;
  for (const Value* in : node.inputs) {
    if (in == nullptr) continue;
    if (!in->constant) return false;
    any_input = true;
  }
  return any_input && evaluator.supports(node);
}

// Runs the node; returns false (leaving the graph unchanged) if an output is too large.
Result<bool> fold_node(Node& node, const ExecutionProvider& evaluator) {
  EDGE_ASSIGN_OR_RETURN(auto kernel, evaluator.create_kernel(node));
  std::vector<const Tensor*> inputs;
  for (const Value* in : node.inputs) inputs.push_back(in == nullptr ? nullptr : &*in->constant);
  std::vector<Tensor> outputs(node.outputs.size());
  KernelContext ctx(node, inputs, &outputs, kMaxFoldedBytes);
  Status st = kernel->run(ctx);
  if (st.code() == StatusCode::kResourceExhausted) return false;
  if (!st.is_ok()) return st.with_context(node.describe());
  // Sequences and optionals are not initializers: the node stays and computes them per run.
  for (const Tensor& t : outputs) {
    if (t.is_container()) return false;
  }
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    Value* out = node.outputs[i];
    if (out == nullptr) continue;
    make_constant(out, std::move(outputs[i]));
  }
  return true;
}

}  // namespace

Status fold_constants(Graph& graph, const ExecutionProvider& evaluator) {
  EDGE_RETURN_IF_ERROR(graph.finalize());  // topological order: inputs fold before consumers
  std::unordered_set<const Node*> folded;
  for (const auto& node : graph.nodes()) {
    if (!is_foldable(*node, evaluator)) continue;
    EDGE_ASSIGN_OR_RETURN(bool done, fold_node(*node, evaluator));
    if (done) folded.insert(node.get());
  }
  graph.remove_nodes_if([&](const Node& n) { return folded.count(&n) != 0; });
  return graph.finalize();
}

}  // namespace edgeserve
