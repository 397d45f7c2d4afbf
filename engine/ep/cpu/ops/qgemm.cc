// com.microsoft.QGemm as one oneDNN int8 matmul: uint8 or int8 A [M, K], a constant symmetric
// int8 B (per tensor or per column), the int32 bias C as the matmul's s32 bias, then ONNX Runtime's
// requantization (quant_params.h) for a quantized output, or float(acc) * (a_scale * b_scale[n])
// for a float output. A transposed B (transB) is described as it lies and prepacked once.
// B with a non-zero zero point, uint8 B, alpha other than 1 and transA stay on the reference provider.
#include <cstring>
#include <memory>
#include <vector>

#include "common/aligned_buffer.h"
#include "common/strings.h"
#include "engine/ep/cpu/dnnl_types.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/ops/quant_params.h"

namespace edgeserve::cpu {

namespace {

using dnnl::memory;

enum QGemmInput : size_t { kA = 0, kAScale, kAZero, kB, kBScale, kBZero, kC, kYScale, kYZero };

bool trans_b(const Node& node) {
  auto t = node.attr_int("transB", 0);
  return t.is_ok() && t.value() != 0;
}

// Columns of the product: B is [K, N], or [N, K] with transB.
int64_t columns(const Node& node) { return node.inputs[kB]->constant->dim(trans_b(node) ? 0 : 1); }

// Absent y_scale and y_zero_point: a float32 output.
bool float_output(const Node& node) { return !node.has_input(kYScale) && !node.has_input(kYZero); }

bool claims_attributes(const Node& node) {
  auto alpha = node.attr_float("alpha", 1.f);
  auto trans_a = node.attr_int("transA", 0);
  return alpha.is_ok() && alpha.value() == 1.f && trans_a.is_ok() && trans_a.value() == 0 &&
         node.attr_int("transB", 0).is_ok();
}

// C holds one int32 per column: [N] or [1, N].
bool claims_bias(const Node& node, int64_t n) {
  if (!node.has_input(kC)) return true;
  if (!is_constant_input(node, kC)) return false;
  const Tensor& c = *node.inputs[kC]->constant;
  return c.dtype() == DType::kInt32 && c.num_elements() == n && c.rank() <= 2 && (c.rank() < 2 || c.dim(0) == 1);
}

bool claims_output(const Node& node) {
  const DType y = value_type(node.outputs[0]);
  if (float_output(node)) return y == DType::kFloat32;
  return is_quantized_type(y) && node.has_input(kYZero) && constant_scale(node, kYScale) &&
         constant_zero_point(node, kYZero, y);
}

bool claims_qgemm(const Node& node) {
  if (node.inputs.size() > 9 || !claims_attributes(node) || static_rank(node.inputs[kA]) != 2) return false;
  const DType a = value_type(node.inputs[kA]);
  if (!is_quantized_type(a) || !is_constant_input(node, kB)) return false;
  const Tensor& b = *node.inputs[kB]->constant;
  if (b.dtype() != DType::kInt8 || b.rank() != 2) return false;
  const int64_t n = columns(node);
  return constant_scale(node, kAScale) && node.has_input(kAZero) && constant_zero_point(node, kAZero, a) &&
         constant_scales(node, kBScale, n) && all_zero_constant(node, kBZero) && claims_bias(node, n) &&
         claims_output(node);
}

// Per column, in ONNX Runtime's order: a_scale * b_scale[n], then / y_scale for a quantized output.
std::vector<float> output_scales(const Node& node) {
  const float a = *constant_scale(node, kAScale);
  std::vector<float> out = *constant_scales(node, kBScale, columns(node));
  for (float& s : out) {
    s = a * s;
    if (!float_output(node)) s /= *constant_scale(node, kYScale);
  }
  return out;
}

dnnl::primitive_attr qgemm_attr(const Node& node) {
  const std::vector<float> scales = output_scales(node);
  const DType y = value_type(node.outputs[0]);
  const int32_t y_zero = float_output(node) ? 0 : *constant_zero_point(node, kYZero, y);
  dnnl::primitive_attr attr = requantize_attr(scales, scales.size() == 1 ? 0 : 1 << 1, y_zero);
  const int32_t a_zero = *constant_zero_point(node, kAZero, value_type(node.inputs[kA]));
  if (a_zero != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {a_zero});
  return attr;
}

// B stored [N, K] (transB), prepacked into `want` ([K, N] in oneDNN's layout) by one reorder now.
Result<int> transposed_weights_slot(ProgramBuilder& b, const Node& node, const memory::desc& want) {
  const Tensor& w = *node.inputs[kB]->constant;
  const memory::desc stored({w.dim(1), w.dim(0)}, memory::data_type::s8, Tag::ba);
  std::shared_ptr<void> packed = aligned_buffer(want.get_size(), /*zero=*/true);  // padding stays zero
  if (packed == nullptr) return resource_exhausted(str_cat(node.describe(), ": out of memory prepacking B"));
  dnnl::memory from(stored, b.engine(), const_cast<void*>(w.raw_data()));
  dnnl::memory to(want, b.engine(), packed.get());
  dnnl::stream stream(b.engine());
  dnnl::reorder(from, to).execute(stream, from, to);
  stream.wait();
  return b.raw_constant_slot(std::move(packed), want);
}

Status build_qgemm(const Node& node, ProgramBuilder& b) {
  const memory::dims a = b.dims_of(node.inputs[kA]);
  const Dims& w = node.inputs[kB]->constant->dims();
  const bool tb = trans_b(node);
  const int64_t k = tb ? w[1] : w[0];
  const int64_t n = tb ? w[0] : w[1];
  if (a.size() != 2 || a[1] != k) {
    return invalid_argument(str_cat(node.describe(), ": input 0 (A) ", dims_to_string(Dims(a.begin(), a.end())),
                                    " does not match input 3 (B) ", dims_to_string(w), tb ? " (transB)" : ""));
  }
  const DType y_type = value_type(node.outputs[0]);
  EDGE_ASSIGN_OR_RETURN(int src, b.plain_slot(node.inputs[kA], node));
  const memory::desc dst_md = plain_md({a[0], n}, dnnl_dtype(y_type));
  const bool has_bias = node.has_input(kC);
  const memory::desc bias_md = has_bias ? plain_md({1, n}, memory::data_type::s32) : memory::desc();
  dnnl::matmul::desc d(b.md(src), memory::desc({k, n}, memory::data_type::s8, Tag::any), bias_md, dst_md);
  dnnl::matmul::primitive_desc pd(d, qgemm_attr(node), b.engine());
  Result<int> weights = tb ? transposed_weights_slot(b, node, pd.weights_desc())
                           : b.typed_constant_slot(node.inputs[kB], pd.weights_desc());
  EDGE_RETURN_IF_ERROR(weights.status());
  std::vector<std::pair<int, int>> args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, *weights}};
  if (has_bias) {
    EDGE_ASSIGN_OR_RETURN(int bias, b.typed_constant_slot(node.inputs[kC], pd.bias_desc()));
    args.emplace_back(DNNL_ARG_BIAS, bias);
  }
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(dst_md, node));
  args.emplace_back(DNNL_ARG_DST, dst);
  b.add_step(dnnl::matmul(pd), std::move(args), node);
  b.define(node.outputs[0], dst);
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> qgemm_ops() { return {CpuOp{"QGemm", claims_qgemm, build_qgemm, "com.microsoft", 1}}; }

}  // namespace edgeserve::cpu
