// QLinearSigmoid / QLinearLeakyRelu / quantized SiLU into edgeserve.QLinearTable.
#include "engine/passes/qlinear_table_fusion.h"

#include <array>
#include <optional>
#include <unordered_set>

#include "engine/ops/qlinear_math.h"
#include "engine/passes/fusion_util.h"

namespace edgeserve {

namespace {

constexpr const char* kMicrosoft = "com.microsoft";

bool is_ms_op(const Node* n, const char* op) { return n != nullptr && n->domain == kMicrosoft && n->op_type == op; }

struct Params {
  float scale = 1.f;
  int32_t zero = 0;
};

// A constant float32 scale (> 0) and an optional constant 8-bit zero point of type `t`.
std::optional<Params> params_at(const Node& n, size_t scale, size_t zero, DType t) {
  if (!n.has_input(scale) || !n.inputs[scale]->constant) return std::nullopt;
  const Tensor& s = *n.inputs[scale]->constant;
  if (s.dtype() != DType::kFloat32 || s.num_elements() != 1 || !(s.data<float>()[0] > 0.f)) return std::nullopt;
  Params p{s.data<float>()[0], 0};
  if (n.has_input(zero)) {
    if (!n.inputs[zero]->constant) return std::nullopt;
    const Tensor& z = *n.inputs[zero]->constant;
    if (z.dtype() != t || z.num_elements() != 1) return std::nullopt;
    p.zero = t == DType::kUint8 ? z.data<uint8_t>()[0] : z.data<int8_t>()[0];
  }
  return p;
}

DType type_of(const Value* v) { return v == nullptr ? DType::kUndefined : v->type.dtype; }

// The unary op's table: X, x_scale, [x_zp], y_scale, [y_zp].
template <typename T>
std::optional<std::array<T, 256>> unary_table(const Node& n) {
  const DType t = type_of(n.inputs[0]);
  auto x = params_at(n, 1, 2, t);
  auto y = params_at(n, 3, 4, t);
  if (!x || !y) return std::nullopt;
  if (n.op_type == "QLinearSigmoid") return quantized_table<T>(x->scale, x->zero, y->scale, y->zero, mlas_logistic);
  auto alpha = n.attr_float("alpha", 0.01f);
  if (!alpha.is_ok()) return std::nullopt;
  const float a = alpha.value();
  return quantized_table<T>(x->scale, x->zero, y->scale, y->zero, [a](float v) { return v >= 0.0f ? v : a * v; });
}

// QLinearMul(A, B) where one operand is QLinearSigmoid of the other (read only here): the
// product for every byte of the shared input, operands in the node's order.
template <typename T>
std::optional<std::array<T, 256>> silu_table(const Graph& g, const Node& mul, const Node*& sigmoid, const Value*& x) {
  for (size_t s_side : {size_t{3}, size_t{0}}) {
    const size_t x_side = s_side == 3 ? 0 : 3;
    const Node* sig = mul.inputs[s_side] != nullptr ? mul.inputs[s_side]->producer : nullptr;
    if (!is_ms_op(sig, "QLinearSigmoid") || sig->inputs[0] != mul.inputs[x_side]) continue;
    if (!only_feeds(g, mul.inputs[s_side], mul)) continue;
    const DType t = type_of(mul.inputs[0]);
    auto sig_table = unary_table<T>(*sig);
    auto pa = params_at(mul, 1, 2, t), pb = params_at(mul, 4, 5, t), pc = params_at(mul, 6, 7, t);
    if (!sig_table || !pa || !pb || !pc) return std::nullopt;
    const QLinearMulParams p = qlinear_mul_params(pa->scale, pa->zero, pb->scale, pb->zero, pc->scale, pc->zero);
    std::array<T, 256> table{};
    for (int i = 0; i < 256; ++i) {
      const T xv = static_cast<T>(static_cast<uint8_t>(i));
      const T sv = (*sig_table)[static_cast<size_t>(i)];
      const int32_t a = s_side == 3 ? xv : sv, b = s_side == 3 ? sv : xv;
      table[static_cast<size_t>(i)] = qlinear_mul<T>(a, b, p);
    }
    sigmoid = sig;
    x = mul.inputs[x_side];
    return table;
  }
  return std::nullopt;
}

template <typename T>
Tensor table_tensor(const std::array<T, 256>& table) {
  return Tensor::from_vector<T>({256}, std::vector<T>(table.begin(), table.end()));
}

void make_table_node(Graph& g, Node& n, Value* x, Tensor table) {
  n.op_type = "QLinearTable";
  n.domain = "edgeserve";
  n.opset = 1;
  n.attributes.clear();
  n.inputs = {x, add_constant(g, n.name + "_table", std::move(table))};
}

// Rewrites `n` in place when it is one of the patterns; the absorbed sigmoid goes to `removed`.
template <typename T>
bool fuse_node(Graph& g, Node& n, std::unordered_set<const Node*>& removed) {
  const DType t = type_of(n.inputs.empty() ? nullptr : n.inputs[0]);
  if (n.outputs.size() != 1 || type_of(n.outputs[0]) != t) return false;
  if (is_ms_op(&n, "QLinearMul") && n.inputs.size() >= 7 && type_of(n.inputs[3]) == t) {
    const Node* sigmoid = nullptr;
    const Value* x = nullptr;
    auto table = silu_table<T>(g, n, sigmoid, x);
    if (!table || removed.count(sigmoid)) return false;
    removed.insert(sigmoid);
    make_table_node(g, n, const_cast<Value*>(x), table_tensor(*table));
    return true;
  }
  if (!is_ms_op(&n, "QLinearSigmoid") && !is_ms_op(&n, "QLinearLeakyRelu")) return false;
  auto table = unary_table<T>(n);
  if (!table) return false;
  make_table_node(g, n, n.inputs[0], table_tensor(*table));
  return true;
}

}  // namespace

Status fuse_qlinear_tables(Graph& graph) {
  EDGE_RETURN_IF_ERROR(graph.finalize());
  std::unordered_set<const Node*> removed;
  // SiLU products first: their sigmoids are absorbed, not turned into tables of their own.
  for (bool products : {true, false}) {
    for (const auto& node : graph.nodes()) {
      Node& n = *node;
      if (removed.count(&n) || n.inputs.empty() || (n.op_type == "QLinearMul") != products) continue;
      const DType t = type_of(n.inputs[0]);
      if (t == DType::kUint8) {
        fuse_node<uint8_t>(graph, n, removed);
      } else if (t == DType::kInt8) {
        fuse_node<int8_t>(graph, n, removed);
      }
    }
    EDGE_RETURN_IF_ERROR(graph.finalize());
  }
  graph.remove_nodes_if([&](const Node& n) { return removed.count(&n) != 0; });
  return graph.finalize();
}

}  // namespace edgeserve
