// Reading, checking and auto-completing a model's configuration (config.pbtxt, Triton's text
// format against serving/proto/model_config.proto). Every error names the file, the field and
// what was expected; nothing here loads a model (the caller passes the model's interface).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgeserve/session.h"
#include "edgeserve/status.h"
#include "model_config.pb.h"

namespace edgeserve::serving {

// Defaults applied by auto-completion (documented in docs/serving.md).
inline constexpr int kAutoMaxBatchSize = 8;           // for models whose batch dim is variable
// Dynamic batching delay when not given: 0 = never hold a request back; batches still form
// from what queues up while the instances are busy, so a lone request pays no delay.
inline constexpr int kDefaultMaxQueueDelayUs = 0;

// Parses config.pbtxt text. `path` is used in messages only ("<path>:3:5: no field named 'x'").
Result<inference::ModelConfig> parse_model_config(std::string_view text, const std::string& path);

// The model's interface as the engine reports it (Session::inputs()/outputs()).
struct ModelInterface {
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
};

// Fills what `config` leaves out from the model: name (= the repository folder), platform,
// inputs/outputs, max_batch_size (kAutoMaxBatchSize when every input and output has a variable
// first dim, else 0), dynamic batching for batchable models, one CPU instance. Then checks what
// the config does give against the model: tensor names, data types, dims (without the batch dim
// when max_batch_size > 0), reshape element counts, version policy, instance kind (CPU/AUTO),
// preferred batch sizes, priority levels, queue policy, parameters ("threads",
// "optimization_level"). `path` names the config file in messages.
Status complete_model_config(inference::ModelConfig* config, const std::string& model_name,
                             const ModelInterface& model, const std::string& path);

// The model file inside a version folder: default_model_filename, or "model.onnx" when empty.
// A name with a path separator, "." or ".." is an error: it would reach outside the folder.
Result<std::string> model_file_name(const inference::ModelConfig& config, const std::string& path);

// The typed form of `parameters { key: ... value { string_value: ... } }`; unset when not given.
struct ConfigParameters {
  std::optional<int> threads;             // SessionOptions::threads, >= 0
  std::optional<int> optimization_level;  // SessionOptions::optimization_level, 0..2
  std::optional<ActivationLayout> layout;          // "measure" | "auto" | "blocked"
  std::optional<ConvAlgorithm> conv_algorithm;     // "measure" | "direct" | "winograd"
};
// Any other key, or a value out of range or not among the names, is an error naming the key.
Result<ConfigParameters> parse_config_parameters(const inference::ModelConfig& config, const std::string& path);

// Which of the versions found on disk the version policy serves (default: latest 1), ascending.
std::vector<int64_t> select_versions(const inference::ModelConfig& config, const std::vector<int64_t>& available);

// Triton's JSON form of the config (GET /v2/models/<m>/config).
std::string model_config_to_json(const inference::ModelConfig& config);

}  // namespace edgeserve::serving
