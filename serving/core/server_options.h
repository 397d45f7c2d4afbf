// Options of the inference server that are not per model (per-model settings live in each
// model's config.pbtxt). Every bound has a documented default (docs/serving.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgeserve::serving {

enum class ModelControlMode {
  kNone,      // load every model at start; the repository is not watched
  kPoll,      // load at start, then rescan every poll period: new versions load, removed unload
  kExplicit,  // load only --load-model names at start; then only the load/unload API
};

// Parses "none", "poll" or "explicit"; false for another name.
bool parse_model_control_mode(const std::string& name, ModelControlMode* out);

struct ServerOptions {
  std::string repository;
  ModelControlMode control_mode = ModelControlMode::kNone;
  int repository_poll_secs = 15;
  std::vector<std::string> startup_models;  // explicit mode: --load-model
  // Intra-op threads for all models together; 0: the cores available to the process. A model's
  // instances split its share (config parameter "threads" overrides per model).
  int threads = 0;
  // Defaults for models whose config does not say (dynamic_batching.default_queue_policy).
  int64_t default_max_queue_size = 64;
  // Bytes of tensor data one request may carry (HTTP body, gRPC message).
  int64_t max_input_bytes = int64_t{64} << 20;
};

}  // namespace edgeserve::serving
