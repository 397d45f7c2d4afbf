// Reshape targets built from Shape/Gather/Unsqueeze/Concat become constants with 0 entries.
#include "engine/passes/reshape_dim_copy.h"

#include <optional>
#include <vector>

#include "engine/passes/fusion_util.h"

namespace edgeserve {

namespace {

bool is_onnx(const Node* n, const char* op) { return n != nullptr && n->domain.empty() && n->op_type == op; }

// One entry of the target: a constant, or dim `dim` of `of` (known at run time only).
struct Part {
  std::optional<int64_t> constant;
  const Value* of = nullptr;
  int64_t dim = -1;
};

// Integer values of a 0-D or 1-D int64/int32 constant.
std::optional<std::vector<int64_t>> int_values(const Value* v) {
  if (v == nullptr || !v->constant || v->constant->rank() > 1) return std::nullopt;
  const Tensor& t = *v->constant;
  std::vector<int64_t> out;
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    if (t.dtype() == DType::kInt64) {
      out.push_back(t.data<int64_t>()[i]);
    } else if (t.dtype() == DType::kInt32) {
      out.push_back(t.data<int32_t>()[i]);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// Gather(Shape(t), k) along axis 0 with one constant index (scalar or [1]), Shape without start/end.
std::optional<Part> gathered_dim(const Value* v) {
  const Node* gather = v->producer;
  if (!is_onnx(gather, "Gather") || gather->inputs.size() != 2) return std::nullopt;
  auto axis = gather->attr_int("axis", 0);
  auto index = int_values(gather->inputs[1]);
  const Node* shape = gather->inputs[0] != nullptr ? gather->inputs[0]->producer : nullptr;
  if (!axis.is_ok() || axis.value() != 0 || !index || index->size() != 1 || !is_onnx(shape, "Shape")) return std::nullopt;
  if (shape->attributes.count("start") != 0 || shape->attributes.count("end") != 0) return std::nullopt;
  const Value* t = shape->inputs[0];
  if (t == nullptr || !t->type.dims) return std::nullopt;
  int64_t k = index->front();
  const auto rank = static_cast<int64_t>(t->type.dims->size());
  if (k < 0) k += rank;
  if (k < 0 || k >= rank) return std::nullopt;
  return Part{std::nullopt, t, k};
}

// A Concat input: a constant vector, Gather(Shape) of one index kept 1-D, or that scalar
// Unsqueezed at axis 0.
std::optional<std::vector<Part>> concat_parts(const Value* v) {
  if (auto values = int_values(v)) {
    std::vector<Part> parts;
    for (int64_t c : *values) parts.push_back(Part{c});
    return parts;
  }
  const Node* producer = v->producer;
  if (is_onnx(producer, "Unsqueeze")) {
    std::optional<std::vector<int64_t>> axes;
    if (producer->opset >= 13) {
      axes = producer->inputs.size() > 1 ? int_values(producer->inputs[1]) : std::nullopt;
    } else if (auto a = producer->attr_ints("axes", {}); a.is_ok()) {
      axes = a.value();
    }
    if (!axes || *axes != std::vector<int64_t>{0}) return std::nullopt;
    auto part = gathered_dim(producer->inputs[0]);
    if (!part) return std::nullopt;
    return std::vector<Part>{*part};
  }
  auto part = gathered_dim(v);
  if (!part || !v->type.dims || v->type.dims->size() != 1) return std::nullopt;
  return std::vector<Part>{*part};
}

// The constant target, or nullopt when some part is not a dim x has at the same position.
std::optional<std::vector<int64_t>> constant_target(const Node& reshape) {
  const Value* x = reshape.inputs[0];
  const Node* concat = reshape.inputs[1]->producer;
  auto axis = is_onnx(concat, "Concat") ? concat->attr_int("axis", 0) : Result<int64_t>(int64_t{1});
  if (!axis.is_ok() || (axis.value() != 0 && axis.value() != -1) || x == nullptr || !x->type.dims) return std::nullopt;
  std::vector<int64_t> target;
  for (const Value* in : concat->inputs) {
    if (in == nullptr) return std::nullopt;
    auto parts = concat_parts(in);
    if (!parts) return std::nullopt;
    for (const Part& p : *parts) {
      const size_t pos = target.size();
      if (p.constant) {
        target.push_back(*p.constant);
        continue;
      }
      const auto& x_dims = *x->type.dims;
      if (pos >= x_dims.size() || !x_dims[pos].same_as((*p.of->type.dims)[static_cast<size_t>(p.dim)])) return std::nullopt;
      target.push_back(0);
    }
  }
  return target;
}

// The output's static dims for a constant target: copied dims keep x's (symbolic) dims, a -1 is
// unknown unless everything else is known. Inference could not see through the run-time target.
std::vector<Dim> output_dims(const std::vector<Dim>& x, const std::vector<int64_t>& target) {
  std::vector<Dim> out;
  int64_t known_product = 1;
  bool all_known = true;
  for (const Dim& d : x) {
    all_known = all_known && d.is_known();
    if (d.is_known()) known_product *= d.value;
  }
  int64_t rest = known_product;
  for (size_t i = 0; i < target.size(); ++i) {
    Dim d;
    if (target[i] == 0 && i < x.size()) d = x[i];
    if (target[i] > 0) d.value = target[i];
    if (target[i] != -1 && d.is_known() && d.value > 0) rest /= d.value;
    if (target[i] != -1 && !d.is_known()) all_known = false;
    out.push_back(d);
  }
  for (Dim& d : out) {
    if (!d.is_known() && d.symbol.empty() && all_known) d.value = rest;
  }
  return out;
}

}  // namespace

Status fold_reshape_dim_copies(Graph& graph) {
  EDGE_RETURN_IF_ERROR(graph.finalize());
  for (const auto& node : graph.nodes()) {
    if (!is_onnx(node.get(), "Reshape") || node->opset < 5 || !node->has_input(1) || node->inputs[1]->constant) continue;
    auto allow_zero = node->attr_int("allowzero", 0);
    if (!allow_zero.is_ok() || allow_zero.value() != 0) continue;
    auto target = constant_target(*node);
    if (!target) continue;
    const auto n = static_cast<int64_t>(target->size());
    node->inputs[1] = add_constant(graph, node->name + "_shape", Tensor::from_vector<int64_t>({n}, *target));
    Value* y = node->outputs[0];
    if (!y->type.dims) y->type.dims = output_dims(*node->inputs[0]->type.dims, *target);
  }
  return graph.finalize();
}

}  // namespace edgeserve
