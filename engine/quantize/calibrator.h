// Calibration: runs the FP32 model on every sample with all float activations exposed
// (model_runner.h), keeps running statistics per tensor (histogram.h), and turns them into
// ranges by the chosen method.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "common/status.h"
#include "engine/ir/graph.h"
#include "engine/quantize/histogram.h"
#include "engine/quantize/model_runner.h"
#include "engine/quantize/quant_params.h"
#include "engine/quantize/sample_source.h"

namespace edgeserve::quant {

enum class CalibrationMethod {
  kMinMax,      // running min/max
  kPercentile,  // |x| clipped at the percentile of its histogram, both sides alike
  kEntropy,     // |x| clipped at TensorRT's minimal-KL threshold
};
bool parse_calibration_method(std::string_view name, CalibrationMethod* out);
const char* calibration_method_name(CalibrationMethod m);

struct CalibrationOptions {
  CalibrationMethod method = CalibrationMethod::kMinMax;
  double percentile = 99.99;
  RunnerOptions runner;
  // Tensors whose per-channel ranges are collected too (TensorStats::channel_min/max).
  std::set<std::string> channel_ranges_for;
  // Called after each sample with (samples done, total), on the calling thread.
  std::function<void(int, int)> progress;
};

using StatsMap = std::map<std::string, TensorStats>;

// The float activations of `graph` (graph inputs and node outputs, not constants).
std::vector<std::string> float_activations(const Graph& graph);

// Runs every sample of `source` through `model` and collects the statistics of every float
// activation. Errors name the sample's position and the underlying problem.
Result<StatsMap> collect_stats(const Model& model, const SampleSource& source, const CalibrationOptions& options);

// The range of one tensor by the method: minmax -> [min, max]; percentile / entropy -> [min,
// max] clipped to [-T, T] with T read off the |x| histogram (entropy uses 128 levels for signed
// tensors and 256 for non-negative ones, which uint8 then covers whole).
Range range_of(const TensorStats& stats, CalibrationMethod method, double percentile);

// Ranges of the named tensors; fails naming a tensor without statistics.
Result<std::map<std::string, Range>> ranges_for(const StatsMap& stats, const std::set<std::string>& tensors,
                                                CalibrationMethod method, double percentile);

}  // namespace edgeserve::quant
