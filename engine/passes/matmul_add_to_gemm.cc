// MatMul + Add -> Gemm.
#include "engine/passes/matmul_add_to_gemm.h"

#include <optional>
#include <unordered_set>

#include "engine/passes/fusion_util.h"

namespace edgeserve {

namespace {

constexpr int64_t kGemmOpset = 13;  // optional C, unidirectional broadcast of C

bool rank_is(const Value* v, size_t rank) {
  if (v == nullptr) return false;
  if (v->constant) return v->constant->rank() == rank;
  return v->type.dims && v->type.dims->size() == rank;
}

bool float_constant(const Value* v) { return v != nullptr && v->constant && v->constant->dtype() == DType::kFloat32; }

// Whether constant C broadcasts to [M, N] under Gemm's unidirectional rule.
bool is_gemm_bias(const Value* c, const Value* product, int64_t n) {
  if (!float_constant(c) || !product->type.dims) return false;
  const Tensor& t = *c->constant;
  const Dim& m = (*product->type.dims)[0];
  if (t.rank() == 1) return t.dim(0) == n || t.dim(0) == 1;
  if (t.rank() != 2) return false;
  const bool rows = t.dim(0) == 1 || (m.is_known() && t.dim(0) == m.value);
  return rows && (t.dim(1) == n || t.dim(1) == 1);
}

bool is_plain_add(const Node& add) {
  return add.op_type == "Add" && add.domain.empty() && add.inputs.size() == 2 && add.opset >= 7;
}

// The MatMul by a constant float matrix that produces operand i of `add` and feeds nothing else.
Node* matmul_operand(const Graph& graph, const Node& add, int i) {
  const Value* product = add.inputs[i];
  if (product == nullptr || product->producer == nullptr || !only_feeds(graph, product, add)) return nullptr;
  Node* mm = product->producer;
  if (mm->op_type != "MatMul" || !mm->domain.empty() || mm->inputs.size() != 2 || mm->outputs.size() != 1) return nullptr;
  if (!float_constant(mm->inputs[1]) || mm->inputs[1]->constant->rank() != 2) return nullptr;
  return mm;
}

// The MatMul feeding `add` and the index of the Add's bias operand, when they make a Gemm.
Node* gemm_candidate(const Graph& graph, const Node& add, int* bias) {
  if (!is_plain_add(add)) return nullptr;
  for (int i = 0; i < 2; ++i) {
    Node* mm = matmul_operand(graph, add, i);
    if (mm == nullptr || !rank_is(mm->inputs[0], 2)) continue;
    if (!is_gemm_bias(add.inputs[1 - i], add.inputs[i], mm->inputs[1]->constant->dim(1))) continue;
    *bias = 1 - i;
    return mm;
  }
  return nullptr;
}

}  // namespace

Status fuse_matmul_add(Graph& graph) {
  EDGE_RETURN_IF_ERROR(graph.finalize());
  std::unordered_set<const Node*> removed;
  for (const auto& add : graph.nodes()) {
    int bias = 0;
    Node* mm = gemm_candidate(graph, *add, &bias);
    if (mm == nullptr) continue;
    mm->op_type = "Gemm";
    mm->opset = kGemmOpset;
    mm->attributes.clear();  // alpha = beta = 1, no transposes
    mm->inputs.push_back(add->inputs[bias]);
    mm->outputs[0] = add->outputs[0];
    removed.insert(add.get());
  }
  graph.remove_nodes_if([&](const Node& n) { return removed.count(&n) != 0; });
  return graph.finalize();
}

namespace {

// The N bias values if `c` is a float constant of N elements shaped [N] or [1, ..., 1, N].
std::optional<Tensor> bias_of(const Value* c, int64_t n) {
  if (!float_constant(c)) return std::nullopt;
  const Tensor& t = *c->constant;
  if (t.rank() == 0 || t.num_elements() != n || t.dim(t.rank() - 1) != n) return std::nullopt;
  return t.reshaped({n});
}

// The MatMul feeding `add` (A of rank >= 3, constant 2-D B) and the bias, when they fuse.
Node* bias_candidate(const Graph& graph, const Node& add, Tensor* bias) {
  if (!is_plain_add(add)) return nullptr;
  for (int i = 0; i < 2; ++i) {
    Node* mm = matmul_operand(graph, add, i);
    const Value* a = mm == nullptr ? nullptr : mm->inputs[0];
    if (a == nullptr || a->constant || !a->type.dims || a->type.dims->size() < 3) continue;
    auto b = bias_of(add.inputs[1 - i], mm->inputs[1]->constant->dim(1));
    if (!b) continue;
    *bias = std::move(*b);
    return mm;
  }
  return nullptr;
}

}  // namespace

Status fuse_matmul_bias(Graph& graph) {
  EDGE_RETURN_IF_ERROR(graph.finalize());
  std::unordered_set<const Node*> removed;
  for (const auto& add : graph.nodes()) {
    Tensor bias;
    Node* mm = bias_candidate(graph, *add, &bias);
    if (mm == nullptr) continue;
    mm->op_type = "FusedMatMul";
    mm->domain = "edgeserve";
    mm->opset = 1;
    mm->inputs.push_back(add_constant(graph, mm->name + "_bias", std::move(bias)));
    mm->outputs[0] = add->outputs[0];
    removed.insert(add.get());
  }
  graph.remove_nodes_if([&](const Node& n) { return removed.count(&n) != 0; });
  return graph.finalize();
}

}  // namespace edgeserve
