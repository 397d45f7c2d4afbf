// Conv/Gemm + activation fusion.
#include "engine/passes/activation_fusion.h"

#include <algorithm>
#include <cfloat>
#include <optional>
#include <unordered_set>

#include "engine/ops/fused_activation.h"
#include "engine/ops/shape_util.h"
#include "engine/passes/fusion_util.h"
#include "engine/passes/gelu_pattern.h"

namespace edgeserve {

namespace {

struct ActivationMatch {
  std::string name;
  std::vector<float> params;
  Node* last;  // the node whose output the fused node takes over
  std::vector<Node*> absorbed;
};

std::optional<float> constant_bound(const Node& clip, size_t i, float fallback) {
  if (!clip.has_input(i)) return fallback;
  const Value* v = clip.inputs[i];
  if (!v->constant || v->constant->num_elements() != 1) return std::nullopt;
  auto d = read_scalar_as_double(*v->constant);
  if (!d.is_ok()) return std::nullopt;
  return static_cast<float>(d.value());
}

// A float attribute, or nullopt when it has the wrong kind (the node is then left alone).
std::optional<float> float_attr(const Node& n, const char* name, float fallback) {
  auto v = n.attr_float(name, fallback);
  if (!v.is_ok()) return std::nullopt;
  return v.value();
}

std::optional<std::vector<float>> both(std::optional<float> a, std::optional<float> b) {
  if (!a || !b) return std::nullopt;
  return std::vector<float>{*a, *b};
}

// Parameters of a single-node activation, or nullopt if it cannot be fused.
std::optional<std::vector<float>> activation_params(const Node& n) {
  if (n.op_type == "LeakyRelu") {
    auto alpha = float_attr(n, "alpha", 0.01f);
    if (!alpha) return std::nullopt;
    return std::vector<float>{*alpha};
  }
  if (n.op_type == "HardSigmoid") return both(float_attr(n, "alpha", 0.2f), float_attr(n, "beta", 0.5f));
  if (n.op_type == "Clip" && n.opset < 11) return both(float_attr(n, "min", -FLT_MAX), float_attr(n, "max", FLT_MAX));
  if (n.op_type == "Clip") return both(constant_bound(n, 1, -FLT_MAX), constant_bound(n, 2, FLT_MAX));
  if (n.op_type == "Silu" || !is_fusable_activation(n.op_type)) return std::nullopt;
  return std::vector<float>{};
}

std::optional<ActivationMatch> match_activation(const Graph& graph, const Node& producer) {
  const Value* x = producer.outputs.empty() ? nullptr : producer.outputs[0];
  if (x == nullptr || producer.outputs.size() != 1) return std::nullopt;
  if (graph.is_output(x)) return std::nullopt;
  if (auto silu = match_silu(graph, x)) return ActivationMatch{"Silu", {}, silu->mul, {silu->sigmoid, silu->mul}};
  if (auto gelu = match_gelu_erf(graph, x)) return ActivationMatch{"Gelu", {}, gelu->last, gelu->nodes};
  if (x->consumers.size() != 1) return std::nullopt;
  Node* act = x->consumers[0];
  if (!act->domain.empty() || act->outputs.size() != 1 || !only_feeds(graph, x, *act)) return std::nullopt;
  if (act->op_type != "Clip" && act->num_present_inputs() != 1) return std::nullopt;
  auto params = activation_params(*act);
  if (!params) return std::nullopt;
  return ActivationMatch{act->op_type, *params, act, {act}};
}

}  // namespace

Status fuse_activations(Graph& graph) {
  EDGE_RETURN_IF_ERROR(graph.finalize());
  std::unordered_set<const Node*> removed;
  for (const auto& node : graph.nodes()) {
    if (removed.count(node.get()) || !can_take_activation(*node)) continue;
    auto match = match_activation(graph, *node);
    if (!match) continue;
    make_fused(*node);
    node->attributes["activation"] = Attribute::of_string(match->name);
    node->attributes["activation_params"] = Attribute::of_floats(match->params);
    node->outputs[0] = match->last->outputs[0];
    node->outputs[0]->producer = node.get();
    for (Node* n : match->absorbed) removed.insert(n);
  }
  graph.remove_nodes_if([&](const Node& n) { return removed.count(&n) != 0; });
  return graph.finalize();
}

}  // namespace edgeserve
