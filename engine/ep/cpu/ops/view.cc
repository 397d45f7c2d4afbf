// Ops that only change how a tensor is viewed. Identity and Dropout alias their input; the
// reshaping ops need the plain layout (a blocked tensor is reordered once) and then view the
// same buffer with new dims, copying nothing.
#include "common/strings.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ops/shape_util.h"

namespace edgeserve::cpu {

namespace {

using dnnl::memory;

bool claims_view(const Node& node) {
  const DType t = node.inputs[0]->type.dtype;
  const bool held = t == DType::kFloat32 || t == DType::kUint8 || t == DType::kInt8;  // views move no data
  if (static_rank(node.inputs[0]) < 1 || !held) return false;
  if (node.outputs.size() > 1 && node.outputs[1] != nullptr) return false;  // Dropout mask
  if (node.op_type == "Dropout") return node.num_present_inputs() == 1;      // inference: identity
  if (node.op_type == "Reshape") return node.opset >= 5 && is_constant_input(node, 1);
  return node.num_present_inputs() == 1;
}

Result<Dims> view_dims(const Node& node, const Dims& in) {
  if (node.op_type == "Flatten") {
    EDGE_ASSIGN_OR_RETURN(int64_t axis, node.attr_int("axis", 1));
    const auto rank = static_cast<int64_t>(in.size());
    if (axis < 0) axis += rank;
    if (axis < 0 || axis > rank) return invalid_argument(str_cat(node.describe(), ": axis is out of range"));
    int64_t outer = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= in[i];
    int64_t inner = 1;
    for (int64_t i = axis; i < rank; ++i) inner *= in[i];
    return Dims{outer, inner};
  }
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> shape, read_int_values(*node.inputs[1]->constant));
  EDGE_ASSIGN_OR_RETURN(int64_t allow_zero, node.attr_int("allowzero", 0));
  auto dims = reshape_dims(in, shape, allow_zero != 0);
  if (!dims.is_ok()) return dims.status().with_context(node.describe());
  return dims;
}

Status build_view(const Node& node, ProgramBuilder& b) {
  const Value* x = node.inputs[0];
  if (node.op_type == "Identity" || node.op_type == "Dropout") {
    EDGE_ASSIGN_OR_RETURN(int s, b.slot_of(x));
    b.define(node.outputs[0], b.view_slot(s, b.md(s)));
    return Status::ok();
  }
  const memory::dims in = b.dims_of(x);
  EDGE_ASSIGN_OR_RETURN(Dims out, view_dims(node, Dims(in.begin(), in.end())));
  if (out.empty()) return unimplemented(str_cat(node.describe(), ": scalar results stay on the reference provider"));
  EDGE_ASSIGN_OR_RETURN(int plain, b.plain_slot(x, node));
  b.define(node.outputs[0], b.view_slot(plain, plain_md(memory::dims(out.begin(), out.end()), b.md(plain).data_type())));
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> view_ops() {
  return {CpuOp{"Identity", claims_view, build_view}, CpuOp{"Dropout", claims_view, build_view},
          CpuOp{"Flatten", claims_view, build_view}, CpuOp{"Reshape", claims_view, build_view}};
}

}  // namespace edgeserve::cpu
