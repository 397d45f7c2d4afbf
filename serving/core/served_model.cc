// ServedModel: admission, the instance loop, and building responses from engine outputs.
#include "serving/core/served_model.h"

#include <chrono>

#include "serving/scheduler/batch_runner.h"

namespace edgeserve::serving {
namespace {

int64_t ns_between(TimePoint a, TimePoint b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

// Picks the requested outputs (all when none are named) in the order asked.
Result<InferResponse> make_response(const ModelSpec& spec, const InferRequest& request, std::vector<Tensor>&& outputs) {
  InferResponse response;
  response.model_name = spec.name;
  response.model_version = spec.version;
  response.id = request.id;
  if (request.outputs.empty()) {
    for (size_t i = 0; i < spec.outputs.size() && i < outputs.size(); ++i) {
      response.outputs.push_back({spec.outputs[i].name, reshape_output_for_client(spec, i, outputs[i])});
      response.binary.push_back(request.binary_outputs);
    }
    return response;
  }
  for (const RequestedOutput& o : request.outputs) {
    for (size_t i = 0; i < spec.outputs.size() && i < outputs.size(); ++i) {
      if (spec.outputs[i].name != o.name) continue;
      response.outputs.push_back({o.name, reshape_output_for_client(spec, i, outputs[i])});
      response.binary.push_back(o.binary.value_or(request.binary_outputs));
    }
  }
  return response;
}

}  // namespace

ServedModel::ServedModel(ModelSpec spec, std::shared_ptr<const Session> session)
    : spec_(std::move(spec)),
      session_(std::move(session)),
      queue_(spec_.batch, spec_.queue),
      stats_(spec_.name, spec_.version) {}

ServedModel::~ServedModel() { stop(); }

void ServedModel::start() {
  for (int i = 0; i < std::max(1, spec_.instances); ++i) instances_.emplace_back([this] { instance_main(); });
}

Status ServedModel::admit(InferRequest& request, InferCallback& done, TimePoint admitted) {
  EDGE_ASSIGN_OR_RETURN(RequestShape shape, validate_request(spec_, request));
  auto pending = std::make_unique<PendingRequest>();
  pending->request = std::move(request);
  pending->done = std::move(done);
  pending->rows = shape.rows;
  pending->shape_key = shape.shape_key;
  pending->admitted = admitted;
  Status s = queue_.push(pending, Clock::now());
  if (!s.is_ok()) {
    // Hand the request back: the caller may retry on another version or report the error.
    request = std::move(pending->request);
    done = std::move(pending->done);
    if (s.code() == StatusCode::kUnavailable) stats_.rejected_overload();
    return s;
  }
  stats_.admitted();
  return Status::ok();
}

void ServedModel::stop() {
  std::call_once(stop_once_, [this] {
    queue_.close();
    for (std::thread& t : instances_) t.join();
    instances_.clear();
  });
}

void ServedModel::instance_main() {
  for (;;) {
    PoppedBatch popped = queue_.pop_batch();
    for (auto& r : popped.expired) {
      complete(*r, deadline_exceeded("request '" + r->request.id + "' waited in the queue of model '" + spec_.name +
                                     "' past its timeout"), Clock::now());
    }
    if (!popped.batch.empty()) run(popped.batch);
    if (popped.closed) return;
  }
}

void ServedModel::run(std::vector<std::unique_ptr<PendingRequest>>& batch) {
  const TimePoint dispatched = Clock::now();
  std::vector<const InferRequest*> requests;
  std::vector<int64_t> rows;
  int64_t total_rows = 0;
  for (const auto& r : batch) {
    reshape_inputs_for_model(spec_, &r->request);
    requests.push_back(&r->request);
    rows.push_back(r->rows);
    total_rows += r->rows;
  }
  BatchRun result = run_batch(*session_, requests, rows, spec_.max_batch_size > 0);
  stats_.batch_done(total_rows, result.input_ns, result.infer_ns, result.output_ns);
  for (size_t i = 0; i < batch.size(); ++i) complete(*batch[i], std::move(result.outputs[i]), dispatched);
}

void ServedModel::complete(PendingRequest& r, Result<std::vector<Tensor>> outputs, TimePoint dispatched) {
  Result<InferResponse> response =
      outputs.is_ok() ? make_response(spec_, r.request, std::move(outputs).value()) : Result<InferResponse>(outputs.status());
  const TimePoint end = Clock::now();
  stats_.request_done(response.is_ok(), ns_between(r.admitted, end), ns_between(r.enqueued, dispatched));
  r.done(std::move(response));
}

}  // namespace edgeserve::serving
