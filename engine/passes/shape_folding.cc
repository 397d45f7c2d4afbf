// Shape, Size and Gather-of-Shape folding from static dims.
#include "engine/passes/shape_folding.h"

#include <algorithm>
#include <optional>
#include <unordered_set>

#include "engine/passes/fusion_util.h"

namespace edgeserve {

namespace {

bool is_onnx(const Node& n, const char* op) { return n.domain.empty() && n.op_type == op; }

// The dims Shape(x) yields, with -1 where a dim is not known statically; start/end (opset 15)
// clamped as the spec says. Nullopt when the rank is unknown or an attribute is malformed.
std::optional<std::vector<int64_t>> shape_output(const Node& shape) {
  const Value* x = shape.has_input(0) ? shape.inputs[0] : nullptr;
  if (x == nullptr || !x->type.dims) return std::nullopt;
  const auto& dims = *x->type.dims;
  const auto rank = static_cast<int64_t>(dims.size());
  auto start_attr = shape.attr_int("start", 0);
  auto end_attr = shape.attr_int("end", rank);
  if (!start_attr.is_ok() || !end_attr.is_ok()) return std::nullopt;
  auto clamp = [rank](int64_t i) { return std::min(std::max(i < 0 ? i + rank : i, int64_t{0}), rank); };
  const int64_t start = clamp(start_attr.value());
  const int64_t end = clamp(end_attr.value());
  std::vector<int64_t> out;
  for (int64_t i = start; i < end; ++i) out.push_back(dims[i].is_known() ? dims[i].value : -1);
  return out;
}

bool all_known(const std::vector<int64_t>& v) {
  return std::all_of(v.begin(), v.end(), [](int64_t d) { return d >= 0; });
}

std::optional<Tensor> fold_shape(const Node& node) {
  auto dims = shape_output(node);
  if (!dims || !all_known(*dims)) return std::nullopt;
  return Tensor::from_vector<int64_t>({static_cast<int64_t>(dims->size())}, *dims);
}

std::optional<Tensor> fold_size(const Node& node) {
  const Value* x = node.has_input(0) ? node.inputs[0] : nullptr;
  if (x == nullptr || !x->type.dims) return std::nullopt;
  int64_t n = 1;
  for (const Dim& d : *x->type.dims) {
    if (!d.is_known()) return std::nullopt;
    n *= d.value;
  }
  return Tensor::scalar<int64_t>(n);
}

// Gather(Shape(x), indices) along axis 0 with constant int indices that select known dims only.
std::optional<Tensor> fold_gather_of_shape(const Node& gather) {
  if (gather.inputs.size() != 2 || gather.inputs[0] == nullptr || gather.inputs[1] == nullptr) return std::nullopt;
  const Node* shape = gather.inputs[0]->producer;
  const Value* idx = gather.inputs[1];
  auto axis = gather.attr_int("axis", 0);
  if (shape == nullptr || !is_onnx(*shape, "Shape") || !idx->constant || !axis.is_ok() || axis.value() != 0) {
    return std::nullopt;
  }
  auto dims = shape_output(*shape);
  const Tensor& t = *idx->constant;
  if (!dims || t.rank() > 1 || (t.dtype() != DType::kInt64 && t.dtype() != DType::kInt32)) return std::nullopt;
  std::vector<int64_t> picked;
  const auto n = static_cast<int64_t>(dims->size());
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    int64_t k = t.dtype() == DType::kInt64 ? t.data<int64_t>()[i] : t.data<int32_t>()[i];
    if (k < 0) k += n;
    if (k < 0 || k >= n || (*dims)[k] < 0) return std::nullopt;
    picked.push_back((*dims)[k]);
  }
  if (t.rank() == 0) return Tensor::scalar<int64_t>(picked[0]);
  return Tensor::from_vector<int64_t>({static_cast<int64_t>(picked.size())}, picked);
}

std::optional<Tensor> folded(const Graph& graph, const Node& node) {
  if (node.outputs.size() != 1 || node.outputs[0] == nullptr) return std::nullopt;
  if (graph.is_output(node.outputs[0])) return std::nullopt;
  if (is_onnx(node, "Shape")) return fold_shape(node);
  if (is_onnx(node, "Size")) return fold_size(node);
  if (is_onnx(node, "Gather")) return fold_gather_of_shape(node);
  return std::nullopt;
}

}  // namespace

Status fold_shapes(Graph& graph) {
  EDGE_RETURN_IF_ERROR(graph.finalize());
  std::unordered_set<const Node*> removed;
  for (const auto& node : graph.nodes()) {
    std::optional<Tensor> t = folded(graph, *node);
    if (!t) continue;
    make_constant(node->outputs[0], std::move(*t));
    removed.insert(node.get());
  }
  graph.remove_nodes_if([&](const Node& n) { return removed.count(&n) != 0; });
  return graph.finalize();
}

}  // namespace edgeserve
