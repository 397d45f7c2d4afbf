// ModelStats: counters behind Triton's statistics extension and the Prometheus metrics.
#include "serving/core/model_stats.h"

#include <chrono>

namespace edgeserve::serving {
namespace {

void add(DurationStat* d, int64_t ns) {
  ++d->count;
  d->ns += static_cast<uint64_t>(ns < 0 ? 0 : ns);
}

uint64_t now_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace

const std::vector<double>& request_duration_bounds_s() {
  static const std::vector<double> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                              0.1,    0.25,  0.5,    1.0,   2.5,  5.0,  10.0};
  return kBounds;
}

ModelStats::ModelStats(std::string name, std::string version) {
  s_.name = std::move(name);
  s_.version = std::move(version);
  s_.duration_bucket_bounds_s = request_duration_bounds_s();
  s_.duration_bucket_counts.assign(s_.duration_bucket_bounds_s.size(), 0);
}

void ModelStats::admitted() {
  std::lock_guard lock(mu_);
  ++s_.pending;
}

void ModelStats::rejected_overload() {
  std::lock_guard lock(mu_);
  ++s_.rejected_overload;
  add(&s_.fail, 0);
}

void ModelStats::request_done(bool success, int64_t duration_ns, int64_t queue_ns) {
  std::lock_guard lock(mu_);
  --s_.pending;
  add(success ? &s_.success : &s_.fail, duration_ns);
  add(&s_.queue, queue_ns);
  add(&s_.completed, duration_ns);
  const double seconds = static_cast<double>(duration_ns) * 1e-9;
  for (size_t i = 0; i < s_.duration_bucket_bounds_s.size(); ++i) {
    if (seconds <= s_.duration_bucket_bounds_s[i]) ++s_.duration_bucket_counts[i];
  }
}

void ModelStats::not_queued_failure(int64_t duration_ns) {
  std::lock_guard lock(mu_);
  add(&s_.fail, duration_ns);
}

void ModelStats::batch_done(int64_t batch_rows, int64_t input_ns, int64_t infer_ns, int64_t output_ns) {
  std::lock_guard lock(mu_);
  s_.inference_count += static_cast<uint64_t>(batch_rows);
  ++s_.execution_count;
  s_.last_inference_ms = now_ms();
  add(&s_.compute_input, input_ns);
  add(&s_.compute_infer, infer_ns);
  add(&s_.compute_output, output_ns);
  BatchStat& b = batches_[static_cast<uint64_t>(batch_rows)];
  b.batch_size = static_cast<uint64_t>(batch_rows);
  add(&b.compute_input, input_ns);
  add(&b.compute_infer, infer_ns);
  add(&b.compute_output, output_ns);
}

ModelStatistics ModelStats::snapshot() const {
  std::lock_guard lock(mu_);
  ModelStatistics out = s_;
  for (const auto& [size, stat] : batches_) out.batch_stats.push_back(stat);
  return out;
}

}  // namespace edgeserve::serving
