// Gemm with constant weights as a oneDNN inner product: the weights are prepacked once into the
// layout oneDNN picks, the bias rides along, and edgeserve.FusedGemm adds an activation post-op.
#include "common/strings.h"
#include "engine/ep/cpu/ops/activation.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/scratchpad.h"

namespace edgeserve::cpu {

namespace {

using dnnl::memory;

bool claims_gemm(const Node& node) {
  if (static_rank(node.inputs[0]) != 2 || !float32_io(node) || !is_constant_input(node, 1)) return false;
  if (node.inputs[1]->constant->rank() != 2) return false;
  auto trans_a = node.attr_int("transA", 0);
  auto alpha = node.attr_float("alpha", 1.f);
  auto beta = node.attr_float("beta", 1.f);
  if (!trans_a.is_ok() || trans_a.value() != 0 || !alpha.is_ok() || alpha.value() != 1.f) return false;
  if (node.has_input(2)) {
    if (!is_constant_input(node, 2) || !beta.is_ok() || beta.value() != 1.f) return false;
    // A per-output bias: C has N elements, shaped [N] or [1, N].
    const Tensor& c = *node.inputs[2]->constant;
    const Dims& w = node.inputs[1]->constant->dims();
    auto trans_b = node.attr_int("transB", 0);
    if (!trans_b.is_ok()) return false;
    const int64_t n = trans_b.value() ? w[0] : w[1];
    if (c.num_elements() != n || c.rank() > 2 || (c.rank() == 2 && c.dim(0) != 1)) return false;
  }
  if (node.domain == "edgeserve") {
    auto act = node.attr_string("activation", "");
    if (!act.is_ok() || (!act.value().empty() && !is_supported_activation(act.value()))) return false;
  }
  return true;
}

Status build_gemm(const Node& node, ProgramBuilder& b) {
  EDGE_ASSIGN_OR_RETURN(int64_t trans_b, node.attr_int("transB", 0));
  EDGE_ASSIGN_OR_RETURN(int src, b.plain_slot(node.inputs[0], node));
  const memory::dims a = b.md(src).dims();
  const Dims& w = node.inputs[1]->constant->dims();
  const int64_t k = trans_b ? w[1] : w[0];
  const int64_t n = trans_b ? w[0] : w[1];
  if (a[1] != k) {
    return invalid_argument(str_cat(node.describe(), ": A has ", a[1], " columns but B has ", k, " rows"));
  }
  const bool has_bias = node.has_input(2);
  const memory::desc bias_md = has_bias ? memory::desc({n}, memory::data_type::f32, Tag::a) : memory::desc();
  dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_inference, b.md(src),
                                      memory::desc({n, k}, memory::data_type::f32, Tag::any), bias_md,
                                      memory::desc({a[0], n}, memory::data_type::f32, Tag::ab));
  EDGE_ASSIGN_OR_RETURN(dnnl::primitive_attr attr, fused_activation_attr(node));
  dnnl::inner_product_forward::primitive_desc pd(d, attr, b.engine());
  // B is [K, N] unless transB; oneDNN's weights are [N, K]: describe the constant as it lies.
  const memory::desc stored = trans_b ? memory::desc({n, k}, memory::data_type::f32, Tag::ab)
                                      : memory::desc({n, k}, memory::data_type::f32, Tag::ba);
  EDGE_ASSIGN_OR_RETURN(int weights, b.constant_slot(node.inputs[1], pd.weights_desc(), stored));
  std::vector<std::pair<int, int>> args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}};
  if (has_bias) {
    EDGE_ASSIGN_OR_RETURN(int bias, b.constant_slot(node.inputs[2], bias_md));
    args.emplace_back(DNNL_ARG_BIAS, bias);
  }
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(pd.dst_desc(), node));
  args.emplace_back(DNNL_ARG_DST, dst);
  b.add_step(dnnl::inner_product_forward(pd), std::move(args), node);
  b.define(node.outputs[0], dst);
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> gemm_ops() {
  return {CpuOp{"Gemm", claims_gemm, build_gemm}, CpuOp{"FusedGemm", claims_gemm, build_gemm, "edgeserve"}};
}

}  // namespace edgeserve::cpu
