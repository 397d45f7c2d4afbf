// QLinearConv and QLinearMatMul as oneDNN int8 primitives (VNNI on CPUs that have it): uint8 or
// int8 activations, int8 weights (symmetric: zero point 0, per tensor or per output channel),
// int32 accumulation, then the requantization ONNX Runtime does (quant_params.h). The source
// zero point is a primitive attribute, so padding behaves as x_zero_point (real value 0).
// Weights with a non-zero zero point, or uint8 weights, stay on the reference provider.
#include <string>
#include <vector>

#include "common/strings.h"
#include "engine/ep/cpu/ops/conv_shapes.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/ops/quant_params.h"
#include "engine/ep/cpu/primitive_timing.h"
#include "engine/ops/conv_geometry.h"

namespace edgeserve::cpu {

namespace {

using dnnl::memory;

// Input positions shared by QLinearConv and QLinearMatMul.
enum QInput : size_t { kX = 0, kXScale, kXZero, kW, kWScale, kWZero, kYScale, kYZero, kBias };

DType output_type(const Node& node) { return value_type(node.outputs[0]); }

// The parameters both ops need, as constants: activation and output scales and zero points,
// symmetric int8 weights with `channels` scales or one.
bool claims_quant_params(const Node& node, int64_t channels) {
  const DType x = value_type(node.inputs[kX]);
  const DType y = output_type(node);
  if (!is_quantized_type(x) || !is_quantized_type(y)) return false;
  if (!is_constant_input(node, kW) || node.inputs[kW]->constant->dtype() != DType::kInt8) return false;
  return constant_scale(node, kXScale) && constant_zero_point(node, kXZero, x) && constant_scale(node, kYScale) &&
         constant_zero_point(node, kYZero, y) && constant_scales(node, kWScale, channels) &&
         all_zero_constant(node, kWZero);
}

// Per output channel: (x_scale * w_scale[c]) / y_scale, in float32 and in ONNX Runtime's order.
std::vector<float> output_scales(const Node& node, int64_t channels) {
  const float x = *constant_scale(node, kXScale);
  const float y = *constant_scale(node, kYScale);
  const std::vector<float> w = *constant_scales(node, kWScale, channels);
  std::vector<float> out;
  for (float ws : w) out.push_back((x * ws) / y);
  return out;
}

// edgeserve.QLinearConv: activation "Silu" (the claim checks it), applied to real values.
bool has_silu(const Node& node) { return node.domain == "edgeserve"; }

dnnl::post_ops silu_ops(const Node& node) {
  return silu_requantize_ops(*constant_scale(node, kYScale), *constant_zero_point(node, kYZero, output_type(node)));
}

// `with_post_ops` false: the output zero point (and a SiLU) is left to a separate step (float32
// output).
dnnl::primitive_attr qlinear_attr(const Node& node, int64_t channels, int channel_dim, bool with_post_ops = true) {
  const std::vector<float> scales = output_scales(node, channels);
  const bool zero_point = with_post_ops && !has_silu(node);
  const int32_t y_zero = zero_point ? *constant_zero_point(node, kYZero, output_type(node)) : 0;
  dnnl::primitive_attr attr = requantize_attr(scales, scales.size() == 1 ? 0 : 1 << channel_dim, y_zero);
  if (with_post_ops && has_silu(node)) attr.set_post_ops(silu_ops(node));
  const int32_t x_zero = *constant_zero_point(node, kXZero, value_type(node.inputs[kX]));
  if (x_zero != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {x_zero});
  return attr;
}

// oneDNN lists several int8 kernels for most shapes (brgconv, jit 1x1, jit direct) and takes the
// first; on this class of machine they tie for most resnet shapes, but for some the second is
// 1.8x faster (128 -> 512 channels 1x1 at 28x28). Under ConvAlgorithm::kMeasure every
// candidate with the same source, weight and destination layouts (so the choice adds no
// conversion) and the same instruction set is timed on scratch memory and the fastest kept;
// oneDNN's reference kernels are never candidates. The first must be beaten by 5%, so noise
// does not flip near-ties.
dnnl::convolution_forward::primitive_desc fastest_implementation(const dnnl::convolution_forward::primitive_desc& first,
                                                                 bool has_bias, const ProgramBuilder& b) {
  auto args = [&](const dnnl::convolution_forward::primitive_desc& pd) {
    ArgDescs a = {{DNNL_ARG_SRC, pd.src_desc()}, {DNNL_ARG_WEIGHTS, pd.weights_desc()}, {DNNL_ARG_DST, pd.dst_desc()}};
    if (has_bias) a.emplace_back(DNNL_ARG_BIAS, pd.bias_desc());
    return a;
  };
  constexpr double kRequiredGain = 0.95;
  dnnl::convolution_forward::primitive_desc best = first;
  double best_ms = time_primitive(b.engine(), dnnl::convolution_forward(first), args(first));
  // Only kernels for the first one's instruction set: oneDNN's AVX2/SSE4.1 int8 kernels further down
  // the list multiply u8 x s8 pairs with 16-bit saturation (no VNNI) and give different results.
  auto isa = [](const dnnl::convolution_forward::primitive_desc& pd) {
    const std::string name = pd.impl_info_str();
    return name.substr(name.find(':') == std::string::npos ? name.size() : name.find(':'));
  };
  dnnl::convolution_forward::primitive_desc candidate = first;
  while (candidate.next_impl()) {
    if (std::string(candidate.impl_info_str()).rfind("ref", 0) == 0) break;  // the rest are slower still
    if (isa(candidate) != isa(first)) continue;
    if (candidate.src_desc() != first.src_desc() || candidate.dst_desc() != first.dst_desc()) continue;
    const double ms = time_primitive(b.engine(), dnnl::convolution_forward(candidate), args(candidate));
    if (ms < kRequiredGain * best_ms) {
      best = candidate;
      best_ms = ms;
    }
  }
  return best;
}

bool claims_qlinear_conv(const Node& node) {
  if (has_silu(node)) {
    auto activation = node.attr_string("activation", "");
    if (!activation.is_ok() || activation.value() != "Silu") return false;
  }
  const int rank = static_rank(node.inputs[kX]);
  if (rank < 3 || rank > 5 || static_rank(node.inputs[kW]) != rank) return false;
  if (!is_constant_input(node, kW)) return false;
  const int64_t out_channels = node.inputs[kW]->constant->dim(0);
  if (!claims_quant_params(node, out_channels)) return false;
  if (node.has_input(kBias)) {
    if (!is_constant_input(node, kBias)) return false;
    const Tensor& bias = *node.inputs[kBias]->constant;
    if (bias.dtype() != DType::kInt32 || bias.rank() != 1 || bias.num_elements() != out_channels) return false;
  }
  return read_window_attrs(node).is_ok();
}

Status build_qlinear_conv(const Node& node, ProgramBuilder& b) {
  EDGE_ASSIGN_OR_RETURN(ConvShapes s, conv_shapes(node, b, kW));
  const int64_t channels = s.bias[0];
  const bool has_bias = node.has_input(kBias);
  auto any = [](const memory::dims& d, DType t) { return memory::desc(d, dnnl_dtype(t), Tag::any); };
  // The program's activation layout: oneDNN's choice (channels-last brgconv kernels) or
  // nChw16c-blocked jit kernels, which win on some shapes (1x1 at 14x14: 1.9x); the subgraph
  // compiles both and keeps the faster program.
  const bool blocked = b.options().layout == ActivationLayout::kBlocked16 && s.src.size() == 4;
  auto activation = [&](const memory::dims& d, DType t) {
    return blocked && d[1] % 16 == 0 ? memory::desc(d, dnnl_dtype(t), Tag::aBcd16b) : any(d, t);
  };
  const memory::desc bias_md = has_bias ? memory::desc(s.bias, memory::data_type::s32, Tag::a) : memory::desc();
  auto conv_desc = [&](DType dst_type) {
    return dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                           activation(s.src, value_type(node.inputs[kX])), any(s.weights, DType::kInt8),
                                           bias_md, activation(s.dst, dst_type), s.strides, s.dilates, s.pad_l, s.pad_r);
  };
  // oneDNN's grouped (not depthwise) int8 kernels take no eltwise post-ops, which a non-zero output
  // zero point needs: those write float32 x scale, then a separate step rounds and adds it.
  // (oneDNN 2.6 accepts the descriptor and then fails to generate the kernel.)
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward conv;
  bool requantize_after = false;
  try {
    pd = dnnl::convolution_forward::primitive_desc(conv_desc(output_type(node)), qlinear_attr(node, channels, 1),
                                                   b.engine());
    // A blocked layout some jit kernel cannot take would end on oneDNN's reference loops: let
    // oneDNN pick the layout instead.
    if (blocked && std::string(pd.impl_info_str()).rfind("ref", 0) == 0) {
      pd = dnnl::convolution_forward::primitive_desc(
          dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                          any(s.src, value_type(node.inputs[kX])), any(s.weights, DType::kInt8),
                                          bias_md, any(s.dst, output_type(node)), s.strides, s.dilates, s.pad_l,
                                          s.pad_r),
          qlinear_attr(node, channels, 1), b.engine());
    }
    if (b.options().conv_algorithm == ConvAlgorithm::kMeasure) pd = fastest_implementation(pd, has_bias, b);
    conv = dnnl::convolution_forward(pd);
  } catch (const dnnl::error&) {
    pd = dnnl::convolution_forward::primitive_desc(conv_desc(DType::kFloat32),
                                                   qlinear_attr(node, channels, 1, /*with_post_ops=*/false), b.engine());
    conv = dnnl::convolution_forward(pd);
    requantize_after = true;
  }
  EDGE_ASSIGN_OR_RETURN(int src, b.slot_as(node.inputs[kX], pd.src_desc(), node));
  EDGE_ASSIGN_OR_RETURN(int weights, b.typed_constant_slot(node.inputs[kW], pd.weights_desc()));
  std::vector<std::pair<int, int>> args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}};
  if (has_bias) {
    EDGE_ASSIGN_OR_RETURN(int bias, b.typed_constant_slot(node.inputs[kBias], pd.bias_desc()));
    args.emplace_back(DNNL_ARG_BIAS, bias);
  }
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(pd.dst_desc(), node));
  args.emplace_back(DNNL_ARG_DST, dst);
  b.add_step(conv, std::move(args), node);
  if (requantize_after) {
    const dnnl::post_ops silu = has_silu(node) ? silu_ops(node) : dnnl::post_ops();
    EDGE_ASSIGN_OR_RETURN(dst, add_requantize_step(b, node, dst, *constant_zero_point(node, kYZero, output_type(node)),
                                                   output_type(node), has_silu(node) ? &silu : nullptr));
  }
  b.define(node.outputs[0], dst);
  return Status::ok();
}

bool claims_qlinear_matmul(const Node& node) {
  if (static_rank(node.inputs[kX]) < 2 || !is_constant_input(node, kW)) return false;
  const Tensor& w = *node.inputs[kW]->constant;
  return w.rank() == 2 && claims_quant_params(node, w.dim(1));
}

// A [..., M, K] x [K, N] product as one 2-D matmul over the flattened rows.
Status build_qlinear_matmul(const Node& node, ProgramBuilder& b) {
  const memory::dims a = b.dims_of(node.inputs[kX]);
  const memory::dims w = b.dims_of(node.inputs[kW]);
  if (a.back() != w[0]) {
    return invalid_argument(str_cat(node.describe(), ": inner dimensions differ (", a.back(), " and ", w[0], ")"));
  }
  int64_t rows = 1;
  for (size_t i = 0; i + 1 < a.size(); ++i) rows *= a[i];
  const DType x_type = value_type(node.inputs[kX]);
  EDGE_ASSIGN_OR_RETURN(int a_plain, b.plain_slot(node.inputs[kX], node));
  const int src = b.view_slot(a_plain, plain_md({rows, a.back()}, dnnl_dtype(x_type)));
  const memory::desc dst_md = plain_md({rows, w[1]}, dnnl_dtype(output_type(node)));
  dnnl::matmul::desc d(b.md(src), memory::desc(w, memory::data_type::s8, Tag::any), dst_md);
  dnnl::matmul::primitive_desc pd(d, qlinear_attr(node, w[1], 1), b.engine());
  EDGE_ASSIGN_OR_RETURN(int weights, b.typed_constant_slot(node.inputs[kW], pd.weights_desc()));
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(dst_md, node));
  b.add_step(dnnl::matmul(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}}, node);
  memory::dims out(a.begin(), a.end() - 1);
  out.push_back(w[1]);
  b.define(node.outputs[0], b.view_slot(dst, plain_md(out, dnnl_dtype(output_type(node)))));
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> qlinear_conv_ops() {
  return {CpuOp{"QLinearConv", claims_qlinear_conv, build_qlinear_conv, "", 10},
          CpuOp{"QLinearConv", claims_qlinear_conv, build_qlinear_conv, "edgeserve", 1},
          CpuOp{"QLinearMatMul", claims_qlinear_matmul, build_qlinear_matmul, "", 10}};
}

}  // namespace edgeserve::cpu
