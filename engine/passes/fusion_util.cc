// Fusion helpers.
#include "engine/passes/fusion_util.h"

#include <algorithm>

namespace edgeserve {

namespace {

bool is_op(const Node& n, const char* domain, const char* op) { return n.domain == domain && n.op_type == op; }

}  // namespace

bool can_take_activation(const Node& node) {
  if (is_op(node, "", "Conv") || is_op(node, "", "Gemm")) return true;
  if (is_op(node, "edgeserve", "FusedConv") || is_op(node, "edgeserve", "FusedGemm") ||
      is_op(node, "edgeserve", "FusedMatMul")) {
    return !node.has_attr("activation");
  }
  return false;
}

bool can_take_residual(const Node& node) {
  if (is_op(node, "", "Conv")) return true;
  return is_op(node, "edgeserve", "FusedConv") && !node.has_attr("activation") && !node.has_input(3) &&
         !node.has_input(4);
}

bool only_feeds(const Graph& graph, const Value* v, const Node& consumer) {
  if (v == nullptr || graph.is_output(v)) return false;
  if (std::count(consumer.inputs.begin(), consumer.inputs.end(), v) != 1) return false;
  return v->consumers.size() == 1 && v->consumers[0] == &consumer;
}

bool same_static_dims(const Value* a, const Value* b) {
  if (!a->type.dims || !b->type.dims || a->type.dims->size() != b->type.dims->size()) return false;
  for (size_t i = 0; i < a->type.dims->size(); ++i) {
    if (!(*a->type.dims)[i].same_as((*b->type.dims)[i])) return false;
  }
  return true;
}

namespace {

std::string unused_name(const Graph& graph, const std::string& base) {
  std::string name = base;
  for (int i = 1; graph.find_value(name) != nullptr; ++i) name = base + "_" + std::to_string(i);
  return name;
}

}  // namespace

Value* add_constant(Graph& graph, const std::string& base, Tensor t) {
  Value* v = graph.value(unused_name(graph, base));
  make_constant(v, std::move(t));
  return v;
}

Value* add_value(Graph& graph, const std::string& base, const TensorType& type) {
  Value* v = graph.value(unused_name(graph, base));
  v->type = type;
  return v;
}

bool bypass(const Graph& graph, const Node& node, Value* replacement) {
  Value* out = node.outputs[0];
  if (graph.is_output(out)) return false;
  for (Node* consumer : out->consumers) {
    std::replace(consumer->inputs.begin(), consumer->inputs.end(), out, replacement);
  }
  out->consumers.clear();
  return true;
}

void make_constant(Value* v, Tensor t) {
  v->type.dtype = t.dtype();
  std::vector<Dim> dims;
  for (int64_t d : t.dims()) dims.push_back(Dim{d, ""});
  v->type.dims = dims;
  v->constant = std::move(t);
  v->producer = nullptr;
}

int64_t concat_axis(const Node& concat) {
  if (concat.inputs.empty() || concat.outputs.empty() || concat.outputs[0] == nullptr) return -1;
  const auto& dims = concat.outputs[0]->type.dims;
  auto axis = concat.attr_int("axis", 0);
  if (!dims || !axis.is_ok()) return -1;
  const auto rank = static_cast<int64_t>(dims->size());
  const int64_t a = axis.value() < 0 ? axis.value() + rank : axis.value();
  return a >= 0 && a < rank ? a : -1;
}

void make_fused(Node& node) {
  if (node.domain == "edgeserve") return;
  node.op_type = node.op_type == "Conv" ? "FusedConv" : "FusedGemm";
  node.domain = "edgeserve";
  node.opset = 1;
}

std::optional<SiluNodes> match_silu(const Graph& graph, const Value* x) {
  if (x->consumers.size() != 2) return std::nullopt;
  for (int k = 0; k < 2; ++k) {
    Node* sig = x->consumers[k];
    Node* mul = x->consumers[1 - k];
    if (sig->op_type != "Sigmoid" || !sig->domain.empty() || mul->op_type != "Mul" || !mul->domain.empty()) continue;
    if (sig->outputs.size() != 1 || !only_feeds(graph, sig->outputs[0], *mul) || mul->inputs.size() != 2) continue;
    const bool operands = (mul->inputs[0] == x && mul->inputs[1] == sig->outputs[0]) ||
                          (mul->inputs[1] == x && mul->inputs[0] == sig->outputs[0]);
    if (operands) return SiluNodes{sig, mul};
  }
  return std::nullopt;
}

std::string scoped_name(const std::string& member, const std::string& op) {
  const size_t slash = member.rfind('/');
  return slash == std::string::npos ? member + "/" + op : member.substr(0, slash + 1) + op;
}

}  // namespace edgeserve
