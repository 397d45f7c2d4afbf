// Post-training static quantization of a whole model: prepare the FP32 graph, calibrate,
// insert QDQ, and (with a drop bound) keep the nodes that cost most accuracy in FP32 until the
// quantized model agrees with the FP32 one well enough. The steps live in their own files;
// this is the sequence.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/ir/graph.h"
#include "engine/quantize/calibrator.h"
#include "engine/quantize/channel_spread.h"
#include "engine/quantize/evaluate.h"
#include "engine/quantize/qdq_plan.h"
#include "engine/quantize/sample_source.h"
#include "engine/quantize/speed_guard.h"

namespace edgeserve::quant {

struct QuantizeOptions {
  CalibrationOptions calibration;
  bool per_channel = false;
  std::vector<std::string> exclude;  // node names kept FP32
  // Activation tensors left unquantized (QdqOptions::float_tensors); quantize_model adds the
  // coarse depthwise inputs (channel_spread.h) and the SiLU inputs behind them.
  std::set<std::string> float_tensors;
  // Largest accepted agreement drop (evaluate.h) on the calibration samples; < 0: no guard.
  double max_drop = -1;
  // Never slower (speed_guard.h): time INT8 against FP32 on this machine, keep FP32 the nodes
  // INT8 does not speed up, and write the FP32 model when the INT8 one is not faster overall.
  bool check_speed = false;
  SpeedOptions speed;
  // One line per guard round ("attempt 2: top-1 agreement 0.95, keeping conv_3 FP32").
  std::function<void(const std::string&)> log;
};

struct QuantizeReport {
  int quantized_nodes = 0;
  int activation_pairs = 0;
  int quantized_weights = 0;
  std::vector<std::string> weight_only;  // convs with int8 weights and float compute (QdqPlan::weight_only)
  std::map<std::string, KeepReason> kept_fp32;   // node -> why
  std::map<std::string, double> accuracy_error;  // node kept for accuracy -> the NSR it added
  std::map<std::string, CoarseInput> coarse_inputs;  // depthwise convs with too uneven inputs
  bool evaluated = false;
  Agreement agreement;  // of the written model, when evaluated
  int attempts = 1;
  bool within_max_drop = true;
  // The speed check: node kept FP32 for speed -> {INT8 ms, FP32 ms}; whole-model p50s.
  bool speed_checked = false;
  std::map<std::string, std::pair<double, double>> speed_ms;
  double fp32_ms = 0, int8_ms = 0;
  bool wrote_fp32 = false;  // INT8 was not faster: the output file is the (prepared) FP32 model
};

// The FP32 graph the quantizer works on: level-1 passes (exact rewrites: Dropout/Identity
// removal, constant folding), BatchNorm folded into Conv/Gemm, ai.onnx opset raised to 13.
// Node names are the file's; import names an unnamed node <op_type>_<position in the file>.
Result<Model> prepare_for_quantization(const std::string& path);

// Quantizes a prepared model in place with calibrated statistics (no evaluation).
Status quantize_prepared(Model& model, const StatsMap& stats, const QuantizeOptions& options,
                         const std::map<std::string, KeepReason>& keep, QuantizeReport* report);

// The whole job: `input` model file -> QDQ model at `output`.
Result<QuantizeReport> quantize_model(const std::string& input, const std::string& output, const SampleSource& source,
                                      const QuantizeOptions& options);

const char* keep_reason_name(KeepReason r);

}  // namespace edgeserve::quant
