// ONNX activation -> oneDNN eltwise algorithm mapping.
#include "engine/ep/cpu/ops/activation.h"

#include <cfloat>

#include "common/strings.h"
#include "engine/ep/cpu/scratchpad.h"

namespace edgeserve::cpu {

namespace {

using dnnl::algorithm;

float param(const std::vector<float>& params, size_t i, float fallback) {
  return i < params.size() ? params[i] : fallback;
}

}  // namespace

Result<std::vector<EltwiseStep>> activation_steps(const std::string& name, const std::vector<float>& p) {
  if (name == "Relu") return std::vector<EltwiseStep>{{algorithm::eltwise_relu, 0.f, 0.f}};
  if (name == "LeakyRelu") return std::vector<EltwiseStep>{{algorithm::eltwise_relu, param(p, 0, 0.01f), 0.f}};
  if (name == "Clip") {
    return std::vector<EltwiseStep>{{algorithm::eltwise_clip_v2, param(p, 0, -FLT_MAX), param(p, 1, FLT_MAX)}};
  }
  if (name == "Sigmoid") return std::vector<EltwiseStep>{{algorithm::eltwise_logistic, 0.f, 0.f}};
  if (name == "Tanh") return std::vector<EltwiseStep>{{algorithm::eltwise_tanh, 0.f, 0.f}};
  if (name == "HardSwish") return std::vector<EltwiseStep>{{algorithm::eltwise_hardswish, 0.f, 0.f}};
  if (name == "HardSigmoid") {
    return std::vector<EltwiseStep>{{algorithm::eltwise_linear, param(p, 0, 0.2f), param(p, 1, 0.5f)},
                                    {algorithm::eltwise_clip_v2, 0.f, 1.f}};
  }
  if (name == "Silu") return std::vector<EltwiseStep>{{algorithm::eltwise_swish, 1.f, 0.f}};
  if (name == "Gelu") return std::vector<EltwiseStep>{{algorithm::eltwise_gelu_erf, 0.f, 0.f}};
  if (name == "Elu") return std::vector<EltwiseStep>{{algorithm::eltwise_elu, param(p, 0, 1.f), 0.f}};
  if (name == "Softplus") return std::vector<EltwiseStep>{{algorithm::eltwise_soft_relu, 0.f, 0.f}};
  if (name == "Exp") return std::vector<EltwiseStep>{{algorithm::eltwise_exp, 0.f, 0.f}};
  if (name == "Log") return std::vector<EltwiseStep>{{algorithm::eltwise_log, 0.f, 0.f}};
  if (name == "Sqrt") return std::vector<EltwiseStep>{{algorithm::eltwise_sqrt, 0.f, 0.f}};
  if (name == "Abs") return std::vector<EltwiseStep>{{algorithm::eltwise_abs, 0.f, 0.f}};
  if (name == "Neg") return std::vector<EltwiseStep>{{algorithm::eltwise_linear, -1.f, 0.f}};
  return unimplemented(str_cat("cpu provider: activation '", name, "' has no oneDNN equivalent"));
}

bool is_supported_activation(const std::string& name) { return activation_steps(name, {}).is_ok(); }

void append_post_ops(const std::vector<EltwiseStep>& steps, dnnl::post_ops& ops) {
  for (const EltwiseStep& s : steps) ops.append_eltwise(1.f, s.algorithm, s.alpha, s.beta);
}

Result<dnnl::primitive_attr> fused_activation_attr(const Node& node) {
  dnnl::primitive_attr attr = user_scratchpad();
  if (node.domain != "edgeserve") return attr;
  EDGE_ASSIGN_OR_RETURN(std::string act, node.attr_string("activation", ""));
  EDGE_ASSIGN_OR_RETURN(std::vector<float> params, node.attr_floats("activation_params", std::vector<float>{}));
  if (act.empty()) return attr;
  EDGE_ASSIGN_OR_RETURN(std::vector<EltwiseStep> steps, activation_steps(act, params));
  dnnl::post_ops ops;
  append_post_ops(steps, ops);
  attr.set_post_ops(ops);
  return attr;
}

}  // namespace edgeserve::cpu
