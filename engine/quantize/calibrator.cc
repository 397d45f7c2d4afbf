// Calibration statistics and ranges (see calibrator.h).
#include "engine/quantize/calibrator.h"

#include <algorithm>

#include "common/strings.h"

namespace edgeserve::quant {

bool parse_calibration_method(std::string_view name, CalibrationMethod* out) {
  for (auto m : {CalibrationMethod::kMinMax, CalibrationMethod::kPercentile, CalibrationMethod::kEntropy}) {
    if (name == calibration_method_name(m)) {
      *out = m;
      return true;
    }
  }
  return false;
}

const char* calibration_method_name(CalibrationMethod m) {
  switch (m) {
    case CalibrationMethod::kMinMax: return "minmax";
    case CalibrationMethod::kPercentile: return "percentile";
    case CalibrationMethod::kEntropy: return "entropy";
  }
  return "unknown";
}

std::vector<std::string> float_activations(const Graph& graph) {
  std::vector<std::string> names;
  for (const Value* v : graph.inputs) {
    if (v->type.dtype == DType::kFloat32) names.push_back(v->name);
  }
  for (const auto& n : graph.nodes()) {
    for (const Value* v : n->outputs) {
      if (v != nullptr && !v->constant && v->type.dtype == DType::kFloat32) names.push_back(v->name);
    }
  }
  return names;
}

Result<StatsMap> collect_stats(const Model& model, const SampleSource& source, const CalibrationOptions& options) {
  const std::vector<std::string> tensors = float_activations(*model.graph);
  EDGE_ASSIGN_OR_RETURN(auto runner, ModelRunner::create(model, tensors, options.runner));
  const bool histogram = options.method != CalibrationMethod::kMinMax;
  StatsMap stats;
  for (const std::string& t : tensors) stats.emplace(t, TensorStats{});
  for (int i = 0; i < source.size(); ++i) {
    EDGE_ASSIGN_OR_RETURN(std::vector<NamedTensor> sample, source.get(i));
    Result<std::vector<NamedTensor>> outs = runner->run(sample);
    if (!outs.is_ok()) return outs.status().with_context(str_cat("calibration sample ", i + 1));
    for (const NamedTensor& o : *outs) {
      auto it = stats.find(o.name);
      if (it == stats.end() || o.tensor.dtype() != DType::kFloat32) continue;
      it->second.add(o.tensor.data<float>(), o.tensor.num_elements(), histogram);
      if (options.channel_ranges_for.count(o.name)) it->second.add_channels(o.tensor.data<float>(), o.tensor.dims());
    }
    if (options.progress) options.progress(i + 1, source.size());
  }
  return stats;
}

Range range_of(const TensorStats& s, CalibrationMethod method, double percentile) {
  Range r{s.min, s.max};
  if (method == CalibrationMethod::kMinMax) return r;
  double t = 0;
  if (method == CalibrationMethod::kPercentile) {
    t = percentile_threshold(s.hist, percentile);
  } else {
    t = entropy_threshold(s.hist, s.min < 0 ? 128 : 256);
  }
  if (t <= 0) return r;
  r.min = std::max(r.min, static_cast<float>(-t));
  r.max = std::min(r.max, static_cast<float>(t));
  return r;
}

Result<std::map<std::string, Range>> ranges_for(const StatsMap& stats, const std::set<std::string>& tensors,
                                                CalibrationMethod method, double percentile) {
  std::map<std::string, Range> ranges;
  for (const std::string& t : tensors) {
    auto it = stats.find(t);
    if (it == stats.end()) return internal_error(str_cat("no calibration statistics for tensor '", t, "'"));
    ranges[t] = range_of(it->second, method, percentile);
  }
  return ranges;
}

}  // namespace edgeserve::quant
