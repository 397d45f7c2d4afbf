// BatchNormalization (inference, when it could not be folded into a Conv) and
// LayerNormalization as oneDNN primitives. BatchNormalization keeps its input's layout;
// LayerNormalization runs on the plain layout viewed as [outer, inner], oneDNN normalizing the
// last dimension.
#include "common/strings.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/scratchpad.h"

namespace edgeserve::cpu {

namespace {

using dnnl::memory;

bool no_outputs_beyond_first(const Node& node) {
  for (size_t i = 1; i < node.outputs.size(); ++i) {
    if (node.outputs[i] != nullptr) return false;
  }
  return true;
}

bool constant_inputs(const Node& node, size_t from, size_t to) {
  for (size_t i = from; i < to; ++i) {
    if (node.has_input(i) && !is_constant_input(node, i)) return false;
  }
  return true;
}

bool claims_batchnorm(const Node& node) {
  const int rank = static_rank(node.inputs[0]);
  if (rank < 2 || rank > 5 || !float32_io(node) || node.num_present_inputs() != 5) return false;
  auto training = node.attr_int("training_mode", 0);
  return training.is_ok() && training.value() == 0 && no_outputs_beyond_first(node) && constant_inputs(node, 1, 5);
}

Status build_batchnorm(const Node& node, ProgramBuilder& b) {
  EDGE_ASSIGN_OR_RETURN(int src, b.slot_of(node.inputs[0]));
  EDGE_ASSIGN_OR_RETURN(float epsilon, node.attr_float("epsilon", 1e-5f));
  const memory::dims dims = b.md(src).dims();
  const memory::desc channel_md({dims[1]}, memory::data_type::f32, Tag::a);
  for (size_t i = 1; i < 5; ++i) {
    if (b.dims_of(node.inputs[i]) != memory::dims{dims[1]}) {
      return invalid_argument(str_cat(node.describe(), ": input ", i, " must have ", dims[1], " elements"));
    }
  }
  const auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
                     dnnl::normalization_flags::use_shift;
  dnnl::batch_normalization_forward::primitive_desc pd(
      {dnnl::prop_kind::forward_inference, b.md(src), epsilon, flags}, user_scratchpad(), b.engine());
  EDGE_ASSIGN_OR_RETURN(int scale, b.constant_slot(node.inputs[1], channel_md));
  EDGE_ASSIGN_OR_RETURN(int shift, b.constant_slot(node.inputs[2], channel_md));
  EDGE_ASSIGN_OR_RETURN(int mean, b.constant_slot(node.inputs[3], channel_md));
  EDGE_ASSIGN_OR_RETURN(int var, b.constant_slot(node.inputs[4], channel_md));
  int dst = src;
  if (!b.can_overwrite(node.inputs[0], node)) {
    EDGE_ASSIGN_OR_RETURN(dst, b.new_slot(pd.dst_desc(), node));
  }
  b.add_step(dnnl::batch_normalization_forward(pd),
             {{DNNL_ARG_SRC, src}, {DNNL_ARG_SCALE, scale}, {DNNL_ARG_SHIFT, shift}, {DNNL_ARG_MEAN, mean},
              {DNNL_ARG_VARIANCE, var}, {DNNL_ARG_DST, dst}},
             node);
  b.define(node.outputs[0], dst);
  return Status::ok();
}

bool claims_layernorm(const Node& node) {
  const int rank = static_rank(node.inputs[0]);
  if (rank < 1 || !float32_io(node) || !node.has_input(1) || !no_outputs_beyond_first(node)) return false;
  auto axis = node.attr_int("axis", -1);
  auto stash = node.attr_int("stash_type", 1);
  if (!axis.is_ok() || axis.value() < -rank || axis.value() >= rank || !stash.is_ok() || stash.value() != 1) {
    return false;
  }
  return constant_inputs(node, 1, 3);
}

Status build_layernorm(const Node& node, ProgramBuilder& b) {
  EDGE_ASSIGN_OR_RETURN(int src, b.plain_slot(node.inputs[0], node));
  EDGE_ASSIGN_OR_RETURN(float epsilon, node.attr_float("epsilon", 1e-5f));
  EDGE_ASSIGN_OR_RETURN(int64_t axis, node.attr_int("axis", -1));
  const memory::dims dims = b.md(src).dims();
  if (axis < 0) axis += static_cast<int64_t>(dims.size());
  int64_t outer = 1, inner = 1;
  for (size_t i = 0; i < dims.size(); ++i) (static_cast<int64_t>(i) < axis ? outer : inner) *= dims[i];
  // Scale and bias must cover the normalized dims exactly (no broadcasting of a smaller one).
  const bool has_bias = node.has_input(2);
  for (size_t i = 1; i < (has_bias ? 3u : 2u); ++i) {
    memory::dim n = 1;
    for (memory::dim d : b.dims_of(node.inputs[i])) n *= d;
    if (n != inner) return unimplemented(str_cat(node.describe(), ": scale/bias do not cover the normalized dims"));
  }
  const memory::desc md2d = plain_md({outer, inner});
  const int src2d = b.view_slot(src, md2d);
  auto flags = dnnl::normalization_flags::use_scale;
  if (has_bias) flags = flags | dnnl::normalization_flags::use_shift;
  dnnl::layer_normalization_forward::primitive_desc pd({dnnl::prop_kind::forward_inference, md2d, epsilon, flags},
                                                       user_scratchpad(), b.engine());
  const memory::desc vector_md({inner}, memory::data_type::f32, Tag::a);
  EDGE_ASSIGN_OR_RETURN(int scale, b.constant_slot(node.inputs[1], vector_md));
  std::vector<std::pair<int, int>> args = {{DNNL_ARG_SRC, src2d}, {DNNL_ARG_SCALE, scale}};
  if (has_bias) {
    EDGE_ASSIGN_OR_RETURN(int shift, b.constant_slot(node.inputs[2], vector_md));
    args.emplace_back(DNNL_ARG_SHIFT, shift);
  }
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(plain_md(dims), node));
  args.emplace_back(DNNL_ARG_DST, b.view_slot(dst, md2d));
  b.add_step(dnnl::layer_normalization_forward(pd), std::move(args), node);
  b.define(node.outputs[0], dst);
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> normalization_ops() {
  return {CpuOp{"BatchNormalization", claims_batchnorm, build_batchnorm, "", 9},
          CpuOp{"LayerNormalization", claims_layernorm, build_layernorm, "", 17},
          CpuOp{"LayerNormalization", claims_layernorm, build_layernorm, "edgeserve", 1}};
}

}  // namespace edgeserve::cpu
