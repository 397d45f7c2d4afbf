// Concat as a oneDNN concat primitive over the inputs' own layouts (oneDNN picks the output's).
#include "common/strings.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/scratchpad.h"
#include "engine/ops/shape_util.h"

namespace edgeserve::cpu {

namespace {

using dnnl::memory;

// Float32, or int8/uint8 (quantized tensors with one shared scale: a pure copy).
bool claims_concat(const Node& node) {
  const int rank = static_rank(node.inputs[0]);
  if (rank < 1 || node.num_present_inputs() < 1 || node.inputs[0] == nullptr) return false;
  const DType type = node.inputs[0]->type.dtype;
  if (type != DType::kFloat32 && type != DType::kUint8 && type != DType::kInt8) return false;
  if (node.outputs[0]->type.dtype != type) return false;
  for (const Value* in : node.inputs) {
    if (in == nullptr || static_rank(in) != rank || in->type.dtype != type) return false;
  }
  auto axis = node.attr_int("axis");
  return axis.is_ok() && axis.value() >= -rank && axis.value() < rank;
}

Result<std::vector<int>> input_slots(const Node& node, ProgramBuilder& b, bool plain) {
  std::vector<int> slots;
  for (const Value* in : node.inputs) {
    int s = -1;
    if (in->constant) {
      EDGE_ASSIGN_OR_RETURN(s, b.typed_constant_slot(in, plain_md(b.dims_of(in), dnnl_dtype(in->type.dtype))));
    } else if (plain) {
      EDGE_ASSIGN_OR_RETURN(s, b.plain_slot(in, node));
    } else {
      EDGE_ASSIGN_OR_RETURN(s, b.slot_of(in));
    }
    slots.push_back(s);
  }
  return slots;
}

Result<dnnl::concat::primitive_desc> concat_pd(const Node& node, ProgramBuilder& b, const std::vector<int>& slots,
                                               int axis) {
  std::vector<memory::desc> mds;
  for (int s : slots) mds.push_back(b.md(s));
  const memory::dims first = mds[0].dims();
  for (const memory::desc& md : mds) {
    for (size_t i = 0; i < first.size(); ++i) {
      if (static_cast<int>(i) != axis && md.dims()[i] != first[i]) {
        return invalid_argument(str_cat(node.describe(), ": inputs differ in dimension ", i));
      }
    }
  }
  return dnnl::concat::primitive_desc(axis, mds, b.engine(), user_scratchpad());
}

// Plain inputs: one reorder per input into its region of the plain output (a strided view),
// which oneDNN runs as a vectorised copy; its concat primitive is several times slower here.
Status build_plain_concat(const Node& node, ProgramBuilder& b, const std::vector<int>& slots, int axis) {
  memory::dims out = b.md(slots[0]).dims();
  out[axis] = 0;
  for (int s : slots) out[axis] += b.md(s).dims()[axis];
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(plain_md(out, b.md(slots[0]).data_type()), node));
  const std::vector<int64_t> strides = contiguous_strides(Dims(out.begin(), out.end()));
  int64_t offset = 0;
  for (int s : slots) {
    const int view = b.strided_view(dst, b.md(s).dims(), memory::dims(strides.begin(), strides.end()), offset);
    dnnl::reorder::primitive_desc pd(b.engine(), b.md(s), b.engine(), b.md(view), user_scratchpad());
    b.add_step(dnnl::reorder(pd), {{DNNL_ARG_FROM, s}, {DNNL_ARG_TO, view}}, node);
    offset += b.md(s).dims()[axis] * strides[axis];
  }
  b.define(node.outputs[0], dst);
  return Status::ok();
}

bool all_plain(const ProgramBuilder& b, const std::vector<int>& slots) {
  for (int s : slots) {
    if (!is_plain(b.md(s))) return false;
  }
  return true;
}

Status build_concat(const Node& node, ProgramBuilder& b) {
  const int rank = static_cast<int>(b.dims_of(node.inputs[0]).size());
  EDGE_ASSIGN_OR_RETURN(int64_t axis, node.attr_int("axis"));
  if (axis < 0) axis += rank;
  EDGE_ASSIGN_OR_RETURN(std::vector<int> slots, input_slots(node, b, false));
  if (all_plain(b, slots)) return build_plain_concat(node, b, slots, static_cast<int>(axis));
  dnnl::concat::primitive_desc pd;
  try {
    EDGE_ASSIGN_OR_RETURN(pd, concat_pd(node, b, slots, static_cast<int>(axis)));
  } catch (const dnnl::error&) {
    EDGE_ASSIGN_OR_RETURN(slots, input_slots(node, b, true));  // mixed layouts: concat plain copies
    EDGE_ASSIGN_OR_RETURN(pd, concat_pd(node, b, slots, static_cast<int>(axis)));
  }
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(pd.dst_desc(), node));
  std::vector<std::pair<int, int>> args = {{DNNL_ARG_DST, dst}};
  for (size_t i = 0; i < slots.size(); ++i) args.emplace_back(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), slots[i]);
  b.add_step(dnnl::concat(pd), std::move(args), node);
  b.define(node.outputs[0], dst);
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> concat_ops() { return {CpuOp{"Concat", claims_concat, build_concat, "", 4}}; }

}  // namespace edgeserve::cpu
