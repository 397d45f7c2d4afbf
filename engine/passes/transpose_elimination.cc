// Transpose composition and identity-Transpose removal.
#include "engine/passes/transpose_elimination.h"

#include <numeric>
#include <optional>
#include <unordered_set>

#include "engine/passes/fusion_util.h"

namespace edgeserve {

namespace {

bool is_transpose(const Node* n) {
  return n != nullptr && n->domain.empty() && n->op_type == "Transpose" && n->has_input(0) && n->outputs.size() == 1 &&
         n->outputs[0] != nullptr;
}

// The node's permutation (default: reversed axes), or nullopt when the rank is unknown or the
// attribute is not a permutation.
std::optional<std::vector<int64_t>> permutation(const Node& t) {
  const Value* x = t.inputs[0];
  if (!x->type.dims) return std::nullopt;
  const auto rank = static_cast<int64_t>(x->type.dims->size());
  std::vector<int64_t> reversed(static_cast<size_t>(rank));
  std::iota(reversed.rbegin(), reversed.rend(), 0);
  auto perm = t.attr_ints("perm", reversed);
  if (!perm.is_ok() || static_cast<int64_t>(perm->size()) != rank) return std::nullopt;
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t p : *perm) {
    if (p < 0 || p >= rank || seen[static_cast<size_t>(p)]) return std::nullopt;
    seen[static_cast<size_t>(p)] = true;
  }
  return perm.value();
}

bool is_identity(const std::vector<int64_t>& perm) {
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != static_cast<int64_t>(i)) return false;
  }
  return true;
}

// Reads its input through the producing Transpose's input instead, composing the permutations:
// y = transpose(transpose(x, p1), p2) has y.dim[i] = x.dim[p1[p2[i]]].
void compose_with_producer(Node& second, const Node& first, const std::vector<int64_t>& p1,
                           const std::vector<int64_t>& p2) {
  std::vector<int64_t> composed(p2.size());
  for (size_t i = 0; i < p2.size(); ++i) composed[i] = p1[static_cast<size_t>(p2[i])];
  second.inputs[0] = first.inputs[0];
  second.attributes["perm"] = Attribute::of_ints(std::move(composed));
}

}  // namespace

Status eliminate_transposes(Graph& graph) {
  EDGE_RETURN_IF_ERROR(graph.finalize());
  for (const auto& node : graph.nodes()) {  // topological: a chain collapses front to back
    if (!is_transpose(node.get())) continue;
    Node* first = node->inputs[0]->producer;
    if (!is_transpose(first)) continue;
    auto p1 = permutation(*first);
    auto p2 = permutation(*node);
    if (p1 && p2) compose_with_producer(*node, *first, *p1, *p2);
  }
  EDGE_RETURN_IF_ERROR(graph.finalize());
  std::unordered_set<const Node*> removed;
  for (const auto& node : graph.nodes()) {
    if (!is_transpose(node.get())) continue;
    auto perm = permutation(*node);
    if (perm && is_identity(*perm) && bypass(graph, *node, node->inputs[0])) removed.insert(node.get());
  }
  graph.remove_nodes_if([&](const Node& n) { return removed.count(&n) != 0; });
  return graph.finalize();
}

}  // namespace edgeserve
