// Depthwise convolutions with inputs too uneven for one scale (see channel_spread.h).
#include "engine/quantize/channel_spread.h"

#include <algorithm>

#include "engine/quantize/qdq_plan.h"

namespace edgeserve::quant {

namespace {

// The activation input of a depthwise Conv, or nullptr for any other node.
const Value* depthwise_input(const Node& n) {
  if (n.op_type != "Conv" || !n.domain.empty() || n.inputs.size() < 2 || n.inputs[0] == nullptr) return nullptr;
  const Value* w = n.inputs[1];
  if (w == nullptr || !w->constant || w->constant->rank() != 4 || w->constant->dim(1) != 1) return nullptr;
  auto group = n.attr_int("group", 1);
  if (!group.is_ok() || group.value() <= 1) return nullptr;
  const Value* x = n.inputs[0];
  return x->constant || x->type.dtype != DType::kFloat32 ? nullptr : x;
}

// When `v` = Mul(a, Sigmoid(a)): the Sigmoid's and Mul's names into c.silu_nodes, a into c.silu_input.
void find_silu_producing(const Value* v, CoarseInput& c) {
  const Node* mul = v->producer;
  const Node* sig = mul != nullptr ? silu_sigmoid(*mul) : nullptr;
  if (sig == nullptr) return;
  c.silu_nodes = {sig->name, mul->name};
  c.silu_input = sig->inputs[0]->name;
}

}  // namespace

std::set<std::string> depthwise_conv_inputs(const Graph& graph) {
  std::set<std::string> out;
  for (const auto& n : graph.nodes()) {
    if (const Value* x = depthwise_input(*n)) out.insert(x->name);
  }
  return out;
}

std::map<std::string, CoarseInput> coarse_depthwise_inputs(const Graph& graph, const StatsMap& stats,
                                                           CalibrationMethod method, double percentile) {
  std::map<std::string, CoarseInput> out;
  for (const auto& n : graph.nodes()) {
    const Value* x = depthwise_input(*n);
    if (x == nullptr) continue;
    auto it = stats.find(x->name);
    if (it == stats.end() || it->second.channel_min.empty()) continue;
    const TensorStats& s = it->second;
    const Range r = range_of(s, method, percentile);
    const double step = (std::max(r.max, 0.0f) - std::min(r.min, 0.0f)) / 255.0;
    if (!(step > 0)) continue;
    CoarseInput c{x->name, 0, static_cast<int>(s.channel_min.size()), {}, {}};
    find_silu_producing(x, c);
    for (size_t ch = 0; ch < s.channel_min.size(); ++ch) {
      const double span = std::min<double>(s.channel_max[ch], r.max) - std::max<double>(s.channel_min[ch], r.min);
      if (span > 0 && span < kNarrowChannelSteps * step) ++c.narrow;  // an all-zero channel is exact
    }
    if (c.narrow > 0 && c.narrow * kNarrowChannelShare >= c.channels) out.emplace(n->name, c);
  }
  return out;
}

}  // namespace edgeserve::quant
