// InferenceServer: what every transport (HTTP, gRPC) calls. It owns the model repository and
// each model's scheduler, admits requests (validates them against the model, then queues them)
// and answers the health, metadata, repository and statistics questions of the protocol.
//
// Threading: every method may be called from any thread at any time. infer() never blocks on
// inference: it validates, queues and returns; `done` runs later on a model worker thread, or
// before infer() returns when the request is rejected at once (bad input, unknown model,
// overload). `done` is called exactly once and must not block for long.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "edgeserve/status.h"
#include "serving/api/infer_types.h"
#include "serving/core/server_options.h"
#include "serving/core/statistics.h"

namespace edgeserve::serving {

using InferCallback = std::function<void(Result<InferResponse>)>;

// One row of the repository index (Triton's repository extension).
struct RepositoryEntry {
  std::string name;
  std::string version;  // "" for a model with no loadable version
  std::string state;    // "READY", "LOADING", "UNLOADING", "UNAVAILABLE"
  std::string reason;   // why UNAVAILABLE
};

class ModelManager;

class InferenceServer {
 public:
  // Scans the repository and, per the control mode, loads its models. A model that fails to
  // load is UNAVAILABLE with its reason; the others serve. Fails only when the repository
  // itself cannot be read.
  static Result<std::unique_ptr<InferenceServer>> create(const ServerOptions& options);
  ~InferenceServer();
  InferenceServer(const InferenceServer&) = delete;
  InferenceServer& operator=(const InferenceServer&) = delete;

  bool live() const;
  // Live and not shutting down. Models report their own readiness (a model that failed to load
  // is UNAVAILABLE with its reason while the others serve).
  bool ready() const;
  ServerMetadata metadata() const;

  Result<ModelMetadata> model_metadata(const std::string& name, const std::string& version) const;
  bool model_ready(const std::string& name, const std::string& version) const;
  // The model's configuration (given or auto-completed) as Triton's JSON form of config.pbtxt.
  Result<std::string> model_config_json(const std::string& name, const std::string& version) const;

  void infer(InferRequest request, InferCallback done);

  std::vector<RepositoryEntry> repository_index(bool ready_only) const;
  Status load_model(const std::string& name);    // explicit mode: (re)load from the repository
  Status unload_model(const std::string& name);

  // Per model version; name "" = all models. NOT_FOUND for an unknown model or version.
  Result<std::vector<ModelStatistics>> statistics(const std::string& name, const std::string& version) const;
  // Prometheus text exposition of every model's counters and the process' CPU and memory.
  std::string metrics_text() const;

  // Readiness goes false and new requests are refused; queued and running requests finish.
  // Returns once they have, or after `wait_ms` (false then).
  bool drain(int64_t wait_ms);

 private:
  struct State;
  explicit InferenceServer(const ServerOptions& options);
  ServerOptions options_;
  std::unique_ptr<ModelManager> models_;
  std::unique_ptr<State> state_;
};

}  // namespace edgeserve::serving
