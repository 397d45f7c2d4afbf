// MatMul - scale - Softmax - MatMul -> edgeserve.Attention.
#include "engine/passes/attention_fusion.h"

#include <cmath>
#include <optional>

#include "engine/ops/shape_util.h"
#include "engine/passes/fusion_util.h"

namespace edgeserve {

namespace {

bool is_op(const Node* n, const char* op) {
  return n != nullptr && n->domain.empty() && n->op_type == op && n->outputs.size() == 1 && n->outputs[0] != nullptr;
}

int rank_of(const Value* v) {
  if (v == nullptr || v->type.kind != ValueKind::kTensor || !v->type.dims) return -1;
  return static_cast<int>(v->type.dims->size());
}

// A float32 constant of one element whose rank does not exceed `rank` (so that multiplying by it
// keeps the other operand's shape), finite and non-zero.
std::optional<double> scalar_factor(const Value* v, int rank) {
  if (v == nullptr || !v->constant || v->constant->dtype() != DType::kFloat32) return std::nullopt;
  if (v->constant->num_elements() != 1 || static_cast<int>(v->constant->rank()) > rank) return std::nullopt;
  auto d = read_scalar_as_double(*v->constant);
  if (!d.is_ok() || !std::isfinite(d.value()) || d.value() == 0.0) return std::nullopt;
  return d.value();
}

// `n` is Div(x, c) or Mul(x, c) / Mul(c, x) with c a scalar factor: the factor it applies to x.
std::optional<double> scaling_of(const Node* n, const Value* x) {
  if (n == nullptr || n->inputs.size() != 2 || n->inputs[0] == n->inputs[1]) return std::nullopt;
  const int rank = rank_of(x);
  if (is_op(n, "Div") && n->inputs[0] == x) {
    auto c = scalar_factor(n->inputs[1], rank);
    if (c) return 1.0 / *c;
    return std::nullopt;
  }
  if (!is_op(n, "Mul")) return std::nullopt;
  if (n->inputs[0] == x) return scalar_factor(n->inputs[1], rank);
  if (n->inputs[1] == x) return scalar_factor(n->inputs[0], rank);
  return std::nullopt;
}

// The non-constant operand of a scaling node (null when `n` scales nothing).
Value* scaled_operand(const Node& n) {
  if (n.inputs.size() != 2) return nullptr;
  if (n.inputs[0] != nullptr && !n.inputs[0]->constant) return n.inputs[0];
  return n.inputs[1] != nullptr && !n.inputs[1]->constant ? n.inputs[1] : nullptr;
}

// Softmax over the last axis: axis -1 or rank-1 from opset 13; before 13 (softmax over the
// flattened trailing dims) only rank 2, where that is the last axis.
bool is_last_axis_softmax(const Node& sm) {
  if (!is_op(&sm, "Softmax") || sm.inputs.size() != 1 || sm.inputs[0] == nullptr) return false;
  const int rank = rank_of(sm.inputs[0]);
  if (rank < 2) return false;
  auto axis = sm.attr_int("axis", sm.opset >= 13 ? -1 : 1);
  if (!axis.is_ok()) return false;
  if (sm.opset < 13 && rank != 2) return false;
  return axis.value() == -1 || axis.value() == rank - 1;
}

struct AttentionMatch {
  Value* q = nullptr;
  Value* kt = nullptr;
  Value* v = nullptr;
  double scale = 1.0;
  Node* last = nullptr;  // the MatMul(P, V) whose output the fused node takes over
  std::vector<Node*> nodes;
};

// S = [scale](MatMul([scale](Q), Kt)): fills q, kt, scale and the nodes; false if S is not that.
bool match_scores(const Graph& graph, Node* producer, AttentionMatch& m) {
  Node* mm = producer;
  if (producer != nullptr && !is_op(producer, "MatMul")) {  // a scaling after the MatMul
    Value* x = scaled_operand(*producer);
    mm = x == nullptr ? nullptr : x->producer;
    if (!is_op(mm, "MatMul") || !only_feeds(graph, x, *producer)) return false;
    auto c = scaling_of(producer, x);
    if (!c) return false;
    m.scale *= *c;
    m.nodes.push_back(producer);
  }
  if (!is_op(mm, "MatMul") || mm->inputs.size() != 2 || mm->inputs[0] == nullptr || mm->inputs[1] == nullptr) {
    return false;
  }
  m.nodes.push_back(mm);
  m.q = mm->inputs[0];
  m.kt = mm->inputs[1];
  Node* pre = m.q->producer;
  if (pre != nullptr && only_feeds(graph, m.q, *mm) && (is_op(pre, "Div") || is_op(pre, "Mul"))) {
    Value* x = scaled_operand(*pre);
    auto c = x == nullptr ? std::nullopt : scaling_of(pre, x);
    if (c) {
      m.scale *= *c;
      m.q = x;
      m.nodes.push_back(pre);
    }
  }
  return true;
}

// Q, Kt, V float32 with one known rank >= 2.
bool operands_fit(const AttentionMatch& m) {
  const int rank = rank_of(m.q);
  for (const Value* v : {m.q, m.kt, m.v}) {
    if (v->type.dtype != DType::kFloat32 || rank_of(v) != rank) return false;
  }
  return rank >= 2;
}

std::optional<AttentionMatch> match_attention(const Graph& graph, Node& sm) {
  if (!is_last_axis_softmax(sm)) return std::nullopt;
  Value* s = sm.inputs[0];
  Value* p = sm.outputs[0];
  if (graph.is_output(p) || p->consumers.size() != 1) return std::nullopt;
  Node* pv = p->consumers[0];
  if (!is_op(pv, "MatMul") || pv->inputs.size() != 2 || pv->inputs[0] != p || pv->inputs[1] == p ||
      pv->inputs[1] == nullptr) {
    return std::nullopt;
  }
  if (!only_feeds(graph, s, sm)) return std::nullopt;
  AttentionMatch m;
  m.v = pv->inputs[1];
  m.last = pv;
  m.nodes = {&sm, pv};
  if (!match_scores(graph, s->producer, m) || !operands_fit(m)) return std::nullopt;
  if (!std::isfinite(static_cast<float>(m.scale))) return std::nullopt;
  return m;
}

std::unique_ptr<Node> make_attention(const AttentionMatch& m, const Node& sm) {
  auto node = std::make_unique<Node>();
  node->name = scoped_name(sm.name, "Attention");
  node->op_type = "Attention";
  node->domain = "edgeserve";
  node->opset = 1;
  node->attributes["scale"] = Attribute::of_float(static_cast<float>(m.scale));
  node->inputs = {m.q, m.kt, m.v};
  node->outputs = {m.last->outputs[0]};
  return node;
}

}  // namespace

Status fuse_attention(Graph& graph) {
  return replace_matches(
      graph, graph.nodes(), [&](Node& n) { return match_attention(graph, n); },
      [](Node& n, const AttentionMatch& m) { return make_attention(m, n); });
}

}  // namespace edgeserve
