// Conv over a channel Concat split into one Conv per part.
#include "engine/passes/concat_conv_split.h"

#include <cstring>
#include <memory>
#include <unordered_set>

#include "engine/passes/fusion_util.h"

namespace edgeserve {

namespace {

// A Conv reading `concat_out` as its data input that can be split along input channels.
bool splittable_conv(const Node& conv, const Value* concat_out, int64_t channels) {
  const bool plain = conv.op_type == "Conv" && conv.domain.empty();
  const bool fused = conv.op_type == "FusedConv" && conv.domain == "edgeserve" && !conv.has_input(3) &&
                     !conv.has_input(4);
  if (!plain && !fused) return false;
  if (conv.inputs.size() < 2 || conv.inputs[0] != concat_out || conv.inputs[1] == concat_out) return false;
  if (conv.has_input(2) && conv.inputs[2] == concat_out) return false;
  auto group = conv.attr_int("group", 1);
  const Value* w = conv.inputs[1];
  if (!group.is_ok() || group.value() != 1 || w == nullptr || !w->constant) return false;
  if (w->constant->dtype() != DType::kFloat32 || w->constant->rank() < 3) return false;
  // A widening Conv (squeezenet's 512 -> 1000 classifier) re-reads a destination larger than
  // the Concat it saves copying; measured a loss there.
  const bool narrows = w->constant->dim(0) <= channels;
  return narrows && w->constant->dim(1) == channels && conv.outputs.size() == 1 && conv.outputs[0] != nullptr;
}

// The parts' channel counts when the Concat can be split away, else empty.
std::vector<int64_t> split_channels(const Graph& graph, const Node& concat) {
  if (concat.op_type != "Concat" || !concat.domain.empty() || concat.inputs.size() < 2) return {};
  if (concat_axis(concat) != 1) return {};
  const Value* out = concat.outputs[0];
  for (const Value* g : graph.outputs) {
    if (g == out) return {};
  }
  std::vector<int64_t> channels;
  int64_t total = 0;
  for (const Value* part : concat.inputs) {
    if (part == nullptr || part->constant || !part->type.dims || part->type.dims->size() < 3) return {};
    const Dim& c = (*part->type.dims)[1];
    if (!c.is_known() || c.value < kMinSplitChannels) return {};
    channels.push_back(c.value);
    total += c.value;
  }
  if (out->consumers.empty()) return {};
  for (const Node* consumer : out->consumers) {
    if (!splittable_conv(*consumer, out, total)) return {};
  }
  return channels;
}

// W[:, begin:begin+count, ...] of a [M, C, k...] weight.
Tensor weight_slice(const Tensor& w, int64_t begin, int64_t count) {
  Dims dims = w.dims();
  const int64_t inner = w.num_elements() / (dims[0] * dims[1]);  // kernel elements
  const int64_t c = dims[1];
  dims[1] = count;
  Tensor out = Tensor::allocate(DType::kFloat32, dims).value();
  for (int64_t m = 0; m < dims[0]; ++m) {
    std::memcpy(out.mutable_data<float>() + m * count * inner, w.data<float>() + (m * c + begin) * inner,
                sizeof(float) * static_cast<size_t>(count * inner));
  }
  return out;
}

// Replaces `conv` by one FusedConv per part, each summing onto the previous one's output.
void split(Graph& graph, const Node& concat, const Node& conv, const std::vector<int64_t>& channels) {
  const Tensor& w = *conv.inputs[1]->constant;
  Value* previous = nullptr;
  int64_t begin = 0;
  for (size_t i = 0; i < channels.size(); ++i) {
    const bool last = i + 1 == channels.size();
    auto node = std::make_unique<Node>();
    node->name = conv.name + "/part" + std::to_string(i);
    node->op_type = "FusedConv";
    node->domain = "edgeserve";
    node->opset = 1;
    node->attributes = conv.attributes;
    if (!last) {  // the activation applies to the whole sum
      node->attributes.erase("activation");
      node->attributes.erase("activation_params");
    }
    Value* weights = add_constant(graph, conv.inputs[1]->name + "_part" + std::to_string(i),
                                  weight_slice(w, begin, channels[i]));
    node->inputs = {concat.inputs[i], weights, i == 0 && conv.has_input(2) ? conv.inputs[2] : nullptr};
    if (previous != nullptr) node->inputs.push_back(previous);
    Value* out = last ? conv.outputs[0] : add_value(graph, node->name, conv.outputs[0]->type);
    node->outputs = {out};
    previous = out;
    begin += channels[i];
    graph.add_node(std::move(node));
  }
}

}  // namespace

Status split_concat_convs(Graph& graph) {
  EDGE_RETURN_IF_ERROR(graph.finalize());
  std::vector<std::pair<const Node*, std::vector<int64_t>>> work;
  for (const auto& node : graph.nodes()) {
    std::vector<int64_t> channels = split_channels(graph, *node);
    if (!channels.empty()) work.emplace_back(node.get(), std::move(channels));
  }
  std::unordered_set<const Node*> removed;
  for (const auto& [concat, channels] : work) {
    for (const Node* conv : concat->outputs[0]->consumers) {
      split(graph, *concat, *conv, channels);
      removed.insert(conv);
    }
    removed.insert(concat);
  }
  graph.remove_nodes_if([&](const Node& n) { return removed.count(&n) != 0; });
  return graph.finalize();
}

}  // namespace edgeserve
