// Concurrent run loop with per-run latencies.
#include "apps/edgeserve/bench_runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace edgeserve::cli {

namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// State shared by the stream threads; everything else is per thread.
struct Shared {
  Shared(const Session& session_in, const std::vector<NamedTensor>& inputs_in, const LoopLimits& limits_in)
      : session(session_in), inputs(inputs_in), limits(limits_in) {}
  const Session& session;
  const std::vector<NamedTensor>& inputs;
  const LoopLimits& limits;
  Clock::time_point deadline;
  std::atomic<int64_t> next_run{0};
  std::atomic<bool> stop{false};
  std::mutex mu;  // guards error and merged results below
  Status error;
  LoopResult result;
};

bool take_slot(Shared& s) {
  if (s.stop.load(std::memory_order_relaxed)) return false;
  const int64_t slot = s.next_run.fetch_add(1, std::memory_order_relaxed);
  if (slot >= s.limits.max_runs) return false;
  return slot == 0 || Clock::now() < s.deadline;  // the first run always happens
}

void stream_main(Shared& s) {
  std::vector<double> latencies;
  ProfileTotals totals;
  Status error;
  while (take_slot(s)) {
    RunProfile profile;
    const auto start = Clock::now();
    auto out = s.session.run(s.inputs, s.limits.profile ? &profile : nullptr);
    const auto end = Clock::now();
    if (!out.is_ok()) {
      error = out.status();
      s.stop = true;
      break;
    }
    latencies.push_back(ms_between(start, end));
    if (s.limits.profile) totals.add_run(profile);
  }
  std::lock_guard<std::mutex> lock(s.mu);
  if (!error.is_ok() && s.error.is_ok()) s.error = error;
  s.result.latencies_ms.insert(s.result.latencies_ms.end(), latencies.begin(), latencies.end());
  s.result.profile.merge(totals);
}

}  // namespace

Result<LoopResult> run_loop(const Session& session, const std::vector<NamedTensor>& inputs, const LoopLimits& limits) {
  Shared s(session, inputs, limits);
  if (limits.max_runs <= 0) return std::move(s.result);
  const auto start = Clock::now();
  const double cap_s = std::min(limits.max_seconds, 1e9);  // keeps the deadline representable
  s.deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(cap_s));
  std::vector<std::thread> threads;
  for (int i = 1; i < limits.streams; ++i) threads.emplace_back(stream_main, std::ref(s));
  stream_main(s);  // the calling thread is stream 0
  for (auto& t : threads) t.join();
  s.result.wall_s = ms_between(start, Clock::now()) / 1000.0;
  if (!s.error.is_ok()) return s.error;
  return std::move(s.result);
}

}  // namespace edgeserve::cli
