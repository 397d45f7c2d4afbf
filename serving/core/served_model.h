// ServedModel: one loaded model version — its Session, spec, request queue, instance threads
// and statistics. Admission validates and queues; instance threads pop batches, run them and
// complete each request's callback.
//
// Threading: admit() and the getters are thread-safe. stop() closes the queue, lets the
// instance threads finish what is queued and joins them; call it once, from a thread that is
// not an instance thread. Holders of a shared_ptr keep the model (and its Session) alive.
#pragma once

#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "edgeserve/session.h"
#include "serving/core/inference_server.h"
#include "serving/core/model_spec.h"
#include "serving/core/model_stats.h"
#include "serving/scheduler/request_queue.h"

namespace edgeserve::serving {

class ServedModel {
 public:
  ServedModel(ModelSpec spec, std::shared_ptr<const Session> session);
  ~ServedModel();  // stops if still running
  ServedModel(const ServedModel&) = delete;
  ServedModel& operator=(const ServedModel&) = delete;

  void start();  // spawns the instance threads
  // Validates and queues. On failure returns the Status and `done` has NOT been called (the
  // caller reports it); on success `done` will be called once by an instance thread.
  Status admit(InferRequest& request, InferCallback& done, TimePoint admitted);
  void stop();

  const ModelSpec& spec() const { return spec_; }
  const Session& session() const { return *session_; }
  ModelStatistics statistics() const { return stats_.snapshot(); }
  ModelStats& stats() { return stats_; }

 private:
  void instance_main();
  void run(std::vector<std::unique_ptr<PendingRequest>>& batch);
  void complete(PendingRequest& r, Result<std::vector<Tensor>> outputs, TimePoint dispatched);

  const ModelSpec spec_;
  const std::shared_ptr<const Session> session_;
  RequestQueue queue_;
  ModelStats stats_;
  std::vector<std::thread> instances_;
  std::once_flag stop_once_;
};

}  // namespace edgeserve::serving
