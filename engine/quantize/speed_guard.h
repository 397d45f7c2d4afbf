// "Never slower": the quantized model is timed against the FP32 one on this machine, the way it
// will run (cpu provider, level 2, the calibration sample's shape). Quantized nodes whose INT8
// step is clearly slower than their FP32 step are candidates to stay FP32; since an FP32 island
// costs Q/DQ conversions around it, that variant is kept only if the whole model measures faster
// than the fully quantized one. If no INT8 variant is faster than FP32, the FP32 model is
// what gets written.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "edgeserve/tensor.h"

namespace edgeserve::quant {

struct SpeedOptions {
  int threads = 0;           // as the model will run; 0: the cores available
  int profiled_runs = 10;    // per-node figures: mean over these
  int rounds = 5;            // whole-model figure: median of per-round p50s, models alternating
  int runs_per_round = 10;
  double required_gain = 0.95;  // the written INT8 model takes at most this share of FP32's time
  double slower_factor = 1.10;  // a node is "slower in INT8" above this multiple of its FP32 time
};

struct ModelTiming {
  double p50_ms = 0;
  std::map<std::string, double> node_ms;  // per graph node (its reorders included), mean of runs
};

// Per-node times of one model from profiled runs on the cpu provider.
Result<ModelTiming> profile_model(const std::string& bytes, const std::vector<NamedTensor>& sample,
                                  const SpeedOptions& options);

// Whole-run p50 of each model, measured in alternating rounds (so that a burst of load on the
// machine hits all alike), in the order given.
Result<std::vector<double>> compare_models(const std::vector<std::string>& models,
                                           const std::vector<NamedTensor>& sample, const SpeedOptions& options);

// The quantized nodes (names as in both models) whose INT8 time exceeds slower_factor x their
// FP32 time; nodes absent from either profile (fused away) are not judged.
std::vector<std::string> slower_in_int8(const ModelTiming& fp32, const ModelTiming& int8,
                                        const std::vector<std::string>& quantized, double slower_factor);

}  // namespace edgeserve::quant
