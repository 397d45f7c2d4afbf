// gRPC transport of `edgeserve perf`: generated KServe v2 stubs, one per channel, and the
// callback API so that any number of calls can be outstanding without a thread each.
#include "apps/edgeserve/perf_client_grpc.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common/strings.h"
#include "serving/proto/grpc_service.grpc.pb.h"

namespace edgeserve::cli {

namespace {

using Stub = inference::GRPCInferenceService::Stub;

const char* grpc_code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN_CODE";  // grpc::StatusCode also has DO_NOT_USE
  }
}

std::string grpc_kind(const grpc::Status& s) { return str_cat("gRPC ", grpc_code_name(s.error_code())); }

std::string grpc_target(const PerfOptions& o) {
  // "dns:" keeps a host name from being read as another resolver's scheme.
  return str_cat("dns:", o.url());
}

std::shared_ptr<grpc::Channel> make_channel(const PerfOptions& o) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);  // image models answer in megabytes; the default is 4 MiB
  args.SetMaxSendMessageSize(-1);
  // Channels with equal arguments otherwise share one global subchannel, i.e. one TCP
  // connection, however many channels there are.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(grpc_target(o), grpc::InsecureChannelCredentials(), args);
}

std::chrono::system_clock::time_point deadline_after(int64_t ms) {
  return std::chrono::system_clock::now() + std::chrono::milliseconds(ms);
}

serving::TensorMetadata tensor_metadata(const inference::ModelMetadataResponse::TensorMetadata& t) {
  return {t.name(), t.datatype(), std::vector<int64_t>(t.shape().begin(), t.shape().end())};
}

inference::ModelInferRequest make_infer_request(const PerfOptions& o, const std::vector<NamedTensor>& inputs) {
  inference::ModelInferRequest req;
  req.set_model_name(o.model);
  req.set_model_version(o.model_version);
  for (const NamedTensor& in : inputs) {
    auto* t = req.add_inputs();
    t->set_name(in.name);
    t->set_datatype(serving::datatype_name(in.tensor.dtype()));
    for (int64_t d : in.tensor.dims()) t->add_shape(d);
    req.add_raw_input_contents(static_cast<const char*>(in.tensor.raw_data()), in.tensor.byte_size());
  }
  return req;  // no `outputs`: the server sends all of them, as raw_output_contents
}

class GrpcPerfClient final : public PerfClient {
 public:
  GrpcPerfClient(const PerfOptions& o, inference::ModelInferRequest request, int channels)
      : timeout_ms_(o.timeout_ms), request_(std::move(request)) {
    for (int i = 0; i < channels; ++i) stubs_.push_back(inference::GRPCInferenceService::NewStub(make_channel(o)));
  }
  ~GrpcPerfClient() override { shutdown(); }

  void infer(PerfDone done) override {
    auto owned = std::make_unique<Call>();
    Call* call = owned.get();
    call->done = std::move(done);
    call->context.set_deadline(deadline_after(timeout_ms_));
    std::vector<std::unique_ptr<Call>> reaped;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (shut_down_) return;  // dropped, as shutdown() allows
      in_flight_.emplace(call, std::move(owned));
      reaped.swap(finished_);
    }
    reaped.clear();  // outside the lock; the stubs keep the channels alive meanwhile
    Stub& stub = *stubs_[next_stub_.fetch_add(1, std::memory_order_relaxed) % stubs_.size()];
    // The callback holds only a pointer: the call (its context, and through it a channel reference)
    // must never die inside gRPC's callback. If it did, a context could drop a channel's last
    // reference on a gRPC thread once the stubs are gone, and gRPC 1.51 aborts on that
    // ("assertion failed: prior > 0").
    stub.async()->ModelInfer(&call->context, &request_, &call->response,
                             [this, call](grpc::Status s) { finish(call, s); });
  }

  // Returns once every started call's callback has run; the calls are freed here, on the caller's
  // thread, while the channels are still alive.
  void shutdown() override {
    std::vector<Call*> to_cancel;
    {
      std::lock_guard<std::mutex> lock(mu_);
      shut_down_ = true;
      for (const auto& [call, owned] : in_flight_) to_cancel.push_back(call);
    }
    // Outside the lock: a cancelled call's callback may run right away, on this thread too. The
    // pointers stay valid: once shut down, only this function frees calls.
    for (Call* call : to_cancel) call->context.TryCancel();
    std::vector<std::unique_ptr<Call>> reaped;
    {
      std::unique_lock<std::mutex> lock(mu_);
      idle_.wait(lock, [this] { return in_flight_.empty(); });
      reaped.swap(finished_);
    }
  }

 private:
  struct Call {
    grpc::ClientContext context;
    inference::ModelInferResponse response;
    PerfDone done;
  };

  void finish(Call* call, const grpc::Status& s) {
    PerfOutcome outcome{true, "", ""};
    if (!s.ok()) {
      outcome = perf_error(grpc_kind(s), s.error_message());
    } else if (call->response.outputs_size() == 0) {
      outcome = perf_error("bad response", "the answer has no outputs");
    }
    call->done(std::move(outcome));
    // Only now: shutdown() waits for running callbacks too. The call is freed later, by infer()
    // or shutdown(), not by gRPC's thread.
    std::lock_guard<std::mutex> lock(mu_);
    auto it = in_flight_.find(call);
    finished_.push_back(std::move(it->second));
    in_flight_.erase(it);
    if (in_flight_.empty()) idle_.notify_all();
  }

  const int64_t timeout_ms_;
  const inference::ModelInferRequest request_;  // shared read-only by all calls
  std::vector<std::unique_ptr<Stub>> stubs_;
  std::atomic<size_t> next_stub_{0};
  std::mutex mu_;  // guards in_flight_, finished_ and shut_down_
  std::condition_variable idle_;
  std::unordered_map<Call*, std::unique_ptr<Call>> in_flight_;  // started, callback not yet finished
  std::vector<std::unique_ptr<Call>> finished_;                 // callback finished, not yet freed
  bool shut_down_ = false;
};

}  // namespace

Result<serving::ModelMetadata> grpc_model_metadata(const PerfOptions& options) {
  auto stub = inference::GRPCInferenceService::NewStub(make_channel(options));
  grpc::ClientContext context;
  context.set_deadline(deadline_after(metadata_timeout_ms(options)));
  inference::ModelMetadataRequest req;
  req.set_name(options.model);
  req.set_version(options.model_version);
  inference::ModelMetadataResponse res;
  const grpc::Status s = stub->ModelMetadata(&context, req, &res);
  if (!s.ok()) return unavailable(str_cat(grpc_kind(s), ": ", s.error_message()));
  serving::ModelMetadata m;
  m.name = res.name();
  m.platform = res.platform();
  m.versions.assign(res.versions().begin(), res.versions().end());
  for (const auto& t : res.inputs()) m.inputs.push_back(tensor_metadata(t));
  for (const auto& t : res.outputs()) m.outputs.push_back(tensor_metadata(t));
  return m;
}

Result<std::unique_ptr<PerfClient>> create_grpc_perf_client(const PerfOptions& options,
                                                            const std::vector<NamedTensor>& inputs, int channels) {
  if (channels < 1) return invalid_argument("a gRPC client needs at least one channel");
  return std::unique_ptr<PerfClient>(
      std::make_unique<GrpcPerfClient>(options, make_infer_request(options, inputs), channels));
}

}  // namespace edgeserve::cli
