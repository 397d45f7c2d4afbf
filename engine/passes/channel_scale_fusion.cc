// Per-channel Mul fused into the following Conv as its InputScale input.
#include "engine/passes/channel_scale_fusion.h"

#include <unordered_set>

#include "engine/passes/fusion_util.h"

namespace edgeserve {

namespace {

constexpr size_t kScaleInput = 4;  // FusedConv(X, W, B, Sum, InputScale)

// Whether `s` is one scale per (sample, channel) of `x`: [N or 1, C, 1, ...].
bool is_channel_scale(const Value* x, const Value* s) {
  if (x == nullptr || s == nullptr || x->constant || s->constant || !x->type.dims || !s->type.dims) return false;
  const std::vector<Dim>& xd = *x->type.dims;
  const std::vector<Dim>& sd = *s->type.dims;
  if (xd.size() < 3 || sd.size() != xd.size() || !xd[1].is_known()) return false;
  const bool batch = sd[0].same_as(xd[0]) || (sd[0].is_known() && sd[0].value == 1);
  if (!batch || !sd[1].same_as(xd[1])) return false;
  for (size_t i = 2; i < sd.size(); ++i) {
    if (!sd[i].is_known() || sd[i].value != 1) return false;
  }
  return true;
}

bool takes_scale(const Node& conv) {
  const bool plain = conv.op_type == "Conv" && conv.domain.empty();
  const bool fused = conv.op_type == "FusedConv" && conv.domain == "edgeserve" && !conv.has_input(kScaleInput);
  if (!plain && !fused) return false;
  auto group = conv.attr_int("group", 1);
  return group.is_ok() && group.value() == 1 && conv.inputs.size() >= 2 && conv.inputs[1] != nullptr &&
         conv.inputs[1]->constant;
}

// The Conv that can absorb `mul`, with the index of the scaled operand; null if none.
Node* absorbing_conv(const Graph& graph, const Node& mul, int* scaled) {
  if (mul.op_type != "Mul" || !mul.domain.empty() || mul.opset < 7 || mul.inputs.size() != 2) return nullptr;
  const Value* out = mul.outputs.empty() ? nullptr : mul.outputs[0];
  if (out == nullptr || out->consumers.size() != 1) return nullptr;
  Node* conv = out->consumers[0];
  if (!takes_scale(*conv) || conv->inputs[0] != out || !only_feeds(graph, out, *conv)) return nullptr;
  for (int i = 0; i < 2; ++i) {
    if (is_channel_scale(mul.inputs[i], mul.inputs[1 - i])) {
      *scaled = i;
      return conv;
    }
  }
  return nullptr;
}

}  // namespace

Status fuse_channel_scales(Graph& graph) {
  EDGE_RETURN_IF_ERROR(graph.finalize());
  std::unordered_set<const Node*> removed;
  for (const auto& mul : graph.nodes()) {
    int scaled = 0;
    Node* conv = absorbing_conv(graph, *mul, &scaled);
    if (conv == nullptr) continue;
    make_fused(*conv);
    conv->inputs.resize(kScaleInput, nullptr);
    conv->inputs[0] = mul->inputs[scaled];
    conv->inputs.push_back(mul->inputs[1 - scaled]);
    removed.insert(mul.get());
  }
  graph.remove_nodes_if([&](const Node& n) { return removed.count(&n) != 0; });
  return graph.finalize();
}

}  // namespace edgeserve
