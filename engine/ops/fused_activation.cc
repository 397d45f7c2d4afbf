// Reference semantics of the fusable activations.
#include "engine/ops/fused_activation.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "common/strings.h"

namespace edgeserve {

namespace {

const std::map<std::string, size_t>& param_counts() {
  static const std::map<std::string, size_t> counts = {
      {"Relu", 0}, {"LeakyRelu", 1}, {"Clip", 2},      {"Sigmoid", 0}, {"Tanh", 0},
      {"HardSigmoid", 2}, {"HardSwish", 0}, {"Silu", 0}, {"Gelu", 0},
  };
  return counts;
}

float sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }

}  // namespace

bool is_fusable_activation(const std::string& name) { return param_counts().count(name) != 0; }

Status check_activation_params(const std::string& name, const std::vector<float>& params) {
  auto it = param_counts().find(name);
  if (it == param_counts().end()) return invalid_argument(str_cat("unknown fused activation '", name, "'"));
  if (params.size() != it->second) {
    return invalid_argument(str_cat("activation '", name, "' takes ", it->second, " parameters, got ", params.size()));
  }
  return Status::ok();
}

float apply_fused_activation(const std::string& name, const std::vector<float>& p, float x) {
  if (name == "Relu") return std::max(x, 0.f);
  if (name == "LeakyRelu") return x >= 0.f ? x : p[0] * x;
  if (name == "Clip") return std::min(std::max(x, p[0]), p[1]);
  if (name == "Sigmoid") return sigmoid(x);
  if (name == "Tanh") return std::tanh(x);
  if (name == "HardSigmoid") return std::min(std::max(p[0] * x + p[1], 0.f), 1.f);
  if (name == "HardSwish") return x * std::min(std::max(x / 6.f + 0.5f, 0.f), 1.f);
  if (name == "Silu") return x * sigmoid(x);
  return 0.5f * x * (1.f + std::erf(x / std::sqrt(2.f)));  // Gelu
}

}  // namespace edgeserve
