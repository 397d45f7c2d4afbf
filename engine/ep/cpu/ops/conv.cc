// Conv and edgeserve.FusedConv (Conv + bias + optional residual sum + activation) as oneDNN
// convolution primitives. oneDNN picks the source, weight and destination layouts ("any");
// weights are prepacked into the chosen layout once, and the residual sum and the activation
// run as post-ops in the same pass over the output.
#include <optional>
#include <string>

#include "common/strings.h"
#include "engine/ep/cpu/ops/activation.h"
#include "engine/ep/cpu/ops/conv_shapes.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/primitive_timing.h"
#include "engine/ep/cpu/scratchpad.h"
#include "engine/ops/conv_geometry.h"

namespace edgeserve::cpu {

Result<ConvShapes> conv_shapes(const Node& node, const ProgramBuilder& b, size_t weight_input) {
  EDGE_ASSIGN_OR_RETURN(WindowAttrs attrs, read_window_attrs(node));
  EDGE_ASSIGN_OR_RETURN(int64_t group, node.attr_int("group", 1));
  ConvShapes s;
  s.src = b.dims_of(node.inputs[0]);
  const memory::dims w = b.dims_of(node.inputs[weight_input]);
  if (group < 1 || w.size() != s.src.size() || w[1] * group != s.src[1] || w[0] % group != 0) {
    return invalid_argument(str_cat(node.describe(), ": weight dims do not match ", s.src[1], " input channels in ",
                                    group, " groups"));
  }
  const std::vector<int64_t> kernel(w.begin() + 2, w.end());
  EDGE_ASSIGN_OR_RETURN(WindowGeometry g,
                        forward_geometry(attrs, kernel, std::vector<int64_t>(s.src.begin() + 2, s.src.end())));
  s.weights = w;
  if (group > 1) {
    s.weights = {group, w[0] / group};
    s.weights.insert(s.weights.end(), w.begin() + 1, w.end());
  }
  s.bias = {w[0]};
  s.dst = {s.src[0], w[0]};
  s.dst.insert(s.dst.end(), g.output.begin(), g.output.end());
  s.strides.assign(g.strides.begin(), g.strides.end());
  for (int64_t d : g.dilations) s.dilates.push_back(d - 1);  // oneDNN counts the gaps
  s.pad_l.assign(g.pad_begin.begin(), g.pad_begin.end());
  s.pad_r.assign(g.pad_end.begin(), g.pad_end.end());
  return s;
}

namespace {

using dnnl::memory;

constexpr size_t kSumInput = 3;    // FusedConv's residual input
constexpr size_t kScaleInput = 4;  // FusedConv's per-(sample, input channel) scale

bool claims_conv(const Node& node) {
  const int rank = static_rank(node.inputs[0]);
  if (rank < 3 || rank > 5 || !float32_io(node)) return false;
  if (!is_constant_input(node, 1) || static_rank(node.inputs[1]) != rank) return false;
  if (node.has_input(2) && !is_constant_input(node, 2)) return false;
  if (node.domain == "edgeserve") {
    if (node.has_input(kSumInput) && static_rank(node.inputs[kSumInput]) != rank) return false;
    if (node.has_input(kScaleInput)) {
      auto group = node.attr_int("group", 1);
      if (static_rank(node.inputs[kScaleInput]) != rank || !group.is_ok() || group.value() != 1) return false;
    }
    auto act = node.attr_string("activation", "");
    if (!act.is_ok() || (!act.value().empty() && !is_supported_activation(act.value()))) return false;
  }
  return read_window_attrs(node).is_ok();
}

Result<dnnl::primitive_attr> conv_attr(const Node& node, bool has_sum) {
  dnnl::post_ops ops;
  if (has_sum) ops.append_sum(1.f);
  if (node.domain == "edgeserve") {
    EDGE_ASSIGN_OR_RETURN(std::string act, node.attr_string("activation", ""));
    EDGE_ASSIGN_OR_RETURN(std::vector<float> params, node.attr_floats("activation_params", std::vector<float>{}));
    if (!act.empty()) {
      EDGE_ASSIGN_OR_RETURN(std::vector<EltwiseStep> steps, activation_steps(act, params));
      append_post_ops(steps, ops);
    }
  }
  dnnl::primitive_attr attr = user_scratchpad();
  attr.set_post_ops(ops);
  return attr;
}

// Winograd (oneDNN's F(2,3) and F(4,3)) does up to 2.25x fewer multiplications for a 3x3
// stride-1 convolution, but it works in blocked layouts and loses to the direct kernel on few
// channels or small images. Which wins depends on the shape and the machine, so both run on
// scratch data at compile time; Winograd must win counting the layout conversions it adds.
bool winograd_candidate(const ConvShapes& s) {
  if (s.weights.size() != 4) return false;  // [O, I, 3, 3] without groups
  const bool unit = s.strides == memory::dims{1, 1} && s.dilates == memory::dims{0, 0};
  return unit && s.weights[2] == 3 && s.weights[3] == 3;
}

ArgDescs conv_args(const dnnl::convolution_forward::primitive_desc& pd, bool has_bias) {
  ArgDescs args = {{DNNL_ARG_SRC, pd.src_desc()}, {DNNL_ARG_WEIGHTS, pd.weights_desc()}, {DNNL_ARG_DST, pd.dst_desc()}};
  if (has_bias) args.emplace_back(DNNL_ARG_BIAS, pd.bias_desc());
  return args;
}

// The Winograd primitive descriptor when oneDNN has one for these shapes and the policy picks it:
// under kMeasure it must be measured faster than `direct`, counting the conversion of the source,
// the residual and the destination to and from its layouts.
std::optional<dnnl::convolution_forward::primitive_desc> chosen_winograd(
    const dnnl::convolution_forward::desc& winograd, const dnnl::primitive_attr& attr,
    const dnnl::convolution_forward::primitive_desc& direct, bool has_bias, bool has_sum, const ProgramBuilder& b) {
  const dnnl::engine& engine = b.engine();
  dnnl::convolution_forward::primitive_desc pd;
  try {
    pd = dnnl::convolution_forward::primitive_desc(winograd, attr, engine);
  } catch (const dnnl::error&) {
    return std::nullopt;  // no Winograd kernel for this ISA, shape or post-op chain
  }
  if (b.options().conv_algorithm == ConvAlgorithm::kWinograd) return pd;
  const double t_direct = time_primitive(engine, dnnl::convolution_forward(direct), conv_args(direct, has_bias));
  double t_winograd = time_primitive(engine, dnnl::convolution_forward(pd), conv_args(pd, has_bias)) +
                      time_reorder(engine, direct.src_desc(), pd.src_desc()) +
                      time_reorder(engine, pd.dst_desc(), direct.dst_desc());
  if (has_sum) t_winograd += time_reorder(engine, direct.dst_desc(), pd.dst_desc());
  // A margin, because what the estimate leaves out (a consumer that wanted the direct layout, a
  // concat of mixed layouts) costs more, and so that noise does not flip near-ties.
  constexpr double kRequiredGain = 0.9;
  if (t_winograd >= kRequiredGain * t_direct) return std::nullopt;
  return pd;
}

int64_t elements(const memory::dims& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

// A oneDNN binary multiply dst = a * scale (scale broadcast) for these layouts, or nullopt when
// oneDNN has no kernel for the mix (or, unless `any_kernel`, only its slow reference one).
// Decided before any slot is made, so that a rejected layout leaves no buffer behind.
std::optional<dnnl::binary::primitive_desc> multiply_pd(const dnnl::engine& engine, const memory::desc& a,
                                                        const memory::desc& scale, const memory::desc& dst,
                                                        bool any_kernel = false) {
  dnnl::binary::primitive_desc pd;
  try {
    pd = dnnl::binary::primitive_desc(dnnl::binary::desc(dnnl::algorithm::binary_mul, a, scale, dst), user_scratchpad(),
                                      engine);
  } catch (const dnnl::error&) {
    return std::nullopt;
  }
  if (!any_kernel && std::string(pd.impl_info_str()).rfind("ref", 0) == 0) return std::nullopt;
  return pd;
}

void add_multiply(ProgramBuilder& b, const dnnl::binary::primitive_desc& pd, int a, int scale, int dst,
                  const Node& node) {
  b.add_step(dnnl::binary(pd), {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_SRC_1, scale}, {DNNL_ARG_DST, dst}}, node);
}

struct ConvOperands {
  int src = -1;
  int weights = -1;
};

// Weights scaled per input channel on every run: W * s straight in the layout the convolution
// chose when oneDNN can, else in channels-last layout and then converted.
Result<int> scaled_weights(const Node& node, ProgramBuilder& b, const memory::desc& want, const ConvShapes& s,
                           int scale) {
  // s is [1, C, 1..]: its plain and channels-last layouts are the same bytes.
  const int scale_view = b.view_slot(scale, channels_last_md(b.md(scale).dims()));
  for (const memory::desc& layout : {want, channels_last_md(s.weights)}) {
    auto pd = multiply_pd(b.engine(), layout, b.md(scale_view), layout);
    if (!pd) continue;
    EDGE_ASSIGN_OR_RETURN(int weights, b.constant_slot(node.inputs[1], layout));
    EDGE_ASSIGN_OR_RETURN(int scaled, b.new_slot(layout, node));
    add_multiply(b, *pd, weights, scale_view, scaled, node);
    return b.reordered(scaled, want, node);
  }
  return unimplemented(str_cat(node.describe(), ": oneDNN cannot scale these weights"));
}

// The source scaled per (sample, channel) — in place when nothing later reads it — in the
// source's own layout when oneDNN has a fast kernel for it, else in plain layout.
Result<int> scaled_source(const Node& node, ProgramBuilder& b, const memory::desc& want, int scale) {
  EDGE_ASSIGN_OR_RETURN(int src, b.slot_of(node.inputs[0]));
  auto pd = multiply_pd(b.engine(), b.md(src), b.md(scale), b.md(src));
  int scaled = src;
  if (pd) {
    if (!b.can_overwrite(node.inputs[0], node)) {
      EDGE_ASSIGN_OR_RETURN(scaled, b.new_slot(b.md(src), node));
    }
  } else {
    EDGE_ASSIGN_OR_RETURN(src, b.plain_slot(node.inputs[0], node));
    pd = multiply_pd(b.engine(), b.md(src), b.md(scale), b.md(src), /*any_kernel=*/true);
    if (!pd) return unimplemented(str_cat(node.describe(), ": oneDNN cannot scale this input"));
    EDGE_ASSIGN_OR_RETURN(scaled, b.new_slot(b.md(src), node));
  }
  add_multiply(b, *pd, src, scale, scaled, node);
  return b.reordered(scaled, want, node);
}

// Source and weight slots for `pd`. With an input scale s (FusedConv input 4, [N or 1, C, 1..]),
// a single sample scales the weights when that moves less memory — Conv(x * s, W) equals
// Conv(x, W * s) for group 1 — which squeeze-and-excitation blocks make the common case (a
// 96x24 weight against a 96x112x112 activation). Scaling the weights reads and writes them twice
// (multiply, then convert to the conv's layout); scaling the source, once, in place.
Result<ConvOperands> conv_operands(const Node& node, ProgramBuilder& b, const dnnl::convolution_forward::primitive_desc& pd,
                                   const ConvShapes& s) {
  ConvOperands ops;
  if (!node.has_input(kScaleInput)) {
    EDGE_ASSIGN_OR_RETURN(ops.src, b.slot_as(node.inputs[0], pd.src_desc(), node));
    EDGE_ASSIGN_OR_RETURN(ops.weights, b.constant_slot(node.inputs[1], pd.weights_desc()));
    return ops;
  }
  EDGE_ASSIGN_OR_RETURN(int scale, b.plain_slot(node.inputs[kScaleInput], node));
  const memory::dims scale_dims = b.md(scale).dims();
  if (scale_dims[0] != 1 && scale_dims[0] != s.src[0]) {
    return invalid_argument(str_cat(node.describe(), ": input scale does not match the batch"));
  }
  if (s.src[0] == 1 && 2 * elements(s.weights) < elements(s.src)) {
    EDGE_ASSIGN_OR_RETURN(ops.weights, scaled_weights(node, b, pd.weights_desc(), s, scale));
    EDGE_ASSIGN_OR_RETURN(ops.src, b.slot_as(node.inputs[0], pd.src_desc(), node));
    return ops;
  }
  EDGE_ASSIGN_OR_RETURN(ops.src, scaled_source(node, b, pd.src_desc(), scale));
  EDGE_ASSIGN_OR_RETURN(ops.weights, b.constant_slot(node.inputs[1], pd.weights_desc()));
  return ops;
}

// Destination slot: the residual's buffer when the conv may overwrite it (the sum post-op reads
// the destination before writing it), else a fresh buffer the residual is copied into.
Result<int> sum_destination(const Node& node, ProgramBuilder& b, const memory::desc& dst_md) {
  const Value* sum = node.inputs[kSumInput];
  if (b.can_overwrite(sum, node)) {
    EDGE_ASSIGN_OR_RETURN(int s, b.slot_of(sum));
    if (b.md(s) == dst_md) return s;
  }
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(dst_md, node));
  EDGE_ASSIGN_OR_RETURN(int from, b.slot_of(sum));
  dnnl::reorder::primitive_desc pd(b.engine(), b.md(from), b.engine(), dst_md, user_scratchpad());
  b.add_step(dnnl::reorder(pd), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, dst}}, node);
  return dst;
}

Status build_conv(const Node& node, ProgramBuilder& b) {
  EDGE_ASSIGN_OR_RETURN(ConvShapes s, conv_shapes(node, b));
  const bool has_bias = node.has_input(2);
  const bool has_sum = node.domain == "edgeserve" && node.has_input(kSumInput);
  if (has_sum && b.dims_of(node.inputs[kSumInput]) != s.dst) {
    return invalid_argument(str_cat(node.describe(), ": residual input does not have the output's shape"));
  }
  auto any = [](const memory::dims& d) { return memory::desc(d, memory::data_type::f32, Tag::any); };
  // The activation layout the program was asked for; the weights always stay oneDNN's choice.
  const bool blocked = b.options().layout == ActivationLayout::kBlocked16 && s.src.size() == 4;
  auto activation = [&](const memory::dims& d) {
    return blocked && d[1] % 16 == 0 ? memory::desc(d, memory::data_type::f32, Tag::aBcd16b) : any(d);
  };
  const memory::desc bias_md = has_bias ? memory::desc(s.bias, memory::data_type::f32, Tag::a) : memory::desc();
  auto conv_desc = [&](dnnl::algorithm algorithm) {
    return dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, algorithm, activation(s.src),
                                           any(s.weights), bias_md, activation(s.dst), s.strides, s.dilates, s.pad_l,
                                           s.pad_r);
  };
  EDGE_ASSIGN_OR_RETURN(dnnl::primitive_attr attr, conv_attr(node, has_sum));
  dnnl::convolution_forward::primitive_desc pd(conv_desc(dnnl::algorithm::convolution_direct), attr, b.engine());
  // Winograd's weights are transformed ahead of time; per-run scaled weights cannot be.
  const bool winograd_ok = winograd_candidate(s) && !node.has_input(kScaleInput);
  if (b.options().conv_algorithm != ConvAlgorithm::kDirect && winograd_ok) {
    auto winograd = chosen_winograd(conv_desc(dnnl::algorithm::convolution_winograd), attr, pd, has_bias, has_sum, b);
    if (winograd) pd = *winograd;
  }
  EDGE_ASSIGN_OR_RETURN(ConvOperands operands, conv_operands(node, b, pd, s));
  std::vector<std::pair<int, int>> args = {{DNNL_ARG_SRC, operands.src}, {DNNL_ARG_WEIGHTS, operands.weights}};
  if (has_bias) {
    EDGE_ASSIGN_OR_RETURN(int bias, b.constant_slot(node.inputs[2], pd.bias_desc()));
    args.emplace_back(DNNL_ARG_BIAS, bias);
  }
  int dst = -1;
  if (has_sum) {
    EDGE_ASSIGN_OR_RETURN(dst, sum_destination(node, b, pd.dst_desc()));
  } else {
    EDGE_ASSIGN_OR_RETURN(dst, b.new_slot(pd.dst_desc(), node));
  }
  args.emplace_back(DNNL_ARG_DST, dst);
  b.add_step(dnnl::convolution_forward(pd), std::move(args), node);
  b.define(node.outputs[0], dst);
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> conv_ops() {
  return {CpuOp{"Conv", claims_conv, build_conv}, CpuOp{"FusedConv", claims_conv, build_conv, "edgeserve"}};
}

}  // namespace edgeserve::cpu
