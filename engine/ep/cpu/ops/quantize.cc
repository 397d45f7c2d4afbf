// QuantizeLinear and DequantizeLinear with one scale and zero point, in the input's layout.
// Quantizing is a oneDNN binary division (as the ONNX reference and ONNX Runtime divide; a
// multiplication by 1/scale rounds differently) with round-half-even and zero-point post-ops and
// a saturating conversion. Dequantizing, float(x - zero) * scale, is a host step: oneDNN 2.6 has
// only its slow reference binary kernel for integer-to-float mixes. Per-axis parameters stay on
// the reference provider.
#include <memory>

#include "common/strings.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/ops/quant_params.h"
#include "engine/ep/cpu/scratchpad.h"

namespace edgeserve::cpu {

namespace {

using dnnl::memory;

DType quantized_type(const Node& node) {
  return node.op_type == "QuantizeLinear" ? value_type(node.outputs[0]) : value_type(node.inputs[0]);
}

bool claims_quantize(const Node& node) {
  if (static_rank(node.inputs[0]) < 1 || node.opset < 10) return false;
  const DType q = quantized_type(node);
  const DType other = node.op_type == "QuantizeLinear" ? value_type(node.inputs[0]) : value_type(node.outputs[0]);
  if (!is_quantized_type(q) || other != DType::kFloat32) return false;
  if (node.has_input(2) && value_type(node.inputs[2]) != q) return false;  // the zero point sets the type
  auto block = node.attr_int("block_size", 0);
  if (!block.is_ok() || block.value() != 0) return false;
  return constant_scale(node, 1) && constant_zero_point(node, 2, q);
}

std::pair<int32_t, int32_t> quantized_range(DType q) {
  return q == DType::kUint8 ? std::pair<int32_t, int32_t>{0, 255} : std::pair<int32_t, int32_t>{-128, 127};
}

// The binary primitive for src's layout, or for the plain layout when oneDNN has none for it.
Result<dnnl::binary::primitive_desc> binary_pd(ProgramBuilder& b, const Node& node, dnnl::algorithm alg, int& src,
                                               int operand, memory::data_type dst_type,
                                               const dnnl::primitive_attr& attr) {
  auto make = [&](int s) {
    return dnnl::binary::primitive_desc(
        dnnl::binary::desc(alg, b.md(s), b.md(operand), with_dtype(b.md(s), dst_type)), attr, b.engine());
  };
  if (b.md(src).data.offset0 == 0) {
    try {
      return make(src);
    } catch (const dnnl::error&) {
    }
  }
  EDGE_ASSIGN_OR_RETURN(src, b.plain_slot(node.inputs[0], node));
  return make(src);
}

template <typename T>
class DequantizeOp : public HostOp {
 public:
  DequantizeOp(float scale, int32_t zero, int64_t count) : scale_(scale), zero_(zero), count_(count) {}
  void run(const StepArgs& args) const override {
    const T* x = static_cast<const T*>(args.at(DNNL_ARG_SRC).get_data_handle());
    float* y = static_cast<float*>(args.at(DNNL_ARG_DST).get_data_handle());
#pragma omp parallel for schedule(static) if (count_ > 65536)
    for (int64_t i = 0; i < count_; ++i) y[i] = static_cast<float>(static_cast<int32_t>(x[i]) - zero_) * scale_;
  }

 private:
  float scale_;
  int32_t zero_;
  int64_t count_;
};

// Elementwise over the whole buffer (padding included) in whatever dense layout x has.
Status build_dequantize(const Node& node, ProgramBuilder& b) {
  const DType q = quantized_type(node);
  EDGE_ASSIGN_OR_RETURN(int src, b.slot_of(node.inputs[0]));
  if (b.md(src).data.offset0 != 0) {
    EDGE_ASSIGN_OR_RETURN(src, b.plain_slot(node.inputs[0], node));
  }
  const memory::desc dst_md = with_dtype(b.md(src), memory::data_type::f32);
  const auto count = static_cast<int64_t>(b.md(src).get_size());  // one byte per element
  const float scale = *constant_scale(node, 1);
  const int32_t zero = *constant_zero_point(node, 2, q);
  std::shared_ptr<const HostOp> op;
  if (q == DType::kUint8) {
    op = std::make_shared<DequantizeOp<uint8_t>>(scale, zero, count);
  } else {
    op = std::make_shared<DequantizeOp<int8_t>>(scale, zero, count);
  }
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(dst_md, node));
  b.add_host_step(std::move(op), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}, node);
  b.define(node.outputs[0], dst);
  return Status::ok();
}

Status build_quantize(const Node& node, ProgramBuilder& b) {
  const bool quantize = node.op_type == "QuantizeLinear";
  if (!quantize) return build_dequantize(node, b);
  const DType q = quantized_type(node);
  const float scale = *constant_scale(node, 1);
  const int32_t zero = *constant_zero_point(node, 2, q);
  EDGE_ASSIGN_OR_RETURN(int src, b.slot_of(node.inputs[0]));
  const size_t rank = b.md(src).dims().size();
  dnnl::post_ops ops;
  if (quantize) {
    // Clamp first, as ORT does: an infinity then saturates to its end of the range (the bare
    // conversion would turn it into INT_MIN) and NaN takes the lower bound.
    const auto range = quantized_range(q);
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, static_cast<float>(range.first - zero),
                       static_cast<float>(range.second - zero));
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_round, 0.f, 0.f);
    if (zero != 0) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, 1.f, static_cast<float>(zero));
  } else {
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, scale, 0.f);
  }
  dnnl::primitive_attr attr = user_scratchpad();
  attr.set_post_ops(ops);
  // Quantize: x / scale; dequantize: (x - zero) and then the post-op's * scale.
  const int operand = scalar_constant_slot(b, quantize ? scale : static_cast<float>(zero), rank);
  const auto alg = quantize ? dnnl::algorithm::binary_div : dnnl::algorithm::binary_sub;
  const memory::data_type dst_type = quantize ? dnnl_dtype(q) : memory::data_type::f32;
  EDGE_ASSIGN_OR_RETURN(dnnl::binary::primitive_desc pd, binary_pd(b, node, alg, src, operand, dst_type, attr));
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(pd.dst_desc(), node));
  b.add_step(dnnl::binary(pd), {{DNNL_ARG_SRC_0, src}, {DNNL_ARG_SRC_1, operand}, {DNNL_ARG_DST, dst}}, node);
  b.define(node.outputs[0], dst);
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> quantize_ops() {
  return {CpuOp{"QuantizeLinear", claims_quantize, build_quantize, "", 10},
          CpuOp{"DequantizeLinear", claims_quantize, build_quantize, "", 10}};
}

}  // namespace edgeserve::cpu
