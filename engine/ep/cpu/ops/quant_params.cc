// Constant quantization parameters and requantizing attributes.
#include "engine/ep/cpu/ops/quant_params.h"

#include <cmath>
#include <memory>

#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/scratchpad.h"

namespace edgeserve::cpu {

bool is_quantized_type(DType t) { return t == DType::kUint8 || t == DType::kInt8; }

DType value_type(const Value* v) { return v == nullptr ? DType::kUndefined : v->type.dtype; }

std::optional<std::vector<float>> constant_scales(const Node& node, size_t i, int64_t count) {
  if (!is_constant_input(node, i)) return std::nullopt;
  const Tensor& t = *node.inputs[i]->constant;
  if (t.dtype() != DType::kFloat32 || t.rank() > 1) return std::nullopt;
  if (t.num_elements() != 1 && t.num_elements() != count) return std::nullopt;
  std::vector<float> out(t.data<float>(), t.data<float>() + t.num_elements());
  for (float s : out) {
    if (!(s > 0.f) || !std::isfinite(s)) return std::nullopt;
  }
  return out;
}

std::optional<float> constant_scale(const Node& node, size_t i) {
  auto s = constant_scales(node, i, 1);
  if (!s) return std::nullopt;
  return s->front();
}

std::optional<int32_t> constant_zero_point(const Node& node, size_t i, DType type) {
  if (!node.has_input(i)) return 0;
  if (!is_constant_input(node, i)) return std::nullopt;
  const Tensor& t = *node.inputs[i]->constant;
  if (t.dtype() != type || t.num_elements() != 1 || t.rank() > 1) return std::nullopt;
  if (type == DType::kUint8) return static_cast<int32_t>(t.data<uint8_t>()[0]);
  if (type == DType::kInt8) return static_cast<int32_t>(t.data<int8_t>()[0]);
  return std::nullopt;
}

bool all_zero_constant(const Node& node, size_t i) {
  if (!node.has_input(i)) return true;
  if (!is_constant_input(node, i)) return false;
  const Tensor& t = *node.inputs[i]->constant;
  if (t.dtype() != DType::kUint8 && t.dtype() != DType::kInt8) return false;
  const auto* bytes = static_cast<const uint8_t*>(t.raw_data());
  for (int64_t k = 0; k < t.num_elements(); ++k) {
    if (bytes[k] != 0) return false;
  }
  return true;
}

namespace {

// Round half to even, then add the zero point (ONNX Runtime's order); the final conversion saturates.
void append_round_and_zero_point(dnnl::post_ops& ops, int32_t zero) {
  ops.append_eltwise(1.f, dnnl::algorithm::eltwise_round, 0.f, 0.f);
  if (zero != 0) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, 1.f, static_cast<float>(zero));
}

}  // namespace

dnnl::primitive_attr requantize_attr(const std::vector<float>& scales, int mask, int32_t y_zero_point) {
  dnnl::primitive_attr attr = user_scratchpad();
  attr.set_output_scales(mask, scales);
  if (y_zero_point != 0) {
    dnnl::post_ops ops;
    append_round_and_zero_point(ops, y_zero_point);
    attr.set_post_ops(ops);
  }
  return attr;
}

int scalar_constant_slot(ProgramBuilder& b, float value, size_t rank) {
  auto holder = std::make_shared<float>(value);
  return b.raw_constant_slot(std::shared_ptr<void>(holder, holder.get()), plain_md(dnnl::memory::dims(rank, 1)));
}

dnnl::post_ops silu_requantize_ops(float y_scale, int32_t zero) {
  dnnl::post_ops ops;
  ops.append_eltwise(1.f, dnnl::algorithm::eltwise_swish, y_scale, 0.f);
  append_round_and_zero_point(ops, zero);
  return ops;
}

Result<int> add_requantize_step(ProgramBuilder& b, const Node& node, int scaled, int32_t zero, DType type,
                                const dnnl::post_ops* given) {
  dnnl::post_ops ops;
  if (given != nullptr) {
    ops = *given;
  } else {
    append_round_and_zero_point(ops, zero);
  }
  dnnl::primitive_attr attr = user_scratchpad();
  attr.set_post_ops(ops);
  const dnnl::memory::desc& src = b.md(scaled);
  const int nothing = scalar_constant_slot(b, 0.f, static_cast<size_t>(src.data.ndims));
  dnnl::binary::primitive_desc pd(
      dnnl::binary::desc(dnnl::algorithm::binary_add, src, b.md(nothing), with_dtype(src, dnnl_dtype(type))), attr,
      b.engine());
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(pd.dst_desc(), node));
  b.add_step(dnnl::binary(pd), {{DNNL_ARG_SRC_0, scaled}, {DNNL_ARG_SRC_1, nothing}, {DNNL_ARG_DST, dst}}, node);
  return dst;
}

}  // namespace edgeserve::cpu
