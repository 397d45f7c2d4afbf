// Helpers shared by the fusion passes: which nodes can absorb a following op, and how a
// producer takes over a consumer's output.
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <unordered_set>
#include <vector>

#include "engine/ir/graph.h"

namespace edgeserve {

// Conv or Gemm (ai.onnx), or a fused one with no activation yet.
bool can_take_activation(const Node& node);
// Conv (ai.onnx), or FusedConv with neither residual nor activation yet.
bool can_take_residual(const Node& node);
// `v` is read only by `consumer` (once) and is not a graph output.
bool only_feeds(const Graph& graph, const Value* v, const Node& consumer);
// Static dims of both known to be equal (same numbers or same symbols).
bool same_static_dims(const Value* a, const Value* b);
// Turns Conv/Gemm into edgeserve.FusedConv/FusedGemm (no-op if already fused).
void make_fused(Node& node);
// A new initializer holding `t`, named `base` or `base_<n>` if that name is taken.
Value* add_constant(Graph& graph, const std::string& base, Tensor t);

// The name of a node fused from a pattern: `op` in the scope of one of the pattern's nodes
// ("/enc/ln_1/ReduceMean" -> "/enc/ln_1/LayerNormalization").
std::string scoped_name(const std::string& member, const std::string& op);
// A new value for a node output, typed `type`, named `base` or `base_<n>` if that name is taken.
Value* add_value(Graph& graph, const std::string& base, const TensorType& type);
// Points every consumer of `node`'s first output at `replacement` instead; false (nothing changed)
// when that output is a graph output, whose name must survive.
bool bypass(const Graph& graph, const Node& node, Value* replacement);
// Makes value `v` the constant `t` (its producer is then removed by the caller).
void make_constant(Value* v, Tensor t);
// The Concat's axis made non-negative, or -1 when the rank is not static or the attribute is bad.
int64_t concat_axis(const Node& concat);

// SiLU on `x`: x is read exactly by a Sigmoid s and a Mul(x, s), and s only by that Mul.
struct SiluNodes {
  Node* sigmoid = nullptr;
  Node* mul = nullptr;
};
std::optional<SiluNodes> match_silu(const Graph& graph, const Value* x);

// Replaces every match of a pattern by one new node. For each anchor (the graph's nodes or
// values, in order), match(anchor) returns an optional match with `nodes`, the nodes it removes;
// a match overlapping an earlier one is skipped; make(anchor, match) builds the replacement.
// Replacements are added after the loop (adding invalidates the iteration), then the graph is
// finalized again.
template <typename Anchors, typename Match, typename Make>
Status replace_matches(Graph& graph, const Anchors& anchors, Match match, Make make) {
  EDGE_RETURN_IF_ERROR(graph.finalize());
  std::unordered_set<const Node*> removed;
  std::vector<std::unique_ptr<Node>> added;
  for (const auto& anchor : anchors) {
    auto m = match(*anchor);
    if (!m) continue;
    if (std::any_of(m->nodes.begin(), m->nodes.end(), [&](const Node* n) { return removed.count(n) != 0; })) continue;
    added.push_back(make(*anchor, *m));
    removed.insert(m->nodes.begin(), m->nodes.end());
  }
  graph.remove_nodes_if([&](const Node& n) { return removed.count(&n) != 0; });
  for (auto& n : added) graph.add_node(std::move(n));
  return graph.finalize();
}

}  // namespace edgeserve
