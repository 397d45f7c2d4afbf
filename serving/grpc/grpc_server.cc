// GrpcServer (see grpc_server.h): GRPCInferenceService on grpc++'s callback API. Unary RPCs
// answer inline; ModelInfer and ModelStreamInfer answer from InferenceServer's callbacks.
#include "serving/grpc/grpc_server.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <deque>
#include <mutex>
#include <string>
#include <utility>

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include "common/strings.h"
#include "serving/grpc/grpc_codec.h"
#include "serving/proto/grpc_service.grpc.pb.h"

namespace edgeserve::serving {
namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;
using inference::ModelInferRequest;
using inference::ModelStreamInferResponse;

// Requests of one stream queued, running or with an answer not yet written. Past it the stream
// stops reading until one is written, so one call cannot pile up unbounded work or memory behind
// a slow model or a client that does not read its answers.
constexpr size_t kMaxOutstandingPerStream = 64;

ServerUnaryReactor* finish(CallbackServerContext* context, const grpc::Status& status) {
  ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

ServerUnaryReactor* finish(CallbackServerContext* context, const Status& status) {
  return finish(context, to_grpc_status(status));
}

// What identifies a stream response to its client when the request failed.
struct RequestIds {
  std::string model_name;
  std::string model_version;
  std::string id;
};

std::unique_ptr<ModelStreamInferResponse> stream_error(const RequestIds& ids, const Status& status) {
  auto message = std::make_unique<ModelStreamInferResponse>();
  message->set_error_message(status.message().empty() ? status_code_name(status.code()) : status.message());
  inference::ModelInferResponse* r = message->mutable_infer_response();
  r->set_model_name(ids.model_name);
  r->set_model_version(ids.model_version);
  r->set_id(ids.id);
  return message;
}

// One ModelStreamInfer call: reads requests one at a time, submits each to the core and writes
// the responses in completion order (clients match them by id), one StartWrite at a time.
// Threading: gRPC's reactions and the core's callbacks run on any thread; mu_ guards the state.
// gRPC operations start outside mu_, after the state says who may start them, and whoever
// starts Finish touches nothing afterwards: OnDone deletes this once Finish completes.
class StreamReactor final : public grpc::ServerBidiReactor<ModelInferRequest, ModelStreamInferResponse> {
 public:
  StreamReactor(InferenceServer& core, int64_t max_tensor_bytes) : core_(core), max_tensor_bytes_(max_tensor_bytes) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override { delete this; }

 private:
  enum class ReadState { kReading, kPaused, kDone };
  // gRPC operations decided under mu_, started after it is released.
  struct Actions {
    bool read = false;
    const ModelStreamInferResponse* write = nullptr;
    bool finish = false;
    grpc::Status status;
  };

  void on_result(Result<InferResponse> result, bool raw, const RequestIds& ids);
  Actions next_actions_locked();
  bool may_read_locked() const { return in_flight_ + writes_.size() < kMaxOutstandingPerStream; }
  void run(const Actions& actions);

  InferenceServer& core_;
  const int64_t max_tensor_bytes_;
  ModelInferRequest request_;  // the read buffer: touched only by the read in progress

  std::mutex mu_;
  ReadState read_state_ = ReadState::kReading;  // kReading also while OnReadDone decides
  size_t in_flight_ = 0;                        // submitted to the core, not yet answered
  std::deque<std::unique_ptr<ModelStreamInferResponse>> writes_;  // front: being written
  bool writing_ = false;
  bool broken_ = false;  // a write failed: the client is gone, answers are dropped
  bool finishing_ = false;
};

void StreamReactor::OnReadDone(bool ok) {
  Actions actions;
  if (!ok) {  // the client half-closed, or the call ended
    std::lock_guard lock(mu_);
    read_state_ = ReadState::kDone;
    actions = next_actions_locked();
  } else {
    RequestIds ids{request_.model_name(), request_.model_version(), request_.id()};
    const bool raw = request_.raw_input_contents_size() > 0;
    Result<InferRequest> decoded = decode_model_infer_request(request_, max_tensor_bytes_);
    if (decoded.is_ok()) {
      {
        std::lock_guard lock(mu_);
        ++in_flight_;
      }
      // Not under mu_: the callback may run before infer() returns.
      core_.infer(std::move(decoded).value(), [this, raw, ids](Result<InferResponse> result) {
        on_result(std::move(result), raw, ids);
      });
    }
    std::lock_guard lock(mu_);
    if (!decoded.is_ok() && !broken_) writes_.push_back(stream_error(ids, decoded.status()));
    if (may_read_locked()) {
      actions.read = true;  // read_state_ stays kReading
    } else {
      read_state_ = ReadState::kPaused;
    }
    Actions more = next_actions_locked();
    actions.write = more.write;
  }
  run(actions);
}

void StreamReactor::on_result(Result<InferResponse> result, bool raw, const RequestIds& ids) {
  std::unique_ptr<ModelStreamInferResponse> message;
  if (result.is_ok()) {
    message = std::make_unique<ModelStreamInferResponse>();
    encode_model_infer_response(*result, raw, message->mutable_infer_response());
  } else {
    message = stream_error(ids, result.status());
  }
  Actions actions;
  {
    std::lock_guard lock(mu_);
    --in_flight_;
    if (!broken_) writes_.push_back(std::move(message));
    actions = next_actions_locked();
  }
  run(actions);
}

void StreamReactor::OnWriteDone(bool ok) {
  Actions actions;
  {
    std::lock_guard lock(mu_);
    writing_ = false;
    writes_.pop_front();
    if (!ok) {
      broken_ = true;
      writes_.clear();
    }
    actions = next_actions_locked();
  }
  run(actions);
}

StreamReactor::Actions StreamReactor::next_actions_locked() {
  Actions actions;
  if (!writing_ && !writes_.empty()) {
    writing_ = true;
    actions.write = writes_.front().get();
  }
  if (read_state_ == ReadState::kPaused && may_read_locked()) {
    read_state_ = ReadState::kReading;
    actions.read = true;
  }
  if (read_state_ == ReadState::kDone && in_flight_ == 0 && !writing_ && !finishing_) {
    finishing_ = true;
    actions.finish = true;
    actions.status = broken_ ? grpc::Status::CANCELLED : grpc::Status::OK;
  }
  return actions;
}

void StreamReactor::run(const Actions& actions) {
  if (actions.write != nullptr) StartWrite(actions.write);
  if (actions.read) StartRead(&request_);
  if (actions.finish) Finish(actions.status);  // last use of this
}

// The service: every RPC translates, asks the core and answers. Holds no state but the core.
class InferenceService final : public inference::GRPCInferenceService::CallbackService {
 public:
  InferenceService(InferenceServer& core, int64_t max_tensor_bytes) : core_(core), max_tensor_bytes_(max_tensor_bytes) {}

  ServerUnaryReactor* ServerLive(CallbackServerContext* context, const inference::ServerLiveRequest*,
                                 inference::ServerLiveResponse* response) override {
    response->set_live(core_.live());
    return finish(context, grpc::Status::OK);
  }

  ServerUnaryReactor* ServerReady(CallbackServerContext* context, const inference::ServerReadyRequest*,
                                  inference::ServerReadyResponse* response) override {
    response->set_ready(core_.ready());
    return finish(context, grpc::Status::OK);
  }

  ServerUnaryReactor* ModelReady(CallbackServerContext* context, const inference::ModelReadyRequest* request,
                                 inference::ModelReadyResponse* response) override {
    response->set_ready(core_.model_ready(request->name(), request->version()));
    return finish(context, grpc::Status::OK);
  }

  ServerUnaryReactor* ServerMetadata(CallbackServerContext* context, const inference::ServerMetadataRequest*,
                                     inference::ServerMetadataResponse* response) override {
    encode_server_metadata(core_.metadata(), response);
    return finish(context, grpc::Status::OK);
  }

  ServerUnaryReactor* ModelMetadata(CallbackServerContext* context, const inference::ModelMetadataRequest* request,
                                    inference::ModelMetadataResponse* response) override {
    Result<serving::ModelMetadata> metadata = core_.model_metadata(request->name(), request->version());
    if (!metadata.is_ok()) return finish(context, metadata.status());
    encode_model_metadata(*metadata, response);
    return finish(context, grpc::Status::OK);
  }

  ServerUnaryReactor* ModelInfer(CallbackServerContext* context, const ModelInferRequest* request,
                                 inference::ModelInferResponse* response) override;

  grpc::ServerBidiReactor<ModelInferRequest, ModelStreamInferResponse>* ModelStreamInfer(
      CallbackServerContext*) override {
    return new StreamReactor(core_, max_tensor_bytes_);  // deletes itself in OnDone
  }

  ServerUnaryReactor* ModelConfig(CallbackServerContext* context, const inference::ModelConfigRequest* request,
                                  inference::ModelConfigResponse* response) override;

  ServerUnaryReactor* ModelStatistics(CallbackServerContext* context, const inference::ModelStatisticsRequest* request,
                                      inference::ModelStatisticsResponse* response) override {
    Result<std::vector<serving::ModelStatistics>> stats = core_.statistics(request->name(), request->version());
    if (!stats.is_ok()) return finish(context, stats.status());
    for (const serving::ModelStatistics& s : *stats) encode_model_statistics(s, response->add_model_stats());
    return finish(context, grpc::Status::OK);
  }

  ServerUnaryReactor* RepositoryIndex(CallbackServerContext* context, const inference::RepositoryIndexRequest* request,
                                      inference::RepositoryIndexResponse* response) override;

  ServerUnaryReactor* RepositoryModelLoad(CallbackServerContext* context,
                                          const inference::RepositoryModelLoadRequest* request,
                                          inference::RepositoryModelLoadResponse*) override;

  ServerUnaryReactor* RepositoryModelUnload(CallbackServerContext* context,
                                            const inference::RepositoryModelUnloadRequest* request,
                                            inference::RepositoryModelUnloadResponse*) override;

 private:
  InferenceServer& core_;
  const int64_t max_tensor_bytes_;
};

ServerUnaryReactor* InferenceService::ModelInfer(CallbackServerContext* context, const ModelInferRequest* request,
                                                 inference::ModelInferResponse* response) {
  Result<InferRequest> decoded = decode_model_infer_request(*request, max_tensor_bytes_);
  if (!decoded.is_ok()) return finish(context, decoded.status());
  const bool raw = request->raw_input_contents_size() > 0;
  ServerUnaryReactor* reactor = context->DefaultReactor();
  // `response` and `reactor` stay valid until Finish; the core calls back exactly once, on a
  // model worker (or here, before infer() returns), so no gRPC thread waits for inference.
  core_.infer(std::move(decoded).value(), [reactor, response, raw](Result<InferResponse> result) {
    if (!result.is_ok()) {
      reactor->Finish(to_grpc_status(result.status()));
      return;
    }
    encode_model_infer_response(*result, raw, response);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

ServerUnaryReactor* InferenceService::ModelConfig(CallbackServerContext* context,
                                                  const inference::ModelConfigRequest* request,
                                                  inference::ModelConfigResponse* response) {
  Result<std::string> json = core_.model_config_json(request->name(), request->version());
  if (!json.is_ok()) return finish(context, json.status());
  // The JSON form may carry Triton fields our ModelConfig subset lacks; clients only lose those.
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto parsed = google::protobuf::util::JsonStringToMessage(*json, response->mutable_config(), options);
  if (!parsed.ok()) {
    return finish(context, internal_error(str_cat("the configuration of model '", request->name(),
                                                  "' does not convert to ModelConfig: ", parsed.ToString())));
  }
  return finish(context, grpc::Status::OK);
}

ServerUnaryReactor* InferenceService::RepositoryIndex(CallbackServerContext* context,
                                                      const inference::RepositoryIndexRequest* request,
                                                      inference::RepositoryIndexResponse* response) {
  for (const RepositoryEntry& entry : core_.repository_index(request->ready())) {
    auto* model = response->add_models();
    model->set_name(entry.name);
    model->set_version(entry.version);
    model->set_state(entry.state);
    model->set_reason(entry.reason);
  }
  return finish(context, grpc::Status::OK);
}

ServerUnaryReactor* InferenceService::RepositoryModelLoad(CallbackServerContext* context,
                                                          const inference::RepositoryModelLoadRequest* request,
                                                          inference::RepositoryModelLoadResponse*) {
  // Triton's "config" and "file:" overrides would load something other than the repository's.
  if (!request->parameters().empty()) {
    return finish(context, unimplemented(str_cat("load of '", request->model_name(), "': parameter '",
                                                 request->parameters().begin()->first, "' is not supported")));
  }
  return finish(context, core_.load_model(request->model_name()));
}

ServerUnaryReactor* InferenceService::RepositoryModelUnload(CallbackServerContext* context,
                                                            const inference::RepositoryModelUnloadRequest* request,
                                                            inference::RepositoryModelUnloadResponse*) {
  // Triton's clients always send "unload_dependents"; edgeserve has no ensembles to follow.
  for (const auto& [key, value] : request->parameters()) {
    if (key != "unload_dependents") {
      return finish(context, unimplemented(str_cat("unload of '", request->model_name(), "': parameter '", key,
                                                   "' is not supported")));
    }
  }
  return finish(context, core_.unload_model(request->model_name()));
}

std::string listen_address(const GrpcServerOptions& options) {
  const bool ipv6 = options.host.find(':') != std::string::npos && options.host.front() != '[';
  return ipv6 ? str_cat("[", options.host, "]:", options.port) : str_cat(options.host, ":", options.port);
}

}  // namespace

struct GrpcServer::Impl {
  Impl(InferenceServer& core, int64_t max_tensor_bytes) : service(core, max_tensor_bytes) {}
  // Declared before `server`: grpc++ requires the service to outlive the server.
  InferenceService service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::once_flag shutdown_once;
};

GrpcServer::GrpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GrpcServer::~GrpcServer() { shutdown(0); }

Result<std::unique_ptr<GrpcServer>> GrpcServer::start(InferenceServer& core, const GrpcServerOptions& options) {
  if (options.max_message_bytes <= 0) {
    return invalid_argument(str_cat("gRPC max message size must be positive, got ", options.max_message_bytes));
  }
  if (options.port < 0 || options.port > 65535) return invalid_argument(str_cat("bad gRPC port ", options.port));
  const std::string address = listen_address(options);
  auto impl = std::make_unique<Impl>(core, options.max_message_bytes);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &impl->port);
  builder.RegisterService(&impl->service);
  builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<int64_t>(options.max_message_bytes, INT_MAX)));
  builder.SetMaxSendMessageSize(-1);  // responses are bounded by the model, not by the client
  // Without this Linux's SO_REUSEPORT lets a second server "bind" a port already in use.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  impl->server = builder.BuildAndStart();
  if (!impl->server || impl->port == 0) {
    return unavailable(str_cat("cannot listen for gRPC on ", address, " (address in use or not local?)"));
  }
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(impl)));
}

int GrpcServer::port() const { return impl_->port; }

void GrpcServer::shutdown(int64_t deadline_ms) {
  std::call_once(impl_->shutdown_once, [&] {
    // Returns once every call has ended: in-flight ones are cancelled at the deadline, and a
    // ModelInfer still in the core ends when the core calls back.
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
    impl_->server->Wait();
  });
}

}  // namespace edgeserve::serving
