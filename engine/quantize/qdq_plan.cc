// QDQ planning (see qdq_plan.h): the decisions, kept apart from the graph surgery.
#include "engine/quantize/qdq_plan.h"

#include <algorithm>

#include "common/strings.h"

namespace edgeserve::quant {

namespace {

template <typename T>
T or_default(const Result<T>& r, T fallback) {
  return r.is_ok() ? r.value() : fallback;
}

bool is_float(const Value* v) { return v != nullptr && v->type.dtype == DType::kFloat32; }
bool is_activation(const Value* v) { return is_float(v) && !v->constant; }
bool is_const(const Value* v) { return is_float(v) && v->constant.has_value(); }

// Ops that move or select values without arithmetic: their output reuses the input's scale.
bool is_passthrough_op(const std::string& op) {
  static const std::set<std::string> kOps = {"MaxPool", "Reshape", "Flatten", "Transpose", "Resize",
                                             "Squeeze", "Unsqueeze", "Slice", "Split", "DepthToSpace",
                                             "SpaceToDepth", "Pad", "Identity"};
  return kOps.count(op) != 0;
}

// Activations folded into the node before them (an int8 kernel applies them before requantizing,
// as the fusion passes do in float): the pair goes after them. Quantizing a pre-activation
// instead wastes levels on values the activation flattens (YOLOX's SiLU inputs reach -115).
bool is_foldable_activation(const Node& n) {
  static const std::set<std::string> kOps = {"Relu", "Clip", "LeakyRelu", "HardSwish", "HardSigmoid", "Sigmoid", "Tanh"};
  return n.domain.empty() && kOps.count(n.op_type) != 0;
}

bool folds_activation(const std::string& op) {
  return op == "Conv" || op == "Gemm" || op == "MatMul" || op == "Add";
}

// Whether `n` has the inputs its quantized form needs: float activations, constant weights.
bool inputs_fit(const Node& n) {
  if (!n.domain.empty() || n.inputs.empty() || n.outputs.empty() || !is_float(n.outputs[0])) return false;
  const std::string& op = n.op_type;
  if (op == "Conv") {
    return is_activation(n.inputs[0]) && n.has_input(1) && is_const(n.inputs[1]) &&
           (!n.has_input(2) || is_const(n.inputs[2]));
  }
  if (op == "Gemm") return is_activation(n.inputs[0]) && n.has_input(1) && is_const(n.inputs[1]);
  if (op == "MatMul" || op == "Add" || op == "Mul") {
    return n.num_present_inputs() == 2 && is_float(n.inputs[0]) && is_float(n.inputs[1]) &&
           (is_activation(n.inputs[0]) || is_activation(n.inputs[1]));
  }
  if (op == "Concat") {
    return std::all_of(n.inputs.begin(), n.inputs.end(), [](const Value* v) { return is_activation(v); });
  }
  return is_activation(n.inputs[0]);  // pools
}

bool is_graph_output(const Graph& g, const Value* v) {
  return std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end();
}

bool kept(const QdqOptions& options, const Node* n) { return options.keep_fp32.count(n->name) != 0; }

// SiLU written as Mul(x, Sigmoid(x)) on `out`, the Sigmoid's output read by the Mul alone.
std::vector<const Node*> silu_after(const Graph& g, const Value* out, const QdqOptions& options) {
  if (out->consumers.size() != 2) return {};
  const Node* sig = out->consumers[0]->op_type == "Sigmoid" ? out->consumers[0] : out->consumers[1];
  const Node* mul = sig == out->consumers[0] ? out->consumers[1] : out->consumers[0];
  if (sig->op_type != "Sigmoid" || mul->op_type != "Mul" || !sig->domain.empty() || !mul->domain.empty()) return {};
  const Value* s = sig->outputs[0];
  if (s == nullptr || s->consumers.size() != 1 || s->consumers[0] != mul || is_graph_output(g, s)) return {};
  const bool wired = mul->inputs.size() == 2 && ((mul->inputs[0] == out && mul->inputs[1] == s) ||
                                                 (mul->inputs[1] == out && mul->inputs[0] == s));
  if (!wired || kept(options, sig) || kept(options, mul) || !is_float(mul->outputs[0])) return {};
  return {sig, mul};
}

// The activation nodes the node's output pair moves past: one activation that is the output's
// only reader, or a SiLU pattern; none when the output is also a graph output.
std::vector<const Node*> folded_activation(const Graph& g, const Node& n, const QdqOptions& options) {
  const Value* out = n.outputs[0];
  if (!folds_activation(n.op_type) || is_graph_output(g, out)) return {};
  if (out->consumers.size() == 1) {
    const Node* act = out->consumers[0];
    if (is_foldable_activation(*act) && !kept(options, act) && act->inputs[0] == out && is_float(act->outputs[0])) {
      return {act};
    }
    return {};
  }
  return silu_after(g, out, options);
}

void plan_gemm_consts(const Node& n, bool per_channel, QdqPlan& plan) {
  const int64_t trans_b = or_default<int64_t>(n.attr_int("transB", 0), 0);
  plan.consts.push_back({&n, 1, ConstRole::kWeight, per_channel ? (trans_b ? 0 : 1) : -1});
  const bool unit = or_default(n.attr_float("alpha", 1.0f), 0.0f) == 1.0f && or_default(n.attr_float("beta", 1.0f), 0.0f) == 1.0f;
  const Value* c = n.has_input(2) ? n.inputs[2] : nullptr;
  const auto& w_dims = n.inputs[1]->constant->dims();
  if (unit && is_const(c) && c->constant->rank() == 1 && w_dims.size() == 2 &&
      c->constant->dim(0) == w_dims[trans_b ? 0 : 1]) {
    plan.consts.push_back({&n, 2, ConstRole::kBias, -1, 0, 1});
  }
}

// Activation inputs and constant operands of one quantized node.
void plan_inputs(const Node& n, bool per_channel, QdqPlan& plan) {
  const std::string& op = n.op_type;
  if (op == "Conv") {
    plan.activations[n.inputs[0]->name] = n.inputs[0]->name;
    plan.consts.push_back({&n, 1, ConstRole::kWeight, per_channel ? 0 : -1});
    if (n.has_input(2)) plan.consts.push_back({&n, 2, ConstRole::kBias, -1, 0, 1});
    return;
  }
  if (op == "Gemm") {
    plan.activations[n.inputs[0]->name] = n.inputs[0]->name;
    plan_gemm_consts(n, per_channel, plan);
    return;
  }
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    const Value* v = n.inputs[i];
    if (is_activation(v)) {
      plan.activations[v->name] = v->name;
    } else if (is_const(v) && op == "MatMul" && i == 1 && v->constant->rank() >= 2) {
      plan.consts.push_back({&n, i, ConstRole::kWeight, per_channel ? static_cast<int64_t>(v->constant->rank()) - 1 : -1});
    } else if (is_const(v) && op != "Concat" && (i == 0 || op != "AveragePool")) {
      plan.consts.push_back({&n, i, ConstRole::kConstantU8, -1});
    }
  }
}

void tie_concats(QdqPlan& plan, const std::map<const Node*, std::string>& out_of) {
  for (const Node* n : plan.quantized) {
    if (n->op_type != "Concat") continue;
    for (const Value* in : n->inputs) plan.activations[in->name] = out_of.at(n);
  }
}

void tie_passthroughs(const Graph& g, const QdqOptions& options, QdqPlan& plan) {
  for (const auto& n : g.nodes()) {
    if (!n->domain.empty() || !is_passthrough_op(n->op_type) || options.keep_fp32.count(n->name)) continue;
    if (n->inputs.empty() || !is_activation(n->inputs[0])) continue;
    auto it = plan.activations.find(n->inputs[0]->name);
    if (it == plan.activations.end()) continue;
    const std::string source = it->second;
    plan.passthrough.insert(n.get());
    for (const Value* out : n->outputs) {
      if (is_activation(out)) plan.activations[out->name] = source;
    }
  }
}

// The Mul of a SiLU, Mul(x, Sigmoid(x)), left behind when the node before it stays FP32: its
// operands are a pre-activation and a probability, two ranges no single int8 Mul serves well.
bool is_silu_mul(const Node& n) {
  if (n.op_type != "Mul" || n.inputs.size() != 2) return false;
  for (int i = 0; i < 2; ++i) {
    const Node* sig = n.inputs[i] != nullptr ? n.inputs[i]->producer : nullptr;
    if (sig != nullptr && sig->op_type == "Sigmoid" && sig->domain.empty() && sig->inputs[0] == n.inputs[1 - i]) return true;
  }
  return false;
}

// Whether the tensor's pair would have a quantized reader: a quantized node, or a pass-through
// op whose own output has one. A pair nothing reads as int8 only adds rounding noise.
bool read_quantized(const Value* v, const QdqPlan& plan, const std::set<const Node*>& quantized, int depth = 0) {
  if (depth > 64) return true;  // deep pass-through chains: keep the pair rather than recurse on
  for (const Node* c : v->consumers) {
    if (quantized.count(c)) return true;
    if (!plan.passthrough.count(c)) continue;
    for (const Value* out : c->outputs) {
      if (out != nullptr && plan.activations.count(out->name) && read_quantized(out, plan, quantized, depth + 1)) return true;
    }
  }
  return false;
}

bool is_weighted(const Node& n) {
  return (n.op_type == "Conv" || n.op_type == "Gemm" || n.op_type == "MatMul") && inputs_fit(n) &&
         (n.op_type != "MatMul" || is_const(n.inputs[1]));
}

}  // namespace

std::set<std::string> sensitive_end_nodes(const Graph& graph) {
  std::set<std::string> out;
  for (const Value* in : graph.inputs) {
    for (const Node* n : in->consumers) {
      if (n->domain.empty() && is_weighted(*n)) out.insert(n->name);
    }
  }
  std::vector<const Node*> stack;
  std::set<const Node*> seen;
  for (const Value* v : graph.outputs) {
    if (v->producer != nullptr) stack.push_back(v->producer);
  }
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (!seen.insert(n).second) continue;
    if (n->domain.empty() && is_quantizable_op(n->op_type) && inputs_fit(*n)) out.insert(n->name);
    if (n->domain.empty() && is_weighted(*n)) continue;
    for (const Value* in : n->inputs) {
      if (is_activation(in) && in->producer != nullptr) stack.push_back(in->producer);
    }
  }
  return out;
}

bool is_quantizable_op(const std::string& op) {
  static const std::set<std::string> kOps = {"Conv", "MatMul", "Gemm", "Add", "Mul", "Concat", "AveragePool",
                                             "GlobalAveragePool"};
  return kOps.count(op) != 0;
}

Result<QdqPlan> plan_qdq(const Graph& graph, const QdqOptions& requested) {
  std::set<std::string> names;
  for (const auto& n : graph.nodes()) names.insert(n->name);
  for (const auto& [name, reason] : requested.keep_fp32) {
    if (!names.count(name)) return not_found(str_cat("--exclude: the model has no node named '", name, "'"));
  }
  QdqOptions options = requested;
  if (options.keep_ends_fp32) {
    for (const std::string& name : sensitive_end_nodes(graph)) options.keep_fp32.emplace(name, KeepReason::kSensitive);
  }
  QdqPlan plan;
  std::map<const Node*, std::string> out_of;
  std::set<const Node*> folded;
  for (const auto& n : graph.nodes()) {
    auto keep = options.keep_fp32.find(n->name);
    if (keep != options.keep_fp32.end()) {
      plan.kept_fp32[n->name] = keep->second;
      continue;
    }
    if (folded.count(n.get()) || !is_quantizable_op(n->op_type) || !inputs_fit(*n) || is_silu_mul(*n)) continue;
    plan.quantized.push_back(n.get());
    plan_inputs(*n, options.per_channel, plan);
    const Value* out = n->outputs[0];
    for (const Node* act : folded_activation(graph, *n, options)) {
      folded.insert(act);
      plan.passthrough.insert(act);
      out = act->outputs[0];
    }
    plan.activations[out->name] = out->name;
    out_of[n.get()] = out->name;
    auto& tensors = plan.tensors_of[n->name];
    tensors.output = out->name;
    for (const Value* in : n->inputs) {
      if (is_activation(in)) tensors.inputs.push_back(in->name);
    }
  }
  tie_concats(plan, out_of);
  tie_passthroughs(graph, options, plan);
  // A pair no quantized node reads would only add noise (graph outputs stay FP32).
  const std::set<const Node*> quantized(plan.quantized.begin(), plan.quantized.end());
  std::vector<std::string> unread;
  for (const auto& [tensor, source] : plan.activations) {
    if (!read_quantized(graph.find_value(tensor), plan, quantized)) unread.push_back(tensor);
  }
  for (const std::string& tensor : unread) plan.activations.erase(tensor);
  return plan;
}

}  // namespace edgeserve::quant
