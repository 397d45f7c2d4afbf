// The public engine API: load an ONNX model into a Session and run it with named tensors.
// This is the API that serving/, vision/ and embedding applications use.
//
// Threading: a Session is immutable after creation; run() may be called concurrently from any
// number of threads. Ownership: returned tensors own (share) their buffers; inputs are not
// modified and need only outlive the run() call.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edgeserve/status.h"
#include "edgeserve/tensor.h"
#include "engine/ep/cpu/cpu_options.h"
#include "engine/ep/run_profile.h"

namespace edgeserve {

enum class Provider {
  kReference,  // plain loops for every op: the oracle and fallback
  kCpu,        // oneDNN primitives in blocked layouts; unclaimed nodes fall back to reference
};

// Parses "reference" or "cpu"; returns false for an unknown name.
bool parse_provider(std::string_view name, Provider* out);
const char* provider_name(Provider p);

struct SessionOptions {
  Provider provider = Provider::kCpu;  // the fast path; kReference is the oracle
  // Intra-op threads per run; 0: the cores available to the process. The reference provider
  // runs each kernel on the calling thread (it is the oracle); the cpu provider uses this many
  // OpenMP threads.
  int threads = 0;
  // Graph optimisation level: 0 none, 1 basic (never changes results), 2 all (fusions, layouts).
  int optimization_level = 2;
  int64_t max_tensor_bytes = kDefaultMaxTensorBytes;    // per-tensor allocation bound
  // cpu provider: Winograd or direct for 3x3 stride-1 convolutions (see cpu_options.h).
  ConvAlgorithm conv_algorithm = ConvAlgorithm::kMeasure;
  // cpu provider: the activation layout of convolutions (see cpu_options.h).
  ActivationLayout layout = ActivationLayout::kMeasure;
  // Make a model exported with a fixed batch of 1 accept any batch: dim 0 of its inputs and
  // outputs becomes symbolic "batch", and constant Reshape shapes that hard-code it follow
  // (engine/onnx/batch_rewrite.h). Loading fails when no input has a fixed batch of 1.
  bool free_batch = false;
};

// Parses "measure", "direct" or "winograd"; returns false for an unknown name.
bool parse_conv_algorithm(std::string_view name, ConvAlgorithm* out);
const char* conv_algorithm_name(ConvAlgorithm a);
// Parses "measure", "auto" or "blocked"; returns false for an unknown name.
bool parse_activation_layout(std::string_view name, ActivationLayout* out);
const char* activation_layout_name(ActivationLayout l);

struct TensorInfo {
  std::string name;
  TensorType type;  // dtype and dims; symbolic dims carry their name ("batch")
};

struct ModelSummary {
  int64_t ir_version = 0;
  std::string producer_name;
  std::map<std::string, int64_t> opsets;  // "" = ai.onnx
  std::map<std::string, int> op_histogram;
  int64_t parameter_count = 0;            // elements in all initializers
  int node_count = 0;
};

// What `edgeserve info` shows: the model's interface and contents, and which of its operators
// the chosen provider cannot run. Succeeds for any valid model, supported or not.
struct ModelInfo {
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
  ModelSummary summary;
  std::vector<std::string> unsupported_ops;  // "LSTM (2 nodes)"
};
Result<ModelInfo> inspect_model(const std::string& path, Provider provider = Provider::kReference);

// Loads the model at `input`, runs the graph passes of `level` (0..2) and writes the result to
// `output` as an ONNX file: standard ops where possible, fused ones in the `edgeserve` domain
// (docs/architecture.md). edgeserve loads the result back; constants are folded in.
Status optimize_model(const std::string& input, const std::string& output, int level = 2);

class Session {
 public:
  // Loads a model file; external data is read from the file's directory.
  static Result<std::unique_ptr<Session>> load(const std::string& path, const SessionOptions& options = {});
  // Loads a serialized model; external data is not allowed.
  static Result<std::unique_ptr<Session>> load_from_bytes(std::string_view bytes, const SessionOptions& options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::vector<TensorInfo>& inputs() const;
  const std::vector<TensorInfo>& outputs() const;
  ModelSummary summary() const;
  // The provider of each execution step, in order ("cpu", "reference"); a run of nodes the cpu
  // provider compiled as one subgraph is one step.
  std::vector<std::string> step_providers() const;
  // The execution plan as `edgeserve info --plan` prints it: one entry per step. arena_bytes is
  // the scratch memory one run of the step uses, for the input shapes last run (compiled cpu
  // subgraphs of static shapes know theirs at load; dynamic ones after their first run).
  struct PlanStep {
    std::string name;
    std::string provider;
    int nodes = 1;
    int64_t arena_bytes = 0;
  };
  std::vector<PlanStep> plan() const;

  // Runs the model. Every true input must be given once, by name, with the declared dtype and a
  // shape matching the declared dims (symbolic dims consistent across inputs). Returns the
  // outputs in outputs() order.
  Result<std::vector<Tensor>> run(const std::vector<NamedTensor>& inputs) const;
  // The same, and when `profile` is not null appends one wall-time entry per executed node to it
  // (see RunProfile; input validation is not timed). Timing costs a clock read per node, so pass
  // null, or use the overload above, when not profiling. `profile` is the caller's, one per run.
  Result<std::vector<Tensor>> run(const std::vector<NamedTensor>& inputs, RunProfile* profile) const;

  struct Impl;

 private:
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgeserve
