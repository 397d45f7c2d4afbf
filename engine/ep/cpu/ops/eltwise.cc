// Activations and unary math as oneDNN eltwise primitives. Layout-agnostic: the output keeps the
// input's layout (blocked or plain), and overwrites the input when nothing else reads it.
#include <cfloat>

#include "common/strings.h"
#include "engine/ep/cpu/ops/activation.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/scratchpad.h"

namespace edgeserve::cpu {

namespace {

Result<float> constant_scalar(const Node& node, size_t i, float fallback) {
  if (!node.has_input(i)) return fallback;
  const Tensor& t = *node.inputs[i]->constant;
  if (t.dtype() != DType::kFloat32 || t.num_elements() != 1) {
    return invalid_argument(str_cat(node.describe(), ": input ", i, " must be a float32 scalar"));
  }
  return t.data<float>()[0];
}

// The ONNX parameters of the node's activation, in the order activation_steps() expects.
Result<std::vector<float>> node_params(const Node& node) {
  const std::string& op = node.op_type;
  std::vector<float> params;
  if (op == "LeakyRelu" || op == "Elu") {
    EDGE_ASSIGN_OR_RETURN(float alpha, node.attr_float("alpha", op == "Elu" ? 1.f : 0.01f));
    params = {alpha};
  } else if (op == "HardSigmoid") {
    EDGE_ASSIGN_OR_RETURN(float alpha, node.attr_float("alpha", 0.2f));
    EDGE_ASSIGN_OR_RETURN(float beta, node.attr_float("beta", 0.5f));
    params = {alpha, beta};
  } else if (op == "Clip" && node.opset < 11) {
    EDGE_ASSIGN_OR_RETURN(float lo, node.attr_float("min", -FLT_MAX));
    EDGE_ASSIGN_OR_RETURN(float hi, node.attr_float("max", FLT_MAX));
    params = {lo, hi};
  } else if (op == "Clip") {
    EDGE_ASSIGN_OR_RETURN(float lo, constant_scalar(node, 1, -FLT_MAX));
    EDGE_ASSIGN_OR_RETURN(float hi, constant_scalar(node, 2, FLT_MAX));
    params = {lo, hi};
  }
  return params;
}

bool claims_eltwise(const Node& node) {
  if (!is_float32(node.inputs[0]) || static_rank(node.inputs[0]) < 1) return false;
  if (node.op_type == "Clip" && node.opset >= 11) {
    for (size_t i = 1; i < node.inputs.size(); ++i) {
      if (node.has_input(i) && !is_constant_input(node, i)) return false;
    }
    return node_params(node).is_ok();
  }
  return node.num_present_inputs() == 1 && float32_io(node);
}

Status build_eltwise(const Node& node, ProgramBuilder& b) {
  EDGE_ASSIGN_OR_RETURN(std::vector<float> params, node_params(node));
  EDGE_ASSIGN_OR_RETURN(std::vector<EltwiseStep> steps, activation_steps(node.op_type, params));
  const Value* x = node.inputs[0];
  EDGE_ASSIGN_OR_RETURN(int src, b.slot_of(x));
  const bool in_place = b.can_overwrite(x, node);
  int current = src;
  for (const EltwiseStep& s : steps) {
    dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, s.algorithm, b.md(current), s.alpha, s.beta);
    dnnl::eltwise_forward::primitive_desc pd(d, user_scratchpad(), b.engine());
    int dst = current;
    if (!(in_place || current != src)) {
      EDGE_ASSIGN_OR_RETURN(dst, b.new_slot(pd.dst_desc(), node));
    }
    b.add_step(dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, current}, {DNNL_ARG_DST, dst}}, node);
    current = dst;
  }
  b.define(node.outputs[0], current);
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> eltwise_ops() {
  std::vector<CpuOp> ops;
  // Not Log: oneDNN's approximation gives log(1) = -1.4e-6 where the ONNX tests expect 0.
  for (const char* op : {"Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSwish", "HardSigmoid", "Elu",
                         "Softplus", "Exp", "Sqrt", "Abs", "Neg"}) {
    ops.push_back(CpuOp{op, claims_eltwise, build_eltwise});
  }
  ops.push_back(CpuOp{"Gelu", claims_eltwise, build_eltwise, "edgeserve"});  // GELU fusion's node: gelu_erf
  return ops;
}

}  // namespace edgeserve::cpu
