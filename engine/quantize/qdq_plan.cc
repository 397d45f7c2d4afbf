// QDQ planning (see qdq_plan.h): the decisions, kept apart from the graph surgery.
#include "engine/quantize/qdq_plan.h"

#include <algorithm>
#include <iterator>

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

bool kept(const QdqOptions& options, const Node* n) { return options.keep_fp32.count(n->name) != 0; }

// The activation node the node's output pair moves past: one activation that is the output's
// only reader; none when the output is also a graph output.
std::vector<const Node*> folded_activation(const Graph& g, const Node& n, const QdqOptions& options) {
  const Value* out = n.outputs[0];
  if (!folds_activation(n.op_type) || g.is_output(out) || out->consumers.size() != 1) return {};
  const Node* act = out->consumers[0];
  if (is_foldable_activation(*act) && !kept(options, act) && act->inputs[0] == out && is_float(act->outputs[0])) {
    return {act};
  }
  return {};
}

// Whether every reader of `v` is Sigmoid(v) or the Mul of a SiLU, Mul(v, Sigmoid(v)).
bool read_by_sigmoids_only(const Value* v) {
  for (const Node* c : v->consumers) {
    if (!c->domain.empty()) return false;
    if (c->op_type == "Sigmoid" && c->inputs[0] == v) continue;
    const Node* sig = silu_sigmoid(*c);
    if (sig == nullptr || sig->inputs[0] != v) return false;
  }
  return !v->consumers.empty();
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

// Whether the tensor's pair would have a quantized reader: a quantized node, or a pass-through
// op whose own output has one.
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

// Drops the pairs that neither a quantized node reads nor a quantized (or pass-through) node
// writes: between two FP32 nodes a pair only adds rounding. Graph outputs keep FP32 as well.
// Returns whether any went.
bool drop_useless_pairs(const Graph& graph, QdqPlan& plan) {
  const std::set<const Node*> quantized(plan.quantized.begin(), plan.quantized.end());
  std::vector<std::string> useless;
  for (const auto& [tensor, source] : plan.activations) {
    const Value* v = graph.find_value(tensor);
    const bool written = v->producer != nullptr && (quantized.count(v->producer) || plan.passthrough.count(v->producer));
    if (graph.is_output(v) || !(written || read_quantized(v, plan, quantized))) useless.push_back(tensor);
  }
  for (const std::string& tensor : useless) plan.activations.erase(tensor);
  return !useless.empty();
}

// Takes `n` out of the quantized nodes. A Conv keeps its int8 weights (the size: QLinearConv
// writes int8 only, so a conv without an output pair runs in float anyway) with a float bias
// and input; any other node goes back to FP32 whole.
void demote(const Node* n, QdqPlan& plan) {
  std::erase(plan.quantized, n);
  const bool conv = n->op_type == "Conv";
  std::erase_if(plan.consts, [&](const PlannedConst& c) { return c.node == n && !(conv && c.role == ConstRole::kWeight); });
  plan.tensors_of.erase(n->name);
  if (conv) plan.weight_only.push_back(n);
}

// Demotes every quantized node `pred` picks, all chosen before any goes (the predicates read the
// plan as it was). Returns them.
template <typename Pred>
std::vector<const Node*> demote_if(QdqPlan& plan, Pred pred) {
  std::vector<const Node*> chosen;
  std::copy_if(plan.quantized.begin(), plan.quantized.end(), std::back_inserter(chosen), pred);
  for (const Node* n : chosen) demote(n, plan);
  return chosen;
}

// Demotes the quantized convs whose output has no pair. Returns whether any changed.
bool demote_convs_without_output_pair(QdqPlan& plan) {
  return !demote_if(plan, [&](const Node* n) {
            return n->op_type == "Conv" && !plan.activations.count(plan.tensors_of.at(n->name).output);
          }).empty();
}

// Demotes the quantized average pools whose output no quantized node reads. The average of
// uint8 values is finer than a uint8 step: requantizing it for a float reader only rounds, and
// rounding a classifier's pooled scores to 256 levels ties its top classes (SqueezeNet: 11 of
// 163 top-1 flips were exact ties). In float the pool costs about the same. Returns whether any
// changed.
bool demote_pools_read_in_float(const Graph& graph, QdqPlan& plan) {
  const std::set<const Node*> quantized(plan.quantized.begin(), plan.quantized.end());
  const std::vector<const Node*> demoted = demote_if(plan, [&](const Node* n) {
    if (n->op_type != "GlobalAveragePool" && n->op_type != "AveragePool") return false;
    return !read_quantized(graph.find_value(plan.tensors_of.at(n->name).output), plan, quantized);
  });
  for (const Node* n : demoted) plan.kept_fp32[n->name] = KeepReason::kFloatReaders;
  return !demoted.empty();
}

// QdqOptions::float_tensors: no pair on them (nor on what shares their range), and the quantized
// nodes reading them demoted.
void keep_tensors_float(const std::set<std::string>& float_tensors, QdqPlan& plan) {
  if (float_tensors.empty()) return;
  std::erase_if(plan.activations, [&](const auto& kv) { return float_tensors.count(kv.first) || float_tensors.count(kv.second); });
  demote_if(plan, [&](const Node* n) {
    return std::any_of(n->inputs.begin(), n->inputs.end(),
                       [&](const Value* in) { return in != nullptr && float_tensors.count(in->name); });
  });
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

const Node* silu_sigmoid(const Node& mul) {
  if (mul.op_type != "Mul" || !mul.domain.empty() || mul.inputs.size() != 2) return nullptr;
  for (int i = 0; i < 2; ++i) {
    const Node* sig = mul.inputs[i] != nullptr ? mul.inputs[i]->producer : nullptr;
    if (sig != nullptr && sig->op_type == "Sigmoid" && sig->domain.empty() && sig->inputs[0] == mul.inputs[1 - i]) return sig;
  }
  return nullptr;
}

bool is_quantizable_op(const std::string& op) {
  static const std::set<std::string> kOps = {"Conv", "MatMul", "Gemm", "Add", "Mul", "Concat", "AveragePool",
                                             "GlobalAveragePool", "Sigmoid"};
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
    if (folded.count(n.get()) || !is_quantizable_op(n->op_type) || !inputs_fit(*n)) continue;
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
  keep_tensors_float(options.float_tensors, plan);
  bool changed = true;
  while (changed) {
    changed = drop_useless_pairs(graph, plan);
    changed = demote_convs_without_output_pair(plan) || changed;
    changed = demote_pools_read_in_float(graph, plan) || changed;
  }
  for (const auto& [tensor, source] : plan.activations) {
    if (tensor == source && read_by_sigmoids_only(graph.find_value(tensor))) plan.range_floor[tensor] = kSigmoidInputFloor;
  }
  return plan;
}

}  // namespace edgeserve::quant
