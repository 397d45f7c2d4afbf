// The quantization sequence and the accuracy guard (see quantizer.h).
#include "engine/quantize/quantizer.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "common/strings.h"
#include "engine/ep/reference/reference_provider.h"
#include "engine/onnx/model_export.h"
#include "engine/onnx/model_import.h"
#include "engine/passes/batchnorm_folding.h"
#include "engine/passes/pipeline.h"
#include "engine/quantize/channel_spread.h"
#include "engine/quantize/model_runner.h"
#include "engine/quantize/opset_upgrade.h"
#include "engine/quantize/qdq_rewrite.h"

namespace edgeserve::quant {

const char* keep_reason_name(KeepReason r) {
  switch (r) {
    case KeepReason::kExcludedByUser: return "excluded by the user";
    case KeepReason::kAccuracy: return "accuracy";
    case KeepReason::kSpeed: return "not faster in INT8";
    case KeepReason::kSensitive: return "sensitive first/last layer";
    case KeepReason::kCoarseInput: return "input channels too uneven for one int8 scale";
    case KeepReason::kFloatReaders: return "only float nodes read its output; requantizing would only round";
  }
  return "unknown";
}

namespace {

Status check_excluded_nodes(const Graph& g, const std::vector<std::string>& exclude) {
  std::set<std::string> names;
  for (const auto& n : g.nodes()) names.insert(n->name);
  for (const std::string& e : exclude) {
    if (!names.count(e)) return not_found(str_cat("--exclude: the model has no node named '", e, "'"));
  }
  return Status::ok();
}

}  // namespace

Result<Model> prepare_for_quantization(const std::string& path) {
  EDGE_ASSIGN_OR_RETURN(Model model, import_model_file(path));
  ReferenceProvider evaluator;
  EDGE_RETURN_IF_ERROR(run_passes(*model.graph, /*level=*/1, evaluator).with_context(path));
  EDGE_RETURN_IF_ERROR(fold_batchnorms(*model.graph).with_context(path));
  EDGE_RETURN_IF_ERROR(model.graph->finalize().with_context(path));
  EDGE_RETURN_IF_ERROR(upgrade_opset(model).with_context(path));
  return model;
}

namespace {

void fill_counts(const QdqPlan& plan, QuantizeReport* report) {
  report->quantized_nodes = static_cast<int>(plan.quantized.size());
  report->activation_pairs = static_cast<int>(plan.activations.size());
  report->quantized_weights = static_cast<int>(
      std::count_if(plan.consts.begin(), plan.consts.end(), [](const PlannedConst& c) { return c.role == ConstRole::kWeight; }));
  report->kept_fp32 = plan.kept_fp32;
  report->weight_only.clear();
  for (const Node* n : plan.weight_only) report->weight_only.push_back(n->name);
}

// plan.range_floor raises the low end of those ranges (the range still contains 0).
void apply_range_floors(const QdqPlan& plan, RangeMap& ranges) {
  for (const auto& [tensor, floor] : plan.range_floor) {
    auto it = ranges.find(tensor);
    if (it != ranges.end()) it->second.min = std::min(std::max(it->second.min, floor), 0.0f);
  }
}

// Plans `model`'s quantization and inserts the QDQ pairs with the calibrated (and floored) ranges.
Result<QdqPlan> rewrite_to_qdq(Model& model, const StatsMap& stats, const QuantizeOptions& options,
                               const std::map<std::string, KeepReason>& keep,
                               std::map<std::string, std::string>* dequantized = nullptr) {
  QdqOptions qo;
  qo.per_channel = options.per_channel;
  qo.keep_fp32 = keep;
  qo.float_tensors = options.float_tensors;
  EDGE_ASSIGN_OR_RETURN(QdqPlan plan, plan_qdq(*model.graph, qo));
  std::set<std::string> sources;
  for (const auto& [tensor, source] : plan.activations) sources.insert(source);
  const auto& cal = options.calibration;
  EDGE_ASSIGN_OR_RETURN(RangeMap ranges, ranges_for(stats, sources, cal.method, cal.percentile));
  apply_range_floors(plan, ranges);
  EDGE_RETURN_IF_ERROR(apply_qdq(model, plan, ranges, dequantized));
  return plan;
}

}  // namespace

Status quantize_prepared(Model& model, const StatsMap& stats, const QuantizeOptions& options,
                         const std::map<std::string, KeepReason>& keep, QuantizeReport* report) {
  EDGE_ASSIGN_OR_RETURN(QdqPlan plan, rewrite_to_qdq(model, stats, options, keep));
  fill_counts(plan, report);
  return Status::ok();
}

namespace {

// One guard round: the QDQ model with its plan, measured against FP32 on every sample.
struct Round {
  Model model;
  QdqPlan plan;
  std::map<std::string, std::string> dequantized;
  Agreement agreement;
  std::map<std::string, double> node_error;  // quantized node -> NSR it adds
};

Result<Round> build_round(const std::string& prepared_bytes, const StatsMap& stats, const QuantizeOptions& options,
                          const std::map<std::string, KeepReason>& keep) {
  Round r;
  EDGE_ASSIGN_OR_RETURN(r.model, import_model_bytes(prepared_bytes));
  EDGE_ASSIGN_OR_RETURN(r.plan, rewrite_to_qdq(r.model, stats, options, keep, &r.dequantized));
  return r;
}

// The NSR each quantized node adds: that of its (dequantized) output minus the largest of its
// inputs as they reach it before their own quantization.
void attribute_noise(Round& r, const std::map<std::string, NoiseAccumulator>& before,
                     const std::map<std::string, NoiseAccumulator>& after) {
  for (const auto& [node, t] : r.plan.tensors_of) {
    double in = 0;
    for (const std::string& i : t.inputs) in = std::max(in, before.count(i) ? before.at(i).nsr() : 0.0);
    r.node_error[node] = (after.count(t.output) ? after.at(t.output).nsr() : 0.0) - in;
  }
}

Status measure_round(Round& r, const ModelRunner& fp32, const SampleSource& source, const RunnerOptions& ro) {
  std::vector<std::string> extra;
  for (const auto& [tensor, dq] : r.dequantized) {
    extra.push_back(tensor);
    extra.push_back(dq);
  }
  EDGE_ASSIGN_OR_RETURN(auto qdq, ModelRunner::create(r.model, extra, ro));
  std::vector<std::vector<Tensor>> ref_outputs, got_outputs;
  std::map<std::string, NoiseAccumulator> before, after;
  for (int i = 0; i < source.size(); ++i) {
    EDGE_ASSIGN_OR_RETURN(std::vector<NamedTensor> sample, source.get(i));
    EDGE_ASSIGN_OR_RETURN(std::vector<NamedTensor> ref, fp32.run(sample));
    EDGE_ASSIGN_OR_RETURN(std::vector<NamedTensor> got, qdq->run(sample));
    std::map<std::string, const Tensor*> ref_by_name, got_by_name;
    for (const auto& t : ref) ref_by_name[t.name] = &t.tensor;
    for (const auto& t : got) got_by_name[t.name] = &t.tensor;
    ref_outputs.emplace_back();
    got_outputs.emplace_back();
    for (size_t o = 0; o < fp32.num_model_outputs(); ++o) {
      ref_outputs.back().push_back(ref[o].tensor);
      got_outputs.back().push_back(got[o].tensor);
    }
    for (const auto& [tensor, dq] : r.dequantized) {
      if (!ref_by_name.count(tensor) || !got_by_name.count(dq)) continue;
      before[tensor].add(*ref_by_name[tensor], *got_by_name[tensor]);
      after[tensor].add(*ref_by_name[tensor], *got_by_name[dq]);
    }
  }
  r.agreement = measure_agreement(ref_outputs, got_outputs);
  attribute_noise(r, before, after);
  return Status::ok();
}

// The quantized node adding the most noise, or "" when none is left.
std::string worst_node(const Round& r) {
  std::string worst;
  double worst_error = -1;
  for (const auto& [node, error] : r.node_error) {
    if (error > worst_error) {
      worst = node;
      worst_error = error;
    }
  }
  return worst;
}

Result<Round> guarded_rounds(const Model& prepared, const StatsMap& stats, const SampleSource& source,
                             const QuantizeOptions& options, std::map<std::string, KeepReason>& keep,
                             QuantizeReport& report) {
  EDGE_ASSIGN_OR_RETURN(std::string bytes, export_model_bytes(prepared));
  EDGE_ASSIGN_OR_RETURN(auto fp32, ModelRunner::create(prepared, float_activations(*prepared.graph), options.calibration.runner));
  for (int attempt = 1;; ++attempt) {
    EDGE_ASSIGN_OR_RETURN(Round r, build_round(bytes, stats, options, keep));
    EDGE_RETURN_IF_ERROR(measure_round(r, *fp32, source, options.calibration.runner));
    report.attempts = attempt;
    const std::string worst = worst_node(r);
    const bool ok = r.agreement.drop() <= options.max_drop;
    if (options.log) {
      options.log(str_cat("attempt ", attempt, ": ", r.agreement.metric, " ", r.agreement.agreement,
                          " (drop ", r.agreement.drop(), ", max ", options.max_drop, ")",
                          ok || worst.empty() ? "" : str_cat("; keeping '", worst, "' FP32")));
    }
    if (ok || worst.empty()) {
      report.within_max_drop = ok;
      return r;
    }
    keep[worst] = KeepReason::kAccuracy;
    report.accuracy_error[worst] = r.node_error[worst];
  }
}

// The speed check (speed_guard.h): the fully quantized model, and a variant with the nodes INT8
// slows down kept FP32, are timed against FP32; the faster INT8 model is kept, or FP32 is written
// when neither is faster.
Status check_speed(const std::string& fp32_bytes, const StatsMap& stats, const SampleSource& source,
                   const QuantizeOptions& options, std::map<std::string, KeepReason>& keep, Round& r,
                   QuantizeReport& report) {
  EDGE_ASSIGN_OR_RETURN(std::vector<NamedTensor> sample, source.get(0));
  EDGE_ASSIGN_OR_RETURN(std::string int8_bytes, export_model_bytes(r.model));
  EDGE_ASSIGN_OR_RETURN(ModelTiming fp32, profile_model(fp32_bytes, sample, options.speed));
  EDGE_ASSIGN_OR_RETURN(ModelTiming int8, profile_model(int8_bytes, sample, options.speed));
  std::vector<std::string> quantized;
  for (const Node* n : r.plan.quantized) quantized.push_back(n->name);
  const std::vector<std::string> slower = slower_in_int8(fp32, int8, quantized, options.speed.slower_factor);
  std::vector<std::string> candidates = {fp32_bytes, int8_bytes};
  std::map<std::string, KeepReason> keep_slower = keep;
  Round variant;
  if (!slower.empty()) {
    for (const std::string& node : slower) keep_slower[node] = KeepReason::kSpeed;
    EDGE_ASSIGN_OR_RETURN(variant, build_round(fp32_bytes, stats, options, keep_slower));
    EDGE_ASSIGN_OR_RETURN(std::string variant_bytes, export_model_bytes(variant.model));
    candidates.push_back(std::move(variant_bytes));
  }
  EDGE_ASSIGN_OR_RETURN(std::vector<double> p50s, compare_models(candidates, sample, options.speed));
  const bool use_variant = p50s.size() == 3 && p50s[2] < p50s[1];
  if (use_variant) {
    r = std::move(variant);
    keep = keep_slower;
    for (const std::string& node : slower) report.speed_ms[node] = {int8.node_ms[node], fp32.node_ms[node]};
  }
  report.speed_checked = true;
  report.fp32_ms = p50s[0];
  report.int8_ms = use_variant ? p50s[2] : p50s[1];
  report.wrote_fp32 = !(report.int8_ms < options.speed.required_gain * report.fp32_ms);
  if (options.log) {
    options.log(str_cat("speed: FP32 p50 ", p50s[0], " ms, INT8 p50 ", p50s[1], " ms",
                        slower.empty() ? std::string()
                                       : str_cat(", with the ", slower.size(), " node(s) INT8 slows down in FP32 ",
                                                 p50s[2], " ms (", use_variant ? "kept" : "not kept", ")")));
  }
  return Status::ok();
}

}  // namespace

Result<QuantizeReport> quantize_model(const std::string& input, const std::string& output, const SampleSource& source,
                                      const QuantizeOptions& options) {
  if (source.size() == 0) return invalid_argument("no calibration samples");
  EDGE_ASSIGN_OR_RETURN(Model prepared, prepare_for_quantization(input));
  EDGE_RETURN_IF_ERROR(check_excluded_nodes(*prepared.graph, options.exclude));
  CalibrationOptions calibration = options.calibration;
  calibration.channel_ranges_for = depthwise_conv_inputs(*prepared.graph);
  EDGE_ASSIGN_OR_RETURN(StatsMap stats, collect_stats(prepared, source, calibration));
  std::map<std::string, KeepReason> keep;
  for (const std::string& name : options.exclude) keep[name] = KeepReason::kExcludedByUser;
  QuantizeReport report;
  report.coarse_inputs = coarse_depthwise_inputs(*prepared.graph, stats, calibration.method, calibration.percentile);
  QuantizeOptions opts = options;
  for (const auto& [node, coarse] : report.coarse_inputs) {
    keep.emplace(node, KeepReason::kCoarseInput);
    for (const std::string& silu : coarse.silu_nodes) keep.emplace(silu, KeepReason::kCoarseInput);
    opts.float_tensors.insert(coarse.tensor);
    if (!coarse.silu_input.empty()) opts.float_tensors.insert(coarse.silu_input);
  }
  EDGE_ASSIGN_OR_RETURN(std::string fp32_bytes, export_model_bytes(prepared));
  Round r;
  if (options.max_drop < 0) {
    EDGE_ASSIGN_OR_RETURN(r, build_round(fp32_bytes, stats, opts, keep));
  } else {
    EDGE_ASSIGN_OR_RETURN(r, guarded_rounds(prepared, stats, source, opts, keep, report));
    report.evaluated = true;
    report.agreement = r.agreement;
  }
  if (options.check_speed) EDGE_RETURN_IF_ERROR(check_speed(fp32_bytes, stats, source, opts, keep, r, report));
  fill_counts(r.plan, &report);
  if (report.wrote_fp32) {
    std::error_code ec;
    std::filesystem::copy_file(input, output, std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) return invalid_argument(str_cat(output, ": cannot write (", ec.message(), ")"));
    return report;
  }
  EDGE_RETURN_IF_ERROR(export_model_file(r.model, output));
  return report;
}

}  // namespace edgeserve::quant
