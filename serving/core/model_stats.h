// ModelStats: the live counters of one model version, updated by admission and by the
// instance threads, read as a ModelStatistics snapshot by the statistics API and metrics.
// Threading: all methods are thread-safe (one small mutex; updates are a few additions).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "serving/core/statistics.h"

namespace edgeserve::serving {

class ModelStats {
 public:
  ModelStats(std::string name, std::string version);

  void admitted();                       // a request entered the queue
  void rejected_overload();              // refused: queue full
  void request_done(bool success, int64_t duration_ns, int64_t queue_ns);  // left the server
  void not_queued_failure(int64_t duration_ns);  // failed at admission (bad request)
  void batch_done(int64_t batch_rows, int64_t input_ns, int64_t infer_ns, int64_t output_ns);

  ModelStatistics snapshot() const;

 private:
  mutable std::mutex mu_;
  ModelStatistics s_;
  std::map<uint64_t, BatchStat> batches_;
};

// Upper bounds (seconds) of the request duration histogram buckets.
const std::vector<double>& request_duration_bounds_s();

}  // namespace edgeserve::serving
