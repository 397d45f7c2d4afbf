// BatchNorm folding into Conv and Gemm.
#include "engine/passes/batchnorm_folding.h"

#include <cmath>
#include <unordered_set>

#include "engine/passes/fusion_util.h"

namespace edgeserve {

namespace {

bool is_float_constant(const Value* v, int64_t elements) {
  return v != nullptr && v->constant && v->constant->dtype() == DType::kFloat32 &&
         v->constant->num_elements() == elements;
}

// An inference-mode BatchNormalization whose only used output is the first.
bool is_inference_bn(const Node& bn) {
  if (bn.op_type != "BatchNormalization" || !bn.domain.empty() || bn.opset < 7 || bn.inputs.size() != 5) return false;
  for (size_t i = 1; i < bn.outputs.size(); ++i) {
    if (bn.outputs[i] != nullptr) return false;  // training-mode outputs
  }
  auto training = bn.attr_int("training_mode", 0);
  return training.is_ok() && training.value() == 0;
}

// Scale, bias, mean and variance: float32 constants of `channels` elements.
bool has_channel_stats(const Node& bn, int64_t channels) {
  for (size_t i = 1; i < 5; ++i) {
    if (!is_float_constant(bn.inputs[i], channels)) return false;
  }
  return true;
}

bool foldable_conv(const Node& conv) {
  if (conv.op_type != "Conv" || !conv.domain.empty() || conv.outputs.size() != 1) return false;
  const Value* w = conv.inputs.size() > 1 ? conv.inputs[1] : nullptr;
  if (w == nullptr || !w->constant || w->constant->dtype() != DType::kFloat32 || w->constant->rank() < 3) return false;
  return !conv.has_input(2) || is_float_constant(conv.inputs[2], w->constant->dim(0));
}

// Gemm output channels: B's columns (rows when transB). C, if any, must be per channel.
int64_t gemm_channels(const Node& gemm) {
  const Value* b = gemm.inputs.size() > 1 ? gemm.inputs[1] : nullptr;
  if (b == nullptr || !b->constant || b->constant->dtype() != DType::kFloat32 || b->constant->rank() != 2) return -1;
  auto trans_b = gemm.attr_int("transB", 0);
  if (!trans_b.is_ok()) return -1;
  return b->constant->dim(trans_b.value() != 0 ? 0 : 1);
}

bool foldable_gemm(const Node& gemm) {
  if (gemm.op_type != "Gemm" || !gemm.domain.empty() || gemm.outputs.size() != 1 || gemm.opset < 11) return false;
  const int64_t n = gemm_channels(gemm);
  if (n < 0 || !gemm.attr_float("alpha", 1.f).is_ok() || !gemm.attr_float("beta", 1.f).is_ok()) return false;
  if (!gemm.has_input(2)) return true;
  const Value* c = gemm.inputs[2];
  if (!is_float_constant(c, n) && !is_float_constant(c, 1)) return false;
  return c->constant->rank() <= 1 || c->constant->dim(0) == 1;  // [N], [1, N], [1] or a scalar
}

// The Conv or Gemm feeding `bn`, if the pair can fold: float32 constants throughout, one output each.
Node* foldable_producer(const Graph& graph, const Node& bn) {
  if (!is_inference_bn(bn)) return nullptr;
  const Value* x = bn.inputs[0];
  if (x == nullptr || x->producer == nullptr || !only_feeds(graph, x, bn)) return nullptr;
  Node* p = x->producer;
  if (foldable_conv(*p)) return has_channel_stats(bn, p->inputs[1]->constant->dim(0)) ? p : nullptr;
  if (foldable_gemm(*p)) return has_channel_stats(bn, gemm_channels(*p)) ? p : nullptr;
  return nullptr;
}

struct BnScale {
  std::vector<float> scale;  // gamma / sqrt(var + epsilon)
  const float* beta;
  const float* mean;
};

Result<BnScale> bn_scale(const Node& bn, int64_t channels) {
  EDGE_ASSIGN_OR_RETURN(float epsilon, bn.attr_float("epsilon", 1e-5f));
  BnScale s{std::vector<float>(static_cast<size_t>(channels)), bn.inputs[2]->constant->data<float>(),
            bn.inputs[3]->constant->data<float>()};
  const float* gamma = bn.inputs[1]->constant->data<float>();
  const float* var = bn.inputs[4]->constant->data<float>();
  for (int64_t c = 0; c < channels; ++c) s.scale[c] = gamma[c] / std::sqrt(var[c] + epsilon);
  return s;
}

// y = alpha * A op(B) + beta * C, then BN: op(B)'s column n scales by s[n], and the new bias is
// C'[n] = (beta * C[n] - mean[n]) * s[n] + bn_beta[n] with beta = 1.
Status fold_gemm(Graph& graph, Node& gemm, const Node& bn) {
  const int64_t n = gemm_channels(gemm);
  EDGE_ASSIGN_OR_RETURN(BnScale s, bn_scale(bn, n));
  EDGE_ASSIGN_OR_RETURN(int64_t trans_b, gemm.attr_int("transB", 0));
  EDGE_ASSIGN_OR_RETURN(float beta, gemm.attr_float("beta", 1.f));
  Tensor b2 = gemm.inputs[1]->constant->clone();
  float* w = b2.mutable_data<float>();
  const int64_t rows = b2.dim(0), cols = b2.dim(1);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) w[r * cols + c] *= s.scale[trans_b != 0 ? r : c];
  }
  EDGE_ASSIGN_OR_RETURN(Tensor c2, Tensor::allocate(DType::kFloat32, {n}));
  const Tensor* c = gemm.has_input(2) ? &*gemm.inputs[2]->constant : nullptr;
  for (int64_t j = 0; j < n; ++j) {
    const float cj = c == nullptr ? 0.f : c->data<float>()[c->num_elements() == 1 ? 0 : j];
    c2.mutable_data<float>()[j] = (beta * cj - s.mean[j]) * s.scale[j] + s.beta[j];
  }
  gemm.inputs.resize(3, nullptr);
  gemm.inputs[1] = add_constant(graph, gemm.inputs[1]->name + "_bn_folded", std::move(b2));
  gemm.inputs[2] = add_constant(graph, gemm.name + "_bn_bias", std::move(c2));
  gemm.attributes["beta"] = Attribute::of_float(1.f);
  gemm.outputs[0] = bn.outputs[0];
  gemm.outputs[0]->producer = &gemm;
  return Status::ok();
}

Status fold_conv(Graph& graph, Node& conv, const Node& bn) {
  const Tensor& w = *conv.inputs[1]->constant;
  const int64_t channels = w.dim(0);
  const int64_t per_channel = w.num_elements() / channels;
  EDGE_ASSIGN_OR_RETURN(BnScale s, bn_scale(bn, channels));
  const float* bias = conv.has_input(2) ? conv.inputs[2]->constant->data<float>() : nullptr;
  Tensor w2 = w.clone();
  EDGE_ASSIGN_OR_RETURN(Tensor b2, Tensor::allocate(DType::kFloat32, {channels}));
  for (int64_t c = 0; c < channels; ++c) {
    float* wc = w2.mutable_data<float>() + c * per_channel;
    for (int64_t i = 0; i < per_channel; ++i) wc[i] *= s.scale[c];
    b2.mutable_data<float>()[c] = ((bias != nullptr ? bias[c] : 0.f) - s.mean[c]) * s.scale[c] + s.beta[c];
  }
  conv.inputs.resize(3, nullptr);
  conv.inputs[1] = add_constant(graph, conv.inputs[1]->name + "_bn_folded", std::move(w2));
  conv.inputs[2] = add_constant(graph, conv.name + "_bn_bias", std::move(b2));
  conv.outputs[0] = bn.outputs[0];
  conv.outputs[0]->producer = &conv;
  return Status::ok();
}

}  // namespace

Status fold_batchnorms(Graph& graph) {
  EDGE_RETURN_IF_ERROR(graph.finalize());
  std::unordered_set<const Node*> removed;
  for (const auto& node : graph.nodes()) {
    Node* producer = foldable_producer(graph, *node);
    if (producer == nullptr) continue;
    if (producer->op_type == "Gemm") {
      EDGE_RETURN_IF_ERROR(fold_gemm(graph, *producer, *node));
    } else {
      EDGE_RETURN_IF_ERROR(fold_conv(graph, *producer, *node));
    }
    removed.insert(node.get());
  }
  graph.remove_nodes_if([&](const Node& n) { return removed.count(&n) != 0; });
  return graph.finalize();
}

}  // namespace edgeserve
