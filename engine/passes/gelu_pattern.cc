// GELU (Erf form) pattern matching.
#include "engine/passes/gelu_pattern.h"

#include <cmath>

#include "engine/ops/shape_util.h"
#include "engine/passes/fusion_util.h"

namespace edgeserve {

namespace {

bool is_op(const Node* n, const char* op) {
  return n != nullptr && n->domain.empty() && n->op_type == op && n->outputs.size() == 1 && n->outputs[0] != nullptr;
}

// The operand of binary `n` other than `v`, or null if `v` is not exactly one of its operands.
const Value* other_operand(const Node& n, const Value* v) {
  if (n.inputs.size() != 2) return nullptr;
  if (n.inputs[0] == v && n.inputs[1] != v) return n.inputs[1];
  if (n.inputs[1] == v && n.inputs[0] != v) return n.inputs[0];
  return nullptr;
}

bool is_scalar(const Value* v, double expected) {
  if (v == nullptr || !v->constant || v->constant->num_elements() != 1) return false;
  auto d = read_scalar_as_double(*v->constant);
  return d.is_ok() && std::fabs(d.value() - expected) < 1e-4 * std::fabs(expected);
}

// The single consumer of `v` when it is op `op` and nothing else reads v.
Node* sole_consumer(const Graph& graph, const Value* v, const char* op) {
  if (v == nullptr || v->consumers.size() != 1) return nullptr;
  Node* n = v->consumers[0];
  return is_op(n, op) && only_feeds(graph, v, *n) ? n : nullptr;
}

// From the scaling node (x / sqrt2 or x * 1/sqrt2) to the Add(erf, 1) node.
Node* erf_plus_one(const Graph& graph, const Node& scale) {
  Node* erf = sole_consumer(graph, scale.outputs[0], "Erf");
  if (erf == nullptr) return nullptr;
  Node* add = sole_consumer(graph, erf->outputs[0], "Add");
  return add != nullptr && is_scalar(other_operand(*add, erf->outputs[0]), 1.0) ? add : nullptr;
}

bool is_input_scaling(const Node* n, const Value* x) {
  if (is_op(n, "Div") && n->inputs.size() == 2 && n->inputs[0] == x) return is_scalar(n->inputs[1], std::sqrt(2.0));
  return is_op(n, "Mul") && is_scalar(other_operand(*n, x), 1.0 / std::sqrt(2.0));
}

}  // namespace

std::optional<GeluMatch> match_gelu_erf(const Graph& graph, const Value* x) {
  if (x == nullptr || x->consumers.size() != 2) return std::nullopt;
  for (int k = 0; k < 2; ++k) {
    Node* scale = x->consumers[k];
    Node* other = x->consumers[1 - k];  // Mul(x, 1 + erf) or Mul(x, 0.5)
    if (!is_input_scaling(scale, x) || !is_op(other, "Mul")) continue;
    Node* add = erf_plus_one(graph, *scale);
    if (add == nullptr) continue;
    const Value* other_in = other_operand(*other, x);
    if (other_in == add->outputs[0]) {  // Mul(x, 1 + erf) then Mul(., 0.5)
      if (!only_feeds(graph, add->outputs[0], *other)) continue;
      Node* half = sole_consumer(graph, other->outputs[0], "Mul");
      if (half == nullptr || !is_scalar(other_operand(*half, other->outputs[0]), 0.5)) continue;
      return GeluMatch{half, {scale, scale->outputs[0]->consumers[0], add, other, half}};
    }
    if (is_scalar(other_in, 0.5)) {  // Mul(x, 0.5) then Mul(., 1 + erf)
      Node* last = sole_consumer(graph, other->outputs[0], "Mul");
      if (last == nullptr || other_operand(*last, other->outputs[0]) != add->outputs[0]) continue;
      if (!only_feeds(graph, add->outputs[0], *last)) continue;
      return GeluMatch{last, {scale, scale->outputs[0]->consumers[0], add, other, last}};
    }
  }
  return std::nullopt;
}

}  // namespace edgeserve
