// BatchNorm folding into Conv.
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

// The Conv feeding `bn`, if the pair can fold: float32 constants throughout, one output each.
Node* foldable_conv(const Graph& graph, const Node& bn) {
  if (bn.op_type != "BatchNormalization" || !bn.domain.empty() || bn.opset < 7 || bn.inputs.size() != 5) return nullptr;
  for (size_t i = 1; i < bn.outputs.size(); ++i) {
    if (bn.outputs[i] != nullptr) return nullptr;  // training-mode outputs
  }
  auto training = bn.attr_int("training_mode", 0);
  if (!training.is_ok() || training.value() != 0) return nullptr;
  const Value* x = bn.inputs[0];
  if (x == nullptr || x->producer == nullptr || !only_feeds(graph, x, bn)) return nullptr;
  Node* conv = x->producer;
  if (conv->op_type != "Conv" || !conv->domain.empty() || conv->outputs.size() != 1) return nullptr;
  const Value* w = conv->inputs.size() > 1 ? conv->inputs[1] : nullptr;
  if (w == nullptr || !w->constant || w->constant->dtype() != DType::kFloat32 || w->constant->rank() < 3) return nullptr;
  const int64_t channels = w->constant->dim(0);
  if (conv->has_input(2) && !is_float_constant(conv->inputs[2], channels)) return nullptr;
  for (size_t i = 1; i < 5; ++i) {
    if (!is_float_constant(bn.inputs[i], channels)) return nullptr;
  }
  return conv;
}

Status fold_pair(Graph& graph, Node& conv, const Node& bn) {
  EDGE_ASSIGN_OR_RETURN(float epsilon, bn.attr_float("epsilon", 1e-5f));
  const Tensor& w = *conv.inputs[1]->constant;
  const int64_t channels = w.dim(0);
  const int64_t per_channel = w.num_elements() / channels;
  const float* gamma = bn.inputs[1]->constant->data<float>();
  const float* beta = bn.inputs[2]->constant->data<float>();
  const float* mean = bn.inputs[3]->constant->data<float>();
  const float* var = bn.inputs[4]->constant->data<float>();
  const float* bias = conv.has_input(2) ? conv.inputs[2]->constant->data<float>() : nullptr;
  Tensor w2 = w.clone();
  EDGE_ASSIGN_OR_RETURN(Tensor b2, Tensor::allocate(DType::kFloat32, {channels}));
  for (int64_t c = 0; c < channels; ++c) {
    const float s = gamma[c] / std::sqrt(var[c] + epsilon);
    float* wc = w2.mutable_data<float>() + c * per_channel;
    for (int64_t i = 0; i < per_channel; ++i) wc[i] *= s;
    b2.mutable_data<float>()[c] = ((bias != nullptr ? bias[c] : 0.f) - mean[c]) * s + beta[c];
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
    Node* conv = foldable_conv(graph, *node);
    if (conv == nullptr) continue;
    EDGE_RETURN_IF_ERROR(fold_pair(graph, *conv, *node));
    removed.insert(node.get());
  }
  graph.remove_nodes_if([&](const Node& n) { return removed.count(&n) != 0; });
  return graph.finalize();
}

}  // namespace edgeserve
