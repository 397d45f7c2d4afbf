// MatMul (numpy semantics, both operands of rank >= 2) as a oneDNN matmul primitive. The lower
// rank operand is viewed with leading ones so the batch dims broadcast; a constant B is
// prepacked once into the layout oneDNN picks.
#include <algorithm>

#include "common/strings.h"
#include "engine/ep/cpu/ops/activation.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/scratchpad.h"

namespace edgeserve::cpu {

namespace {

using dnnl::memory;

bool claims_matmul(const Node& node) {
  // Rank-1 operands (vector products) have their own numpy rules; they stay on the reference.
  return node.num_present_inputs() == 2 && float32_io(node) && static_rank(node.inputs[0]) >= 2 &&
         static_rank(node.inputs[1]) >= 2;
}

memory::dims padded(const memory::dims& d, size_t rank) {
  memory::dims out(rank - d.size(), 1);
  out.insert(out.end(), d.begin(), d.end());
  return out;
}

Result<memory::dims> output_dims(const Node& node, const memory::dims& a, const memory::dims& b) {
  const size_t rank = a.size();
  if (a[rank - 1] != b[rank - 2]) {
    return invalid_argument(str_cat(node.describe(), ": A has ", a[rank - 1], " columns but B has ", b[rank - 2], " rows"));
  }
  memory::dims out(rank);
  for (size_t i = 0; i + 2 < rank; ++i) {
    if (a[i] != b[i] && a[i] != 1 && b[i] != 1) {
      return invalid_argument(str_cat(node.describe(), ": batch dims ", a[i], " and ", b[i], " do not broadcast"));
    }
    out[i] = std::max(a[i], b[i]);
  }
  out[rank - 2] = a[rank - 2];
  out[rank - 1] = b[rank - 1];
  return out;
}

// A [..., M, K] x B [K, N]: the batch dims of A fold into M, so oneDNN runs one GEMM instead of
// a batch of small ones (torch's attention projections multiply [seq, batch, E] by [E, 3E]:
// 197 batched matrix-vector products where one [197, E] x [E, 3E] GEMM does). edgeserve.FusedMatMul
// adds a bias of N values (input 2) and an activation post-op.
Status build_matmul_folded(const Node& node, ProgramBuilder& b, const memory::dims& a0, const memory::dims& w) {
  memory::dim rows = 1;
  for (size_t i = 0; i + 1 < a0.size(); ++i) rows *= a0[i];
  const memory::dim k = a0.back();
  if (k != w[0]) return invalid_argument(str_cat(node.describe(), ": A has ", k, " columns but B has ", w[0], " rows"));
  EDGE_ASSIGN_OR_RETURN(int a_plain, b.plain_slot(node.inputs[0], node));
  const int src = b.view_slot(a_plain, plain_md({rows, k}));
  const memory::desc w_md(w, memory::data_type::f32, Tag::any);
  const bool has_bias = node.has_input(2);
  const memory::desc bias_md = has_bias ? plain_md({1, w[1]}) : memory::desc();
  dnnl::matmul::desc d(b.md(src), w_md, bias_md, plain_md({rows, w[1]}));
  EDGE_ASSIGN_OR_RETURN(dnnl::primitive_attr attr, fused_activation_attr(node));
  dnnl::matmul::primitive_desc pd(d, attr, b.engine());
  EDGE_ASSIGN_OR_RETURN(int weights, b.constant_slot(node.inputs[1], pd.weights_desc()));
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(pd.dst_desc(), node));
  std::vector<std::pair<int, int>> args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
  if (has_bias) {
    EDGE_ASSIGN_OR_RETURN(int bias, b.constant_slot(node.inputs[2], bias_md));
    args.push_back({DNNL_ARG_BIAS, bias});
  }
  b.add_step(dnnl::matmul(pd), std::move(args), node);
  memory::dims out(a0.begin(), a0.end() - 1);
  out.push_back(w[1]);
  b.define(node.outputs[0], b.view_slot(dst, plain_md(out)));
  return Status::ok();
}

bool claims_fused_matmul(const Node& node) {
  if (node.inputs.size() != 3 || !node.has_input(2) || !float32_io(node) || static_rank(node.inputs[0]) < 2) {
    return false;
  }
  if (!is_constant_input(node, 1) || node.inputs[1]->constant->rank() != 2 || !is_constant_input(node, 2)) return false;
  if (node.inputs[2]->constant->num_elements() != node.inputs[1]->constant->dim(1)) return false;
  auto act = node.attr_string("activation", "");
  return act.is_ok() && (act.value().empty() || is_supported_activation(act.value()));
}

Status build_fused_matmul(const Node& node, ProgramBuilder& b) {
  return build_matmul_folded(node, b, b.dims_of(node.inputs[0]), b.dims_of(node.inputs[1]));
}

Status build_matmul(const Node& node, ProgramBuilder& b) {
  const memory::dims a0 = b.dims_of(node.inputs[0]);
  const memory::dims b0 = b.dims_of(node.inputs[1]);
  if (a0.size() > 2 && b0.size() == 2 && node.inputs[1]->constant) return build_matmul_folded(node, b, a0, b0);
  const size_t rank = std::max(a0.size(), b0.size());
  const memory::dims a = padded(a0, rank), w = padded(b0, rank);
  EDGE_ASSIGN_OR_RETURN(memory::dims out, output_dims(node, a, w));
  EDGE_ASSIGN_OR_RETURN(int a_plain, b.plain_slot(node.inputs[0], node));
  const int src = b.view_slot(a_plain, plain_md(a));
  const bool constant_b = node.inputs[1]->constant.has_value();
  const memory::desc w_md = constant_b ? memory::desc(w, memory::data_type::f32, Tag::any) : plain_md(w);
  dnnl::matmul::desc d(b.md(src), w_md, plain_md(out));
  dnnl::matmul::primitive_desc pd(d, user_scratchpad(), b.engine());
  int weights = -1;
  if (constant_b) {
    EDGE_ASSIGN_OR_RETURN(weights, b.constant_slot(node.inputs[1], pd.weights_desc()));
  } else {
    EDGE_ASSIGN_OR_RETURN(int w_plain, b.plain_slot(node.inputs[1], node));
    weights = b.view_slot(w_plain, plain_md(w));
  }
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(pd.dst_desc(), node));
  b.add_step(dnnl::matmul(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}}, node);
  b.define(node.outputs[0], dst);
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> matmul_ops() {
  return {CpuOp{"MatMul", claims_matmul, build_matmul, "", 9},
          CpuOp{"FusedMatMul", claims_fused_matmul, build_fused_matmul, "edgeserve"}};
}

}  // namespace edgeserve::cpu
