// Max/average pooling (local and global) as oneDNN pooling primitives, in the input's layout.
#include <algorithm>

#include "common/strings.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/scratchpad.h"
#include "engine/ops/conv_geometry.h"

namespace edgeserve::cpu {

namespace {

using dnnl::memory;

bool is_global(const Node& node) { return node.op_type.rfind("Global", 0) == 0; }

// Max pooling only compares, so it runs on integer (quantized) tensors as well.
bool pool_types_ok(const Node& node) {
  if (float32_io(node)) return true;
  const bool max = node.op_type == "MaxPool" || node.op_type == "GlobalMaxPool";
  const DType t = node.inputs[0]->type.dtype;
  return max && (t == DType::kUint8 || t == DType::kInt8) && node.outputs[0]->type.dtype == t;
}

bool claims_pool(const Node& node) {
  const int rank = static_rank(node.inputs[0]);
  if (rank < 3 || rank > 5 || !pool_types_ok(node)) return false;
  if (node.outputs.size() > 1 && node.outputs[1] != nullptr) return false;  // MaxPool indices
  if (is_global(node)) return true;
  auto attrs = read_window_attrs(node);
  if (!attrs.is_ok() || attrs.value().kernel_shape.empty()) return false;
  if (node.op_type == "AveragePool") {
    // ONNX divides ceil-mode windows that hang over the end by a count oneDNN does not use.
    auto include_pad = node.attr_int("count_include_pad", 0);
    if (!include_pad.is_ok() || (include_pad.value() != 0 && attrs.value().ceil_mode)) return false;
    if (!attrs.value().dilations.empty()) {
      for (int64_t d : attrs.value().dilations) if (d != 1) return false;
    }
  }
  return true;
}

Result<dnnl::algorithm> pool_algorithm(const Node& node) {
  if (node.op_type == "MaxPool" || node.op_type == "GlobalMaxPool") return dnnl::algorithm::pooling_max;
  if (node.op_type == "GlobalAveragePool") return dnnl::algorithm::pooling_avg_exclude_padding;
  EDGE_ASSIGN_OR_RETURN(int64_t include_pad, node.attr_int("count_include_pad", 0));
  return include_pad ? dnnl::algorithm::pooling_avg_include_padding : dnnl::algorithm::pooling_avg_exclude_padding;
}

// The window of the node for `src` dims; oneDNN wants the end padding that produces exactly the
// ONNX output size (ceil_mode extends it).
Result<WindowGeometry> pool_geometry(const Node& node, const memory::dims& src) {
  const std::vector<int64_t> spatial(src.begin() + 2, src.end());
  if (is_global(node)) {
    WindowGeometry g;
    g.kernel = spatial;
    g.strides.assign(spatial.size(), 1);
    g.dilations.assign(spatial.size(), 1);
    g.pad_begin.assign(spatial.size(), 0);
    g.pad_end.assign(spatial.size(), 0);
    g.output.assign(spatial.size(), 1);
    return g;
  }
  EDGE_ASSIGN_OR_RETURN(WindowAttrs attrs, read_window_attrs(node));
  EDGE_ASSIGN_OR_RETURN(WindowGeometry g, forward_geometry(attrs, attrs.kernel_shape, spatial));
  for (size_t i = 0; i < g.rank(); ++i) {
    const int64_t span = (g.kernel[i] - 1) * g.dilations[i] + 1;
    const int64_t needed = (g.output[i] - 1) * g.strides[i] + span - spatial[i] - g.pad_begin[i];
    g.pad_end[i] = std::max(g.pad_end[i], needed);
  }
  return g;
}

Status build_pool(const Node& node, ProgramBuilder& b) {
  EDGE_ASSIGN_OR_RETURN(dnnl::algorithm alg, pool_algorithm(node));
  EDGE_ASSIGN_OR_RETURN(int src, b.slot_of(node.inputs[0]));
  const memory::dims src_dims = b.md(src).dims();
  EDGE_ASSIGN_OR_RETURN(WindowGeometry g, pool_geometry(node, src_dims));
  memory::dims dst_dims = {src_dims[0], src_dims[1]};
  dst_dims.insert(dst_dims.end(), g.output.begin(), g.output.end());
  memory::dims dilates;
  for (int64_t d : g.dilations) dilates.push_back(d - 1);
  const memory::desc dst_any(dst_dims, b.md(src).data_type(), Tag::any);
  dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, alg, b.md(src), dst_any,
                                   memory::dims(g.strides.begin(), g.strides.end()),
                                   memory::dims(g.kernel.begin(), g.kernel.end()), dilates,
                                   memory::dims(g.pad_begin.begin(), g.pad_begin.end()),
                                   memory::dims(g.pad_end.begin(), g.pad_end.end()));
  dnnl::pooling_v2_forward::primitive_desc pd(d, user_scratchpad(), b.engine());
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(pd.dst_desc(), node));
  b.add_step(dnnl::pooling_v2_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}, node);
  b.define(node.outputs[0], dst);
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> pool_ops() {
  return {CpuOp{"MaxPool", claims_pool, build_pool}, CpuOp{"AveragePool", claims_pool, build_pool},
          CpuOp{"GlobalMaxPool", claims_pool, build_pool}, CpuOp{"GlobalAveragePool", claims_pool, build_pool}};
}

}  // namespace edgeserve::cpu
