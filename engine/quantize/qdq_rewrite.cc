// QDQ graph surgery (see qdq_rewrite.h).
#include "engine/quantize/qdq_rewrite.h"

#include <set>

#include "common/strings.h"

namespace edgeserve::quant {

namespace {

TensorType type_of(const Tensor& t) {
  std::vector<Dim> dims;
  for (int64_t d : t.dims()) dims.push_back(Dim{d, ""});
  return TensorType{t.dtype(), dims};
}

class Rewriter {
 public:
  Rewriter(Model& model, const QdqPlan& plan) : graph_(*model.graph), plan_(plan) {
    auto it = model.opsets.find("");
    opset_ = it == model.opsets.end() ? 13 : it->second;
    for (const auto& n : graph_.nodes()) mutable_[n.get()] = n.get();
    for (const Node* n : plan.quantized) reads_quantized_.insert(n);
    reads_quantized_.insert(plan.passthrough.begin(), plan.passthrough.end());
  }

  Status run(const RangeMap& ranges);
  std::map<std::string, std::string> dequantized;  // tensor -> DQ output name

 private:
  std::string fresh_name(const std::string& base) const {
    std::string name = base;
    for (int i = 1; graph_.find_value(name) != nullptr; ++i) name = str_cat(base, "_", i);
    return name;
  }
  Value* add_const(const std::string& base, Tensor t) {
    Value* v = graph_.value(fresh_name(base));
    v->type = type_of(t);
    v->constant = std::move(t);
    return v;
  }
  Value* add_qdq_node(const std::string& op, Value* x, Value* scale, Value* zp, DType out_type, int64_t axis);
  Value* dequantized_const(const std::string& base, Tensor q, const std::vector<float>& scales, int64_t axis,
                           uint8_t zero_point = 0);
  Status quantize_const(const PlannedConst& c);
  void add_activation_pair(const std::string& tensor, ActivationParams p);

  Graph& graph_;
  const QdqPlan& plan_;
  int64_t opset_ = 13;
  std::map<const Node*, Node*> mutable_;
  std::set<const Node*> reads_quantized_;
  std::map<std::string, ActivationParams> params_;                   // activation tensor -> params
  std::map<std::pair<const Node*, size_t>, std::vector<float>> weight_scales_;
  std::map<std::pair<std::string, int64_t>, Value*> const_cache_;  // (constant, axis) -> DQ output
};

Value* Rewriter::add_qdq_node(const std::string& op, Value* x, Value* scale, Value* zp, DType out_type, int64_t axis) {
  auto node = std::make_unique<Node>();
  node->name = fresh_name(str_cat(x->name, "_", op));
  node->op_type = op;
  node->opset = opset_;
  node->inputs = {x, scale, zp};
  const std::string suffix = op == "QuantizeLinear" ? "_quantized" : "_dequantized";
  std::string base = x->name;
  if (op == "DequantizeLinear" && base.ends_with("_quantized")) base.resize(base.size() - 10);
  Value* y = graph_.value(fresh_name(base + suffix));
  y->type = TensorType{out_type, x->type.dims};
  node->outputs = {y};
  if (axis >= 0) node->attributes["axis"] = Attribute::of_int(axis);
  graph_.add_node(std::move(node));
  return y;
}

// A constant stored quantized: q -> DequantizeLinear(q, scales, zeros) -> float.
// `zero_point` is for uint8 constants; int8 weights and int32 biases are symmetric (zeros).
Value* Rewriter::dequantized_const(const std::string& base, Tensor q, const std::vector<float>& scales, int64_t axis,
                                   uint8_t zero_point) {
  const DType zp_type = q.dtype();
  const Dims param_dims = axis >= 0 ? Dims{static_cast<int64_t>(scales.size())} : Dims{};
  Tensor scale = Tensor::from_vector<float>(param_dims, scales);
  Tensor zp = Tensor::allocate(zp_type, param_dims).value();  // zeros: a few bytes, cannot fail
  if (zp_type == DType::kUint8) zp.mutable_data<uint8_t>()[0] = zero_point;
  Value* qv = add_const(base + "_quantized", std::move(q));
  Value* sv = add_const(base + "_scale", std::move(scale));
  Value* zv = add_const(base + "_zero_point", std::move(zp));
  return add_qdq_node("DequantizeLinear", qv, sv, zv, DType::kFloat32, axis);
}

Status Rewriter::quantize_const(const PlannedConst& c) {
  Node* node = mutable_.at(c.node);
  const Value* v = node->inputs[c.input];
  const Tensor& t = *v->constant;
  Value* dq = nullptr;
  if (c.role == ConstRole::kWeight) {
    EDGE_ASSIGN_OR_RETURN(QuantizedWeight w, quantize_weight(t, c.axis));
    weight_scales_[{c.node, c.input}] = w.scales;
    auto key = std::make_pair(v->name, c.axis);
    if (!const_cache_.count(key)) const_cache_[key] = dequantized_const(v->name, std::move(w.values), w.scales, c.axis);
    dq = const_cache_[key];
  } else if (c.role == ConstRole::kBias) {
    const ActivationParams x = params_.at(node->inputs[c.activation_input]->name);
    const auto& w_scales = weight_scales_.at({c.node, c.weight_input});
    std::vector<float> scales;
    EDGE_ASSIGN_OR_RETURN(Tensor q, quantize_bias(t, x.scale, w_scales, &scales));
    // A bias is quantized per node: its scale depends on the node's input scale.
    dq = dequantized_const(str_cat(v->name, "_", node->name), std::move(q), scales, w_scales.size() > 1 ? 0 : -1);
  } else {
    auto key = std::make_pair(v->name, int64_t{-1});
    if (!const_cache_.count(key)) {
      ActivationParams p;
      EDGE_ASSIGN_OR_RETURN(Tensor q, quantize_constant_u8(t, &p));
      const_cache_[key] = dequantized_const(v->name, std::move(q), {p.scale}, -1, p.zero_point);
    }
    dq = const_cache_[key];
  }
  node->inputs[c.input] = dq;
  return Status::ok();
}

void Rewriter::add_activation_pair(const std::string& tensor, ActivationParams p) {
  Value* t = graph_.find_value(tensor);
  const std::vector<Node*> consumers = t->consumers;  // before the Q node joins them
  const bool producer_quantized = t->producer != nullptr && reads_quantized_.count(t->producer);
  Value* scale = add_const(tensor + "_scale", Tensor::scalar<float>(p.scale));
  Value* zp = add_const(tensor + "_zero_point", Tensor::scalar<uint8_t>(p.zero_point));
  Value* q = add_qdq_node("QuantizeLinear", t, scale, zp, DType::kUint8, -1);
  Value* dq = add_qdq_node("DequantizeLinear", q, scale, zp, DType::kFloat32, -1);
  dequantized[tensor] = dq->name;
  for (Node* c : consumers) {
    if (!producer_quantized && !reads_quantized_.count(c)) continue;
    for (Value*& in : c->inputs) {
      if (in == t) in = dq;
    }
  }
}

Status Rewriter::run(const RangeMap& ranges) {
  for (const auto& [tensor, source] : plan_.activations) {
    auto it = ranges.find(source);
    if (it == ranges.end()) return internal_error(str_cat("no calibrated range for tensor '", source, "'"));
    params_[tensor] = activation_params(it->second);
  }
  // Weights first: a bias needs its weight's scales. Constants are rewired before activations,
  // while the nodes still read their original (named) inputs.
  for (ConstRole role : {ConstRole::kWeight, ConstRole::kBias, ConstRole::kConstantU8}) {
    for (const PlannedConst& c : plan_.consts) {
      if (c.role == role) EDGE_RETURN_IF_ERROR(quantize_const(c));
    }
  }
  for (const auto& [tensor, p] : params_) add_activation_pair(tensor, p);
  return graph_.finalize();
}

}  // namespace

Status apply_qdq(Model& model, const QdqPlan& plan, const RangeMap& ranges,
                 std::map<std::string, std::string>* dequantized) {
  Rewriter rewriter(model, plan);
  EDGE_RETURN_IF_ERROR(rewriter.run(ranges));
  if (dequantized != nullptr) *dequantized = std::move(rewriter.dequantized);
  return Status::ok();
}

}  // namespace edgeserve::quant
