// InferenceServer: admission (find the version, validate, queue) and the protocol's questions.
#include "serving/core/inference_server.h"

#include <atomic>
#include <filesystem>
#include <chrono>
#include <thread>

#include "serving/core/metrics_text.h"
#include "serving/core/model_manager.h"

namespace edgeserve::serving {

struct InferenceServer::State {
  std::atomic<bool> draining{false};
  std::atomic<int64_t> in_flight{0};
};

InferenceServer::InferenceServer(const ServerOptions& options)
    : options_(options), models_(std::make_unique<ModelManager>(options)), state_(std::make_unique<State>()) {}

InferenceServer::~InferenceServer() { models_->stop_all(); }

Result<std::unique_ptr<InferenceServer>> InferenceServer::create(const ServerOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_directory(options.repository, ec)) {
    return not_found("model repository '" + options.repository + "' is not a readable directory");
  }
  std::unique_ptr<InferenceServer> server(new InferenceServer(options));
  EDGE_RETURN_IF_ERROR(server->models_->start());
  return server;
}

bool InferenceServer::live() const { return true; }

bool InferenceServer::ready() const { return !state_->draining.load(); }

ServerMetadata InferenceServer::metadata() const {
  return {"edgeserve", EDGESERVE_VERSION,
          {"binary_tensor_data", "model_repository", "model_repository(unload_dependents)", "schedule_policy",
           "model_configuration", "statistics"}};
}

Result<ModelMetadata> InferenceServer::model_metadata(const std::string& name, const std::string& version) const {
  EDGE_ASSIGN_OR_RETURN(std::shared_ptr<ServedModel> model, models_->find(name, version));
  return model_metadata_of(model->spec(), models_->ready_versions(name));
}

bool InferenceServer::model_ready(const std::string& name, const std::string& version) const {
  return ready() && models_->find(name, version).is_ok();
}

Result<std::string> InferenceServer::model_config_json(const std::string& name, const std::string& version) const {
  return models_->config_json(name, version);
}

void InferenceServer::infer(InferRequest request, InferCallback done) {
  const TimePoint admitted = Clock::now();
  if (state_->draining.load()) return done(unavailable("the server is shutting down"));
  // The wrapper counts requests in flight so that drain() knows when they are done.
  ++state_->in_flight;
  InferCallback counted = [state = state_.get(), done = std::move(done)](Result<InferResponse> r) {
    done(std::move(r));
    --state->in_flight;
  };
  // A version can be unloaded between find() and admit() (a hot swap): its queue is closed
  // then, and the request goes to the version that replaced it.
  Status status;
  for (int attempt = 0; attempt < 3; ++attempt) {
    Result<std::shared_ptr<ServedModel>> model = models_->find(request.model_name, request.model_version);
    if (!model.is_ok()) {
      status = model.status();
      break;
    }
    status = model.value()->admit(request, counted, admitted);
    if (status.is_ok()) return;
    if (status.code() == StatusCode::kInvalidArgument) {
      model.value()->stats().not_queued_failure((Clock::now() - admitted).count());
    }
    if (status.code() != StatusCode::kUnavailable || status.message().find("shutting down") == std::string::npos) break;
  }
  counted(status);
}

std::vector<RepositoryEntry> InferenceServer::repository_index(bool ready_only) const {
  return models_->index(ready_only);
}

Status InferenceServer::load_model(const std::string& name) { return models_->load(name); }

Status InferenceServer::unload_model(const std::string& name) { return models_->unload(name); }

Result<std::vector<ModelStatistics>> InferenceServer::statistics(const std::string& name,
                                                                 const std::string& version) const {
  std::vector<ModelStatistics> out;
  if (!name.empty()) {
    EDGE_ASSIGN_OR_RETURN(std::shared_ptr<ServedModel> model, models_->find(name, version));
    out.push_back(model->statistics());
    return out;
  }
  for (const auto& m : models_->all_ready()) out.push_back(m->statistics());
  return out;
}

std::string InferenceServer::metrics_text() const {
  std::vector<ModelStatistics> stats;
  for (const auto& m : models_->all_ready()) stats.push_back(m->statistics());
  return format_metrics(stats);
}

bool InferenceServer::drain(int64_t wait_ms) {
  state_->draining = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (state_->in_flight.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace edgeserve::serving
