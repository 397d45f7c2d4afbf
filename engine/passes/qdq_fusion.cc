// QDQ fusion: DequantizeLinear -> float op -> QuantizeLinear becomes the integer op.
#include "engine/passes/qdq_fusion.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <unordered_set>

#include "engine/ops/shape_util.h"
#include "engine/passes/fusion_util.h"

namespace edgeserve {

namespace {

constexpr const char* kMicrosoftDomain = "com.microsoft";
constexpr int64_t kMicrosoftOpset = 1;
constexpr const char* kEdgeserveDomain = "edgeserve";
constexpr int64_t kQLinearMinOpset = 10;     // QLinearConv and QLinearMatMul exist from opset 10
constexpr int64_t kIntMaxPoolMinOpset = 12;  // MaxPool takes int8/uint8 from opset 12
// A bias already quantized with a scale this close to x_scale * w_scale is used as it is.
constexpr double kBiasScaleTolerance = 1e-6;

bool is_onnx_op(const Node* n, const char* op) { return n != nullptr && n->domain.empty() && n->op_type == op; }
bool is_8bit(DType t) { return t == DType::kUint8 || t == DType::kInt8; }
const Tensor* constant_of(const Value* v) { return v != nullptr && v->constant ? &*v->constant : nullptr; }

int64_t type_min(DType t) { return t == DType::kUint8 ? 0 : -128; }
int64_t type_max(DType t) { return t == DType::kUint8 ? 255 : 127; }

// Element i of a numeric constant, exactly for every integer type up to 32 bits.
double element(const Tensor& t, int64_t i) {
  double v = 0;
  visit_dtype<float, double, int8_t, uint8_t, int16_t, uint16_t, int32_t, int64_t>(
      t.dtype(), [&](auto tag) { v = static_cast<double>(t.data<decltype(tag)>()[i]); });
  return v;
}

// Constant scale and zero point of a DQ or Q; `qtype` is its integer side.
struct QuantParams {
  Value* scale = nullptr;       // float32
  Value* zero_point = nullptr;  // of `qtype`; null when omitted (zero)
  DType qtype = DType::kUndefined;

  const Tensor& scales() const { return *scale->constant; }
  float scale_at(int64_t c) const { return scales().data<float>()[scales().num_elements() == 1 ? 0 : c]; }
  int64_t zero_point_at(int64_t c) const {
    if (zero_point == nullptr) return 0;
    const Tensor& z = *zero_point->constant;
    return static_cast<int64_t>(element(z, z.num_elements() == 1 ? 0 : c));
  }
};

// Per-channel layout a weight's parameters may have: `channels` values along `axis` of a tensor
// of rank `rank`. channels == 0: per tensor only.
struct ChannelAxis {
  int64_t channels = 0;
  int64_t axis = 0;
  int64_t rank = 0;
};

std::optional<QuantParams> read_params(const Node& n, DType qtype, const ChannelAxis& per_channel = {}) {
  const Tensor* scale = n.inputs.size() > 1 ? constant_of(n.inputs[1]) : nullptr;
  if (scale == nullptr || scale->dtype() != DType::kFloat32 || n.has_attr("block_size")) return std::nullopt;
  const Tensor* zp = n.has_input(2) ? constant_of(n.inputs[2]) : nullptr;
  if (n.has_input(2) && (zp == nullptr || zp->dtype() != qtype || zp->num_elements() != scale->num_elements())) {
    return std::nullopt;
  }
  QuantParams p{n.inputs[1], n.has_input(2) ? n.inputs[2] : nullptr, qtype};
  if (scale->num_elements() == 1 && scale->rank() <= 1) return p;
  if (per_channel.channels <= 0 || scale->rank() != 1 || scale->num_elements() != per_channel.channels) {
    return std::nullopt;
  }
  auto axis = n.attr_int("axis", 1);
  if (!axis.is_ok()) return std::nullopt;
  auto normalized = normalize_axis(axis.value(), per_channel.rank);
  if (!normalized.is_ok() || normalized.value() != per_channel.axis) return std::nullopt;
  return p;
}

// A DequantizeLinear producing an op's input, and the integer tensor it reads.
struct DqInput {
  Node* dq = nullptr;
  Value* quantized = nullptr;
  QuantParams params;
};

// Input `i` of `op` comes from a DQ of an 8-bit tensor with per-tensor parameters.
std::optional<DqInput> dq_input(const Node& op, size_t i) {
  if (!op.has_input(i)) return std::nullopt;
  Node* dq = op.inputs[i]->producer;
  if (!is_onnx_op(dq, "DequantizeLinear") || dq->inputs.empty() || dq->inputs[0] == nullptr) return std::nullopt;
  Value* q = dq->inputs[0];
  if (!is_8bit(q->type.dtype)) return std::nullopt;
  auto p = read_params(*dq, q->type.dtype);
  if (!p) return std::nullopt;
  return DqInput{dq, q, *p};
}

// Input `i` of `op` is a DQ of a constant 8-bit weight of rank `rank` (0: any), per tensor or per
// channel along `axis`.
std::optional<DqInput> dq_weight(const Node& op, size_t i, int64_t axis, int64_t rank = 0) {
  if (!op.has_input(i)) return std::nullopt;
  Node* dq = op.inputs[i]->producer;
  if (!is_onnx_op(dq, "DequantizeLinear") || dq->inputs.empty()) return std::nullopt;
  const Tensor* w = constant_of(dq->inputs[0]);
  if (w == nullptr || !is_8bit(w->dtype()) || static_cast<int64_t>(w->rank()) <= axis) return std::nullopt;
  if (rank > 0 && static_cast<int64_t>(w->rank()) != rank) return std::nullopt;
  const ChannelAxis per_channel{w->dim(static_cast<size_t>(axis)), axis, static_cast<int64_t>(w->rank())};
  auto p = read_params(*dq, w->dtype(), per_channel);
  if (!p) return std::nullopt;
  return DqInput{dq, dq->inputs[0], *p};
}

// The QuantizeLinear that alone reads an op's float output.
struct QOutput {
  Node* q = nullptr;
  Value* quantized = nullptr;
  QuantParams params;
};

std::optional<QOutput> q_output(const Graph& graph, Value* v) {
  if (v == nullptr || v->consumers.size() != 1) return std::nullopt;
  Node* q = v->consumers[0];
  if (!is_onnx_op(q, "QuantizeLinear") || q->inputs[0] != v || !only_feeds(graph, v, *q)) return std::nullopt;
  if (q->outputs.size() != 1 || q->outputs[0] == nullptr) return std::nullopt;
  const Tensor* zp = q->has_input(2) ? constant_of(q->inputs[2]) : nullptr;
  const DType qtype = zp != nullptr ? zp->dtype() : DType::kUint8;  // no zero point: uint8
  const DType declared = q->outputs[0]->type.dtype;
  if (!is_8bit(qtype) || (declared != DType::kUndefined && declared != qtype)) return std::nullopt;
  auto p = read_params(*q, qtype);
  if (!p) return std::nullopt;
  return QOutput{q, q->outputs[0], *p};
}

// Bounds of a Relu or of a Clip with constant bounds.
std::optional<std::pair<float, float>> activation_bounds(const Node& act) {
  const float inf = std::numeric_limits<float>::infinity();
  if (act.op_type == "Relu") return std::pair{0.f, inf};
  if (act.opset < 11) {
    auto lo = act.attr_float("min", -inf);
    auto hi = act.attr_float("max", inf);
    if (!lo.is_ok() || !hi.is_ok()) return std::nullopt;
    return std::pair{lo.value(), hi.value()};
  }
  std::pair<float, float> bounds{-inf, inf};
  for (size_t i : {size_t{1}, size_t{2}}) {
    if (!act.has_input(i)) continue;
    const Tensor* t = constant_of(act.inputs[i]);
    if (t == nullptr || t->num_elements() != 1 || t->dtype() != DType::kFloat32) return std::nullopt;
    (i == 1 ? bounds.first : bounds.second) = t->data<float>()[0];
  }
  return bounds;
}

// Q(act(x)) == Q(x) for every x: Q is monotone, so it is enough that Q maps the activation's
// bounds to the ends of its type, where it saturates anyway.
bool absorbed_by_q(const Node& act, const QOutput& y) {
  auto bounds = activation_bounds(act);
  const float s = y.params.scale_at(0);
  if (!bounds || !(s > 0) || !std::isfinite(s)) return false;
  const double zp = static_cast<double>(y.params.zero_point_at(0));
  const auto quantize = [&](float v) { return static_cast<double>(std::nearbyint(v / s)) + zp; };
  return quantize(bounds->first) <= static_cast<double>(type_min(y.params.qtype)) &&
         quantize(bounds->second) >= static_cast<double>(type_max(y.params.qtype));
}

// The Q after an op: directly, or through a Relu/Clip it makes redundant (removed with it; ONNX
// Runtime drops such an activation before fusing, whatever produces it).
struct ActivatedOutput {
  QOutput y;
  Node* activation = nullptr;
};

std::optional<ActivatedOutput> activated_output(const Graph& graph, const Node& op) {
  Value* out = op.outputs[0];
  if (auto y = q_output(graph, out)) return ActivatedOutput{*y, nullptr};
  if (out->consumers.size() != 1) return std::nullopt;
  Node* act = out->consumers[0];
  if (!is_onnx_op(act, "Relu") && !is_onnx_op(act, "Clip")) return std::nullopt;
  if (act->inputs[0] != out || !only_feeds(graph, out, *act) || act->outputs.size() != 1) return std::nullopt;
  auto y = q_output(graph, act->outputs[0]);
  if (!y || !absorbed_by_q(*act, *y)) return std::nullopt;
  return ActivatedOutput{*y, act};
}

// Conv -> SiLU written Mul(x, Sigmoid(x)) -> Q, the conv output and the Sigmoid's read by those
// nodes alone: edgeserve.QLinearConv with activation "Silu" (the int8 conv applies SiLU to the
// real-valued accumulator before requantizing; ONNX Runtime runs this pattern as a float conv).
struct SiluOutput {
  QOutput y;
  Node* sigmoid = nullptr;
  Node* mul = nullptr;
};

std::optional<SiluOutput> silu_output(const Graph& graph, const Node& op) {
  const Value* out = op.outputs[0];
  if (graph.is_output(out)) return std::nullopt;
  auto silu = match_silu(graph, out);
  if (!silu || silu->mul->outputs.size() != 1) return std::nullopt;
  auto y = q_output(graph, silu->mul->outputs[0]);
  if (!y) return std::nullopt;
  return SiluOutput{*y, silu->sigmoid, silu->mul};
}

// A Conv bias as QLinearConv wants it: int32 with scale x_scale * w_scale[c] and zero point 0.
struct ConvBias {
  Value* value = nullptr;
  Node* dq = nullptr;  // the bias's DQ, if it had one
};

bool bias_already_quantized(const Tensor& q, const QuantParams& p, const std::vector<float>& expected) {
  if (q.dtype() != DType::kInt32) return false;
  for (size_t c = 0; c < expected.size(); ++c) {
    const int64_t ci = static_cast<int64_t>(c);
    if (p.zero_point_at(ci) != 0) return false;
    const double diff = std::fabs(static_cast<double>(p.scale_at(ci)) - expected[c]);
    if (diff > kBiasScaleTolerance * std::fabs(static_cast<double>(expected[c]))) return false;
  }
  return true;
}

// Rounds half to even and saturates, as ONNX Runtime's quantizer rounds a bias.
Tensor requantize_bias(const std::vector<float>& values, const std::vector<float>& scales) {
  Tensor t = Tensor::allocate(DType::kInt32, {static_cast<int64_t>(values.size())}).value();
  for (size_t c = 0; c < values.size(); ++c) {
    const double r = std::nearbyint(values[c] / scales[c]);
    const double lo = std::numeric_limits<int32_t>::lowest();
    const double hi = std::numeric_limits<int32_t>::max();
    t.mutable_data<int32_t>()[c] = std::isnan(r) ? 0 : static_cast<int32_t>(std::clamp(r, lo, hi));
  }
  return t;
}

// `channels` int32 values with scale x_scale * w_scale[c] (the output channels of a Conv, the
// columns of a Gemm); `exact_only`: only a DQ of an int32 bias already quantized that way.
std::optional<ConvBias> quantized_bias(Graph& graph, Value* b, const DqInput& x, const DqInput& w, int64_t channels,
                                       bool exact_only = false) {
  std::vector<float> expected(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    expected[static_cast<size_t>(c)] = x.params.scale_at(0) * w.params.scale_at(c);
    if (!(expected[static_cast<size_t>(c)] > 0) || !std::isfinite(expected[static_cast<size_t>(c)])) return std::nullopt;
  }
  std::vector<float> values(static_cast<size_t>(channels));
  Node* dq = b->producer;
  if (const Tensor* f = constant_of(b)) {
    if (exact_only || f->dtype() != DType::kFloat32 || f->rank() != 1 || f->num_elements() != channels) return std::nullopt;
    values.assign(f->data<float>(), f->data<float>() + channels);
    dq = nullptr;
  } else if (is_onnx_op(dq, "DequantizeLinear")) {
    const Tensor* q = constant_of(dq->inputs[0]);
    if (q == nullptr || !is_integer_dtype(q->dtype()) || q->rank() != 1 || q->num_elements() != channels) {
      return std::nullopt;
    }
    auto p = read_params(*dq, q->dtype(), ChannelAxis{channels, 0, 1});
    if (!p) return std::nullopt;
    if (bias_already_quantized(*q, *p, expected)) return ConvBias{dq->inputs[0], dq};
    if (exact_only) return std::nullopt;
    for (int64_t c = 0; c < channels; ++c) {  // DQ's own arithmetic: (q - zp) * scale in float
      const auto centered = static_cast<int64_t>(element(*q, c)) - p->zero_point_at(c);
      values[static_cast<size_t>(c)] = static_cast<float>(centered) * p->scale_at(c);
    }
  } else {
    return std::nullopt;
  }
  return ConvBias{add_constant(graph, b->name + "_quantized", requantize_bias(values, expected)), dq};
}

std::optional<ConvBias> conv_bias(Graph& graph, Value* b, const DqInput& x, const DqInput& w) {
  return quantized_bias(graph, b, x, w, w.quantized->constant->dim(0));
}

// State of one run of the pass: nodes to drop, and DQs that fed a rewritten op (dropped when
// nothing else reads them).
struct Fusion {
  Graph& graph;
  std::unordered_set<const Node*> removed;
  std::vector<Node*> dqs;
};

// The zero point as a value: a zero constant shaped like the scale when it was omitted.
Value* zero_point_value(Graph& graph, const QuantParams& p) {
  if (p.zero_point != nullptr) return p.zero_point;
  return add_constant(graph, p.scale->name + "_zero_point", Tensor::allocate(p.qtype, p.scales().dims()).value());
}

void add_operand(Fusion& f, std::vector<Value*>& inputs, const DqInput& x) {
  inputs.insert(inputs.end(), {x.quantized, x.params.scale, zero_point_value(f.graph, x.params)});
  f.dqs.push_back(x.dq);
}

void add_output_params(Fusion& f, std::vector<Value*>& inputs, const QOutput& y) {
  inputs.insert(inputs.end(), {y.params.scale, zero_point_value(f.graph, y.params)});
}

// `op` becomes `op_type` reading `inputs` and producing Q's output; Q goes.
void rewrite(Fusion& f, Node& op, const char* op_type, const char* domain, int64_t opset, std::vector<Value*> inputs,
             const QOutput& y) {
  op.op_type = op_type;
  op.domain = domain;
  op.opset = opset;
  op.inputs = std::move(inputs);
  op.outputs[0] = y.quantized;
  y.quantized->producer = &op;
  f.removed.insert(y.q);
}

bool fuse_conv(Fusion& f, Node& op) {
  if (!is_onnx_op(&op, "Conv") || op.opset < kQLinearMinOpset || op.outputs.size() != 1) return false;
  if (op.num_present_inputs() < 2 || op.inputs.size() > 3) return false;
  auto x = dq_input(op, 0);
  auto w = dq_weight(op, 1, /*axis=*/0);
  std::optional<ActivatedOutput> out = activated_output(f.graph, op);
  std::optional<SiluOutput> silu;
  if (!out && (silu = silu_output(f.graph, op))) out = ActivatedOutput{silu->y, nullptr};
  if (!x || !w || !out || x->params.qtype != out->y.params.qtype) return false;
  std::optional<ConvBias> bias;
  if (op.has_input(2) && !(bias = conv_bias(f.graph, op.inputs[2], *x, *w))) return false;
  std::vector<Value*> inputs;
  add_operand(f, inputs, *x);
  add_operand(f, inputs, *w);
  add_output_params(f, inputs, out->y);
  if (bias) {
    inputs.push_back(bias->value);
    if (bias->dq != nullptr) f.dqs.push_back(bias->dq);
  }
  if (silu) {
    rewrite(f, op, "QLinearConv", kEdgeserveDomain, 1, std::move(inputs), out->y);
    op.attributes["activation"] = Attribute::of_string("Silu");
    f.removed.insert(silu->sigmoid);
    f.removed.insert(silu->mul);
    return true;
  }
  rewrite(f, op, "QLinearConv", "", op.opset, std::move(inputs), out->y);
  if (out->activation != nullptr) f.removed.insert(out->activation);
  return true;
}

// Gemm(A, B) with no C, alpha 1 and A not transposed is MatMul(A, B or B^T).
bool gemm_as_matmul(const Node& op, bool& trans_b) {
  auto alpha = op.attr_float("alpha", 1.f);
  auto trans_a = op.attr_int("transA", 0);
  auto tb = op.attr_int("transB", 0);
  if (op.has_input(2) || !alpha.is_ok() || alpha.value() != 1.f || !trans_a.is_ok() || trans_a.value() != 0) return false;
  if (!tb.is_ok() || (tb.value() != 0 && tb.value() != 1)) return false;
  trans_b = tb.value() == 1;
  return true;
}

Tensor transposed_2d(const Tensor& t) {  // 8-bit elements
  const int64_t rows = t.dim(0);
  const int64_t cols = t.dim(1);
  Tensor out = Tensor::allocate(t.dtype(), {cols, rows}).value();
  const auto* in = static_cast<const uint8_t*>(t.raw_data());
  auto* o = static_cast<uint8_t*>(out.mutable_raw_data());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) o[c * rows + r] = in[r * cols + c];
  }
  return out;
}

bool fuse_matmul(Fusion& f, Node& op) {
  const bool gemm = is_onnx_op(&op, "Gemm");
  if ((!gemm && !is_onnx_op(&op, "MatMul")) || op.opset < kQLinearMinOpset || op.outputs.size() != 1) return false;
  bool trans_b = false;
  if (gemm && !gemm_as_matmul(op, trans_b)) return false;
  if (op.num_present_inputs() != 2) return false;
  auto a = dq_input(op, 0);
  auto b = dq_weight(op, 1, /*axis=*/trans_b ? 0 : 1, /*rank=*/2);  // per column of the product
  auto out = activated_output(f.graph, op);
  if (!a || !b || !out || a->params.qtype != out->y.params.qtype) return false;
  const QOutput* y = &out->y;
  if (a->quantized->type.dims && a->quantized->type.dims->size() < 2) return false;
  if (trans_b) b->quantized = add_constant(f.graph, b->quantized->name + "_transposed", transposed_2d(*b->quantized->constant));
  std::vector<Value*> inputs;
  add_operand(f, inputs, *a);
  add_operand(f, inputs, *b);
  add_output_params(f, inputs, *y);
  op.attributes.clear();
  rewrite(f, op, "QLinearMatMul", "", op.opset, std::move(inputs), *y);
  if (out->activation != nullptr) f.removed.insert(out->activation);
  return true;
}

// Gemm(alpha 1, beta 1, transA 0) with a bias, as com.microsoft.QGemm takes it: transB kept.
bool gemm_as_qgemm(const Node& op, bool& trans_b) {
  if (!is_onnx_op(&op, "Gemm") || op.opset < kQLinearMinOpset || op.outputs.size() != 1) return false;
  auto alpha = op.attr_float("alpha", 1.f);
  auto beta = op.attr_float("beta", 1.f);
  auto trans_a = op.attr_int("transA", 0);
  auto tb = op.attr_int("transB", 0);
  if (!alpha.is_ok() || alpha.value() != 1.f || !beta.is_ok() || beta.value() != 1.f) return false;
  if (!trans_a.is_ok() || trans_a.value() != 0 || !tb.is_ok() || (tb.value() != 0 && tb.value() != 1)) return false;
  trans_b = tb.value() == 1;
  return true;
}

// Whether a QuantizeLinear reads v: then the Gemm's float output is not the end of a QDQ group.
bool feeds_quantize(const Value* v) {
  return std::any_of(v->consumers.begin(), v->consumers.end(),
                     [](const Node* n) { return is_onnx_op(n, "QuantizeLinear"); });
}

// DQ(A), DQ(W const), [bias] -> Gemm [-> Relu/Clip absorbed by Q] -> Q: QGemm with a quantized
// output; the bias becomes int32 with scale a_scale * w_scale[n], as for QLinearConv. A Gemm whose
// float output no Q reads becomes QGemm with a float output, as ONNX Runtime fuses it, only with
// no bias or an int32 bias already quantized that way (what ORT takes as it is): the result is
// then ORT's. (Without a bias and with a Q, fuse_matmul has made it a QLinearMatMul already.)
bool fuse_qgemm(Fusion& f, Node& op) {
  bool trans_b = false;
  if (!gemm_as_qgemm(op, trans_b) || op.num_present_inputs() < 2 || op.inputs.size() > 3) return false;
  auto a = dq_input(op, 0);
  auto b = dq_weight(op, 1, /*axis=*/trans_b ? 0 : 1, /*rank=*/2);  // per column of the product
  if (!a || !b || (a->params.qtype == DType::kInt8 && b->params.qtype != DType::kInt8)) return false;
  if (a->quantized->type.dims && a->quantized->type.dims->size() != 2) return false;
  auto out = activated_output(f.graph, op);
  const bool float_output = !out && !feeds_quantize(op.outputs[0]) && op.outputs[0]->type.dtype == DType::kFloat32;
  if ((!out && !float_output) || (out && a->params.qtype != out->y.params.qtype)) return false;
  const int64_t columns = b->quantized->constant->dim(trans_b ? 0 : 1);
  std::optional<ConvBias> bias;
  if (op.has_input(2) && !(bias = quantized_bias(f.graph, op.inputs[2], *a, *b, columns, float_output))) return false;
  std::vector<Value*> inputs;
  add_operand(f, inputs, *a);
  add_operand(f, inputs, *b);
  inputs.push_back(bias ? bias->value : nullptr);
  if (bias && bias->dq != nullptr) f.dqs.push_back(bias->dq);
  op.attributes.clear();
  op.attributes["transB"] = Attribute::of_int(trans_b ? 1 : 0);
  if (float_output) {
    op.op_type = "QGemm";
    op.domain = kMicrosoftDomain;
    op.opset = kMicrosoftOpset;
    op.inputs = std::move(inputs);
    return true;
  }
  add_output_params(f, inputs, out->y);
  rewrite(f, op, "QGemm", kMicrosoftDomain, kMicrosoftOpset, std::move(inputs), out->y);
  if (out->activation != nullptr) f.removed.insert(out->activation);
  return true;
}

// DQ(x), DQ(y) -> Add/Mul [-> Relu/Clip absorbed by Q] -> Q: com.microsoft QLinearAdd / QLinearMul.
bool fuse_binary(Fusion& f, Node& op) {
  const char* qop = is_onnx_op(&op, "Add") ? "QLinearAdd" : is_onnx_op(&op, "Mul") ? "QLinearMul" : nullptr;
  if (qop == nullptr || op.inputs.size() != 2 || op.outputs.size() != 1) return false;
  auto a = dq_input(op, 0);
  auto b = dq_input(op, 1);
  auto out = activated_output(f.graph, op);
  if (!a || !b || !out) return false;
  const QOutput& y = out->y;
  if (a->params.qtype != y.params.qtype || b->params.qtype != y.params.qtype) return false;
  std::vector<Value*> inputs;
  add_operand(f, inputs, *a);
  add_operand(f, inputs, *b);
  add_output_params(f, inputs, y);
  rewrite(f, op, qop, kMicrosoftDomain, kMicrosoftOpset, std::move(inputs), y);
  if (out->activation != nullptr) f.removed.insert(out->activation);
  return true;
}

// The com.microsoft op for a single-input float op, or null. Pools keep their attributes and
// say they are channels-first.
const char* unary_qop(const Node& op) {
  if (!op.domain.empty()) return nullptr;
  if (op.op_type == "GlobalAveragePool") return "QLinearGlobalAveragePool";
  if (op.op_type == "AveragePool") return "QLinearAveragePool";
  if (op.op_type == "Sigmoid") return "QLinearSigmoid";
  if (op.op_type == "LeakyRelu") return "QLinearLeakyRelu";
  return nullptr;
}

bool fuse_unary(Fusion& f, Node& op) {
  const char* qop = unary_qop(op);
  if (qop == nullptr || op.inputs.size() != 1 || op.outputs.size() != 1) return false;
  auto x = dq_input(op, 0);
  auto y = q_output(f.graph, op.outputs[0]);
  if (!x || !y || x->params.qtype != y->params.qtype) return false;
  std::vector<Value*> inputs;
  add_operand(f, inputs, *x);
  add_output_params(f, inputs, *y);
  if (op.op_type != "Sigmoid" && op.op_type != "LeakyRelu") op.attributes["channels_last"] = Attribute::of_int(0);
  rewrite(f, op, qop, kMicrosoftDomain, kMicrosoftOpset, std::move(inputs), *y);
  return true;
}

// DQ(x1), DQ(x2), ... -> Concat -> Q: com.microsoft QLinearConcat(y_scale, y_zp, x1, s1, zp1, ...).
bool fuse_concat(Fusion& f, Node& op) {
  if (!is_onnx_op(&op, "Concat") || op.inputs.empty() || op.outputs.size() != 1) return false;
  auto y = q_output(f.graph, op.outputs[0]);
  if (!y) return false;
  std::vector<DqInput> xs;
  for (size_t i = 0; i < op.inputs.size(); ++i) {
    auto x = dq_input(op, i);
    if (!x || x->params.qtype != y->params.qtype) return false;
    xs.push_back(*x);
  }
  std::vector<Value*> inputs;
  add_output_params(f, inputs, *y);
  for (const DqInput& x : xs) add_operand(f, inputs, x);
  rewrite(f, op, "QLinearConcat", kMicrosoftDomain, kMicrosoftOpset, std::move(inputs), *y);
  return true;
}

// Ops that only move, select or repeat the values of input 0, so they commute with DQ and Q.
bool moves_values_only(const Node& op) {
  if (!op.domain.empty() || op.outputs.empty()) return false;
  const std::string& t = op.op_type;
  if (t == "MaxPool") return op.opset >= kIntMaxPoolMinOpset && (op.outputs.size() == 1 || op.outputs[1] == nullptr);
  if (t == "Resize") {
    auto mode = op.attr_string("mode", "nearest");
    auto coord = op.attr_string("coordinate_transformation_mode", "half_pixel");
    return mode.is_ok() && mode.value() == "nearest" && coord.is_ok() && coord.value() != "tf_crop_and_resize";
  }
  return t == "Reshape" || t == "Flatten" || t == "Transpose" || t == "Squeeze" || t == "Unsqueeze" || t == "Slice";
}

bool same_params(const QuantParams& a, const QuantParams& b) {
  if (a.qtype != b.qtype) return false;
  return a.scale_at(0) == b.scale_at(0) && a.zero_point_at(0) == b.zero_point_at(0);
}

// DQ -> op -> Q with Q undoing DQ exactly: the op runs on the integer tensor.
bool fuse_passthrough(Fusion& f, Node& op) {
  if (!moves_values_only(op) || op.outputs.size() > 2) return false;
  auto x = dq_input(op, 0);
  auto y = q_output(f.graph, op.outputs[0]);
  if (!x || !y || !same_params(x->params, y->params)) return false;
  op.inputs[0] = x->quantized;
  f.dqs.push_back(x->dq);
  op.outputs[0] = y->quantized;
  y->quantized->producer = &op;
  f.removed.insert(y->q);
  return true;
}

bool fuse_node(Fusion& f, Node& op) {
  return fuse_conv(f, op) || fuse_matmul(f, op) || fuse_qgemm(f, op) || fuse_binary(f, op) || fuse_unary(f, op) || fuse_concat(f, op) ||
         fuse_passthrough(f, op);
}

// Names that the nodes of control-flow bodies read (outer-scope values among them).
void add_subgraph_reads(const Node& n, std::unordered_set<std::string>& names) {
  for (const auto& [attr_name, attr] : n.attributes) {
    std::vector<const Graph*> bodies;
    if (attr.kind == AttrKind::kGraph && attr.g) bodies.push_back(attr.g.get());
    if (attr.kind == AttrKind::kGraphs) {
      for (const auto& g : attr.graphs) bodies.push_back(g.get());
    }
    for (const Graph* body : bodies) {
      for (const auto& inner : body->nodes()) {
        for (const Value* in : inner->inputs) {
          if (in != nullptr) names.insert(in->name);
        }
        add_subgraph_reads(*inner, names);
      }
    }
  }
}

// Drops the DQs that fed rewritten ops and that nothing else reads now.
void remove_unread_dqs(Fusion& f) {
  std::unordered_set<const Value*> read(f.graph.outputs.begin(), f.graph.outputs.end());
  std::unordered_set<std::string> read_inside;
  for (const auto& n : f.graph.nodes()) {
    if (f.removed.count(n.get()) != 0) continue;
    read.insert(n->inputs.begin(), n->inputs.end());
    add_subgraph_reads(*n, read_inside);
  }
  for (Node* dq : f.dqs) {
    if (read.count(dq->outputs[0]) == 0 && read_inside.count(dq->outputs[0]->name) == 0) f.removed.insert(dq);
  }
}

}  // namespace

Status fuse_qdq(Graph& graph) {
  EDGE_RETURN_IF_ERROR(graph.finalize());
  Fusion f{graph, {}, {}};
  bool changed = false;
  for (const auto& node : graph.nodes()) {
    if (f.removed.count(node.get()) == 0) changed = fuse_node(f, *node) || changed;
  }
  if (!changed) return Status::ok();
  remove_unread_dqs(f);
  graph.remove_nodes_if([&](const Node& n) { return f.removed.count(&n) != 0; });
  return graph.finalize();
}

}  // namespace edgeserve
