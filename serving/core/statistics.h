// Per model version counters: Triton's statistics extension (count + total time per phase,
// per batch size) and what the Prometheus metrics are made of. Snapshots are plain values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace edgeserve::serving {

struct DurationStat {
  uint64_t count = 0;
  uint64_t ns = 0;
};

struct BatchStat {
  uint64_t batch_size = 0;
  DurationStat compute_input;
  DurationStat compute_infer;
  DurationStat compute_output;
};

struct ModelStatistics {
  std::string name;
  std::string version;
  uint64_t last_inference_ms = 0;  // since the epoch; 0 = never
  uint64_t inference_count = 0;    // rows inferred (a batch of 8 counts 8)
  uint64_t execution_count = 0;    // engine runs (a batch of 8 counts 1)
  DurationStat success;            // request end to end, from admission to response
  DurationStat fail;
  DurationStat queue;
  DurationStat compute_input;      // gathering inputs into the batch
  DurationStat compute_infer;      // the engine run
  DurationStat compute_output;     // splitting outputs back to requests
  std::vector<BatchStat> batch_stats;  // one per batch size seen, ascending
  int64_t pending = 0;                 // requests queued or running now
  // Request duration histogram (success and failure): cumulative counts per upper bound.
  std::vector<double> duration_bucket_bounds_s;
  std::vector<uint64_t> duration_bucket_counts;  // same length; +Inf is completed.count
  DurationStat completed;                        // admitted requests that finished
  uint64_t rejected_overload = 0;                // refused at admission: queue full
};

}  // namespace edgeserve::serving
