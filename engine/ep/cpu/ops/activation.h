// Activations as oneDNN eltwise steps, shared by the standalone eltwise ops and the activations
// fused into Conv/Gemm (post-ops). Some ONNX activations need two steps (HardSigmoid = clip of a
// linear function).
#pragma once

#include <string>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve::cpu {

struct EltwiseStep {
  dnnl::algorithm algorithm;
  float alpha = 0.f;
  float beta = 0.f;
};

// The steps for activation `name` with its ONNX parameters (LeakyRelu alpha, Clip min/max,
// HardSigmoid alpha/beta, ...), or an error for an activation oneDNN cannot express.
Result<std::vector<EltwiseStep>> activation_steps(const std::string& name, const std::vector<float>& params);

// Whether `name` is an activation activation_steps() accepts.
bool is_supported_activation(const std::string& name);

// Appends the steps as post-ops.
void append_post_ops(const std::vector<EltwiseStep>& steps, dnnl::post_ops& ops);

// The user-scratchpad attr with an edgeserve-domain node's `activation` attribute (FusedGemm,
// FusedMatMul) as post-ops; no post-ops for other nodes or without an activation.
Result<dnnl::primitive_attr> fused_activation_attr(const Node& node);

}  // namespace edgeserve::cpu
