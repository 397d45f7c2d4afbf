// Decomposed LayerNorm -> LayerNormalization.
#include "engine/passes/layernorm_fusion.h"

#include <cmath>
#include <optional>

#include "engine/ops/shape_util.h"
#include "engine/passes/fusion_util.h"

namespace edgeserve {

namespace {

// LayerNormalization's first ai.onnx opset. A model importing an older opset gets the same op
// in the edgeserve domain instead: an opset-17 node inside an opset-13 model would not load
// back after `edgeserve optimize` writes it.
constexpr int64_t kLayerNormOpset = 17;

bool is_op(const Node* n, const char* op) {
  return n != nullptr && n->domain.empty() && n->op_type == op && n->outputs.size() == 1 && n->outputs[0] != nullptr;
}

// The single consumer of `v` when it is op `op` and nothing else reads v.
Node* sole_consumer(const Graph& graph, const Value* v, const char* op) {
  if (v == nullptr || v->consumers.size() != 1) return nullptr;
  Node* n = v->consumers[0];
  return is_op(n, op) && only_feeds(graph, v, *n) ? n : nullptr;
}

// The operand of binary `n` other than `v`, or null if `v` is not exactly one of its operands.
Value* other_operand(const Node& n, const Value* v) {
  if (n.inputs.size() != 2) return nullptr;
  if (n.inputs[0] == v && n.inputs[1] != v) return n.inputs[1];
  if (n.inputs[1] == v && n.inputs[0] != v) return n.inputs[0];
  return nullptr;
}

std::optional<double> scalar_constant(const Value* v) {
  if (v == nullptr || !v->constant || v->constant->num_elements() != 1) return std::nullopt;
  auto d = read_scalar_as_double(*v->constant);
  if (!d.is_ok()) return std::nullopt;
  return d.value();
}

// ReduceMean's axes: the attribute before opset 18, a constant input from 18.
std::optional<std::vector<int64_t>> reduce_axes(const Node& rm) {
  if (rm.opset < 18) {
    if (rm.inputs.size() != 1) return std::nullopt;
    auto axes = rm.attr_ints("axes");  // missing: every axis, which is not a LayerNorm
    if (!axes.is_ok()) return std::nullopt;
    return axes.value();
  }
  if (rm.inputs.size() != 2 || !rm.has_input(1) || !rm.inputs[1]->constant) return std::nullopt;
  auto axes = read_int_values(*rm.inputs[1]->constant);
  if (!axes.is_ok()) return std::nullopt;
  return axes.value();
}

// `rm` is ReduceMean(x) over x's last axis alone, keeping dims.
bool is_last_axis_mean(const Node* rm, const Value* x) {
  if (!is_op(rm, "ReduceMean") || rm->inputs.empty() || rm->inputs[0] != x) return false;
  auto keep = rm->attr_int("keepdims", 1);
  auto axes = reduce_axes(*rm);
  if (!keep.is_ok() || keep.value() != 1 || !axes || axes->size() != 1) return false;
  const int64_t axis = (*axes)[0];
  return axis == -1 || (x->type.dims && axis == static_cast<int64_t>(x->type.dims->size()) - 1);
}

// Pow(d, 2) or Mul(d, d).
bool is_square(const Node* n, const Value* d) {
  if (is_op(n, "Mul")) return n->inputs.size() == 2 && n->inputs[0] == d && n->inputs[1] == d;
  if (!is_op(n, "Pow") || n->inputs.size() != 2 || n->inputs[0] != d) return false;
  auto e = scalar_constant(n->inputs[1]);
  return e && *e == 2.0;
}

// The last dim of a float32 x, or -1 when it is unknown (a [C] scale needs it to be C).
int64_t channels(const Value* x) {
  if (x->type.dtype != DType::kFloat32 || !x->type.dims || x->type.dims->empty()) return -1;
  const Dim& c = x->type.dims->back();
  return c.is_known() && c.value > 0 ? c.value : -1;
}

// A float32 constant of C values laid along the last axis ([C], [1, C], ...), no higher in
// rank than x, so that multiplying or adding it keeps x's shape.
bool is_channel_param(const Value* p, int64_t c, size_t x_rank) {
  if (p == nullptr || !p->constant || p->constant->dtype() != DType::kFloat32) return false;
  const Tensor& t = *p->constant;
  if (t.num_elements() != c || t.rank() > x_rank) return false;
  for (size_t i = 0; i + 1 < t.rank(); ++i) {
    if (t.dim(i) != 1) return false;
  }
  return true;
}

struct LayerNormMatch {
  Value* x = nullptr;
  float epsilon = 0.f;
  Value* scale = nullptr;  // null: the pattern has no Mul
  Value* bias = nullptr;   // null: the pattern has no Add
  Node* last = nullptr;    // the node whose output the LayerNormalization takes over
  std::vector<Node*> nodes;
};

// d = x - mean is read by exactly the squaring node and Div(d, std); both are returned.
bool centered_readers(const Graph& graph, const Value* d, Node** square, Node** div) {
  if (graph.is_output(d)) return false;
  for (Node* c : d->consumers) {
    if (is_op(c, "Div") && c->inputs.size() == 2 && c->inputs[0] == d && c->inputs[1] != d) {
      if (*div != nullptr && *div != c) return false;
      *div = c;
    } else if (is_square(c, d)) {
      if (*square != nullptr && *square != c) return false;
      *square = c;
    } else {
      return false;
    }
  }
  if (*square == nullptr || *div == nullptr) return false;
  return d->consumers.size() == ((*square)->op_type == "Mul" ? 3u : 2u);  // Mul(d, d) reads d twice
}

// square -> ReduceMean -> Add(eps) -> Sqrt -> input 1 of `div`; appends the nodes to `m`.
bool match_deviation(const Graph& graph, Node* square, Node* div, LayerNormMatch& m) {
  Node* var = sole_consumer(graph, square->outputs[0], "ReduceMean");
  if (var == nullptr || !is_last_axis_mean(var, square->outputs[0])) return false;
  Node* add = sole_consumer(graph, var->outputs[0], "Add");
  if (add == nullptr) return false;
  auto eps = scalar_constant(other_operand(*add, var->outputs[0]));
  if (!eps || !std::isfinite(*eps) || *eps < 0) return false;
  Node* sqrt = sole_consumer(graph, add->outputs[0], "Sqrt");
  if (sqrt == nullptr || sole_consumer(graph, sqrt->outputs[0], "Div") != div || div->inputs[1] != sqrt->outputs[0]) {
    return false;
  }
  m.epsilon = static_cast<float>(*eps);
  m.nodes.insert(m.nodes.end(), {square, var, add, sqrt, div});
  return true;
}

// The optional Mul(scale) then Add(bias) after the Div; a node whose operand is not a channel
// constant ends the pattern before it (it then stays as it is).
void match_affine(const Graph& graph, int64_t c, LayerNormMatch& m) {
  const size_t rank = m.x->type.dims->size();
  if (Node* mul = sole_consumer(graph, m.last->outputs[0], "Mul")) {
    Value* scale = other_operand(*mul, m.last->outputs[0]);
    if (is_channel_param(scale, c, rank)) {
      m.scale = scale;
      m.last = mul;
      m.nodes.push_back(mul);
    }
  }
  if (Node* add = sole_consumer(graph, m.last->outputs[0], "Add")) {
    Value* bias = other_operand(*add, m.last->outputs[0]);
    if (is_channel_param(bias, c, rank)) {
      m.bias = bias;
      m.last = add;
      m.nodes.push_back(add);
    }
  }
}

std::optional<LayerNormMatch> match_layernorm(const Graph& graph, Node& mean) {
  if (!is_op(&mean, "ReduceMean") || mean.inputs.empty()) return std::nullopt;
  LayerNormMatch m;
  m.x = mean.inputs[0];
  const int64_t c = m.x == nullptr ? -1 : channels(m.x);
  if (c < 0 || !is_last_axis_mean(&mean, m.x)) return std::nullopt;
  Node* sub = sole_consumer(graph, mean.outputs[0], "Sub");
  if (sub == nullptr || sub->inputs.size() != 2 || sub->inputs[0] != m.x || sub->inputs[1] != mean.outputs[0]) {
    return std::nullopt;
  }
  Node* square = nullptr;
  Node* div = nullptr;
  if (!centered_readers(graph, sub->outputs[0], &square, &div)) return std::nullopt;
  m.nodes = {&mean, sub};
  if (!match_deviation(graph, square, div, m)) return std::nullopt;
  m.last = div;
  match_affine(graph, c, m);
  return m;
}

// Scale or B as the [C] constant LayerNormalization takes; `p` null gives `fill` everywhere.
Value* channel_constant(Graph& graph, Value* p, int64_t c, const std::string& base, float fill) {
  if (p == nullptr) {
    return add_constant(graph, base, Tensor::from_vector<float>({c}, std::vector<float>(static_cast<size_t>(c), fill)));
  }
  if (p->constant->rank() == 1) return p;
  return add_constant(graph, p->name + "_1d", p->constant->reshaped({c}));
}

std::unique_ptr<Node> make_layernorm(Graph& graph, const LayerNormMatch& m, const Node& mean) {
  auto node = std::make_unique<Node>();
  node->name = scoped_name(mean.name, "LayerNormalization");
  node->op_type = "LayerNormalization";
  if (mean.opset >= kLayerNormOpset) {
    node->opset = mean.opset;
  } else {
    node->domain = "edgeserve";
    node->opset = 1;
  }
  node->attributes["axis"] = Attribute::of_int(-1);
  node->attributes["epsilon"] = Attribute::of_float(m.epsilon);
  const int64_t c = channels(m.x);
  node->inputs = {m.x, channel_constant(graph, m.scale, c, node->name + "_scale", 1.f)};
  if (m.bias != nullptr) node->inputs.push_back(channel_constant(graph, m.bias, c, node->name + "_bias", 0.f));
  node->outputs = {m.last->outputs[0]};
  return node;
}

}  // namespace

Status fuse_layernorms(Graph& graph) {
  return replace_matches(
      graph, graph.nodes(), [&](Node& n) { return match_layernorm(graph, n); },
      [&](Node& n, const LayerNormMatch& m) { return make_layernorm(graph, m, n); });
}

}  // namespace edgeserve
