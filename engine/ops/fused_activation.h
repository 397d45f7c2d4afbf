// The activations that graph fusion folds into edgeserve.FusedConv / edgeserve.FusedGemm
// (attribute `activation`, parameters in `activation_params`), with their reference semantics.
// The names are the ONNX op names, plus "Silu" for x * Sigmoid(x).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace edgeserve {

// Parameters per activation, in order: LeakyRelu {alpha}, Clip {min, max},
// HardSigmoid {alpha, beta}; the others take none.
bool is_fusable_activation(const std::string& name);

// Reference definition: `name` applied to x. Precondition: is_fusable_activation(name).
float apply_fused_activation(const std::string& name, const std::vector<float>& params, float x);

// Checks `params` has the count `name` needs, naming both if not.
Status check_activation_params(const std::string& name, const std::vector<float>& params);

}  // namespace edgeserve
