// Resize/Upsample by whole-number factors in nearest mode as a oneDNN resampling primitive, in
// the input's layout. oneDNN's nearest picks round((o + 0.5) / f - 0.5), which for a whole
// factor f is floor(o / f): ONNX's "asymmetric" transform with nearest_mode "floor". Every other
// mode stays on the reference provider. Float32 and int8/uint8 (a copy of values).
#include <cmath>

#include "common/strings.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/scratchpad.h"
#include "engine/ops/shape_util.h"

namespace edgeserve::cpu {

namespace {

using dnnl::memory;

// The constant scales of a Resize node (claims_resize checked them).
std::vector<float> resize_scales(const Node& node) {
  const Tensor& t = *node.inputs[2]->constant;
  return std::vector<float>(t.data<float>(), t.data<float>() + t.num_elements());
}

bool has_string_attr(const Node& node, const char* name, const char* fallback, const char* want) {
  auto v = node.attr_string(name, fallback);
  return v.is_ok() && v.value() == want;
}

bool claims_resize(const Node& node) {
  const int rank = static_rank(node.inputs[0]);
  // Nearest copies values, so quantized tensors resize the same way.
  const DType type = node.inputs[0]->type.dtype;
  const bool held = type == DType::kFloat32 || type == DType::kUint8 || type == DType::kInt8;
  if (node.opset < 11 || rank < 3 || rank > 5 || !held || node.outputs[0]->type.dtype != type) return false;
  if (!has_string_attr(node, "mode", "nearest", "nearest") ||
      !has_string_attr(node, "coordinate_transformation_mode", "half_pixel", "asymmetric") ||
      !has_string_attr(node, "nearest_mode", "round_prefer_floor", "floor")) {
    return false;
  }
  if (node.has_input(1) && !is_constant_input(node, 1)) return false;  // roi (unused here)
  // Constant whole-number scales only: `sizes` would make the factors depend on the input shape.
  if (node.has_input(3) || !is_constant_input(node, 2)) return false;
  const Tensor& t = *node.inputs[2]->constant;
  if (t.dtype() != DType::kFloat32 || t.num_elements() != rank) return false;
  const float* s = t.data<float>();
  if (s[0] != 1.f || s[1] != 1.f) return false;
  for (int i = 2; i < rank; ++i) {
    if (s[i] < 1.f || s[i] != std::floor(s[i])) return false;
  }
  return true;
}

Status build_resize(const Node& node, ProgramBuilder& b) {
  EDGE_ASSIGN_OR_RETURN(int src, b.slot_of(node.inputs[0]));
  const memory::dims in = b.md(src).dims();
  const std::vector<float> scales = resize_scales(node);
  if (scales.size() != in.size() || scales[0] != 1.f || scales[1] != 1.f) {
    return invalid_argument(str_cat(node.describe(), ": only spatial dims can be resized on the cpu provider"));
  }
  memory::dims out = {in[0], in[1]};
  std::vector<float> factors;
  for (size_t i = 2; i < in.size(); ++i) {
    if (scales[i] < 1.f || scales[i] != std::floor(scales[i])) {
      return unimplemented(str_cat(node.describe(), ": the cpu provider resizes by whole factors only"));
    }
    out.push_back(static_cast<int64_t>(scales[i]) * in[i]);
    factors.push_back(scales[i]);
  }
  dnnl::resampling_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::resampling_nearest, factors,
                                   b.md(src), memory::desc(out, b.md(src).data_type(), Tag::any));
  dnnl::resampling_forward::primitive_desc pd(d, user_scratchpad(), b.engine());
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(pd.dst_desc(), node));
  b.add_step(dnnl::resampling_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}, node);
  b.define(node.outputs[0], dst);
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> resize_ops() { return {CpuOp{"Resize", claims_resize, build_resize, "", 11}}; }

}  // namespace edgeserve::cpu
