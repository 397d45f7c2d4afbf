// Softmax and LogSoftmax as oneDNN primitives on the plain layout.
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/scratchpad.h"

namespace edgeserve::cpu {

namespace {

bool claims_softmax(const Node& node) {
  const int rank = static_rank(node.inputs[0]);
  if (rank < 1 || !float32_io(node)) return false;
  auto axis = node.attr_int("axis", node.opset >= 13 ? -1 : 1);
  if (!axis.is_ok() || axis.value() < -rank || axis.value() >= rank) return false;
  // Before opset 13 the input is flattened to 2-D at `axis`: the same as a softmax over one
  // axis only when that axis is the last.
  return node.opset >= 13 || axis.value() == -1 || axis.value() == rank - 1;
}

Status build_softmax(const Node& node, ProgramBuilder& b) {
  EDGE_ASSIGN_OR_RETURN(int src, b.plain_slot(node.inputs[0], node));
  const int rank = static_cast<int>(b.md(src).dims().size());
  EDGE_ASSIGN_OR_RETURN(int64_t axis, node.attr_int("axis", node.opset >= 13 ? -1 : 1));
  if (axis < 0) axis += rank;
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(b.md(src), node));
  const auto prop = dnnl::prop_kind::forward_inference;
  if (node.op_type == "Softmax") {
    dnnl::softmax_forward::primitive_desc pd({prop, b.md(src), static_cast<int>(axis)}, user_scratchpad(), b.engine());
    b.add_step(dnnl::softmax_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}, node);
  } else {
    dnnl::logsoftmax_forward::primitive_desc pd({prop, b.md(src), static_cast<int>(axis)}, user_scratchpad(), b.engine());
    b.add_step(dnnl::logsoftmax_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}, node);
  }
  b.define(node.outputs[0], dst);
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> softmax_ops() {
  return {CpuOp{"Softmax", claims_softmax, build_softmax}, CpuOp{"LogSoftmax", claims_softmax, build_softmax}};
}

}  // namespace edgeserve::cpu
