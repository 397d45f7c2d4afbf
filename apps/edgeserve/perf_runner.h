// The load loops of `edgeserve perf`: closed loop (C clients, each sending again when answered)
// and open loop (sends on a fixed schedule, answered or not), over any PerfClient. The timing
// decisions are pure functions below; the loops own the waiting.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "apps/edgeserve/perf_client.h"

namespace edgeserve::cli {

using PerfClock = std::chrono::steady_clock;

// The open loop's schedule: request `index` (from 0) is due at start + index / rate_per_s.
// Computed from the index, not by adding 1/rate per request, so rounding never accumulates.
PerfClock::time_point open_loop_send_time(PerfClock::time_point start, double rate_per_s, int64_t index);

// A run's phases: warm-up [start, measure_start), then the measured window [measure_start, end).
// A request belongs to the window when it was sent (closed loop) or due (open loop) inside it,
// however late its answer comes.
struct PerfPhases {
  PerfClock::time_point start;
  PerfClock::time_point measure_start;
  PerfClock::time_point end;

  static PerfPhases starting_at(PerfClock::time_point start, double warmup_s, double duration_s);
  bool measured(PerfClock::time_point t) const { return t >= measure_start && t < end; }
  double measured_s() const { return std::chrono::duration<double>(end - measure_start).count(); }
};

struct PerfErrorTally {
  int64_t count = 0;
  std::string first_message;
};

// What the measured window saw. Latencies are of the successful requests, in milliseconds from
// the send (closed loop) or from the due time (open loop, so that a server falling behind shows
// as latency rather than being hidden by the client waiting: no coordinated omission).
struct PerfResult {
  int64_t ok = 0;
  std::vector<double> latencies_ms;
  std::map<std::string, PerfErrorTally> errors;  // by kind
  double measured_s = 0;

  int64_t error_count() const;
};

struct PerfLoopLimits {
  // How long to wait after the window for answers still due; then they are cut off and each
  // counted as a "no answer" error. Normally the client's own timeout ends them sooner.
  std::chrono::milliseconds drain{0};
  int64_t max_outstanding = 0;  // open loop: sends beyond this are "client overloaded" errors
};

// Both return after the window, the drain and client.shutdown(): no callback into the loop runs
// after they return. They block the calling thread; the open loop schedules from it.
PerfResult run_closed_loop(PerfClient& client, int concurrency, const PerfPhases& phases, const PerfLoopLimits& limits);
PerfResult run_open_loop(PerfClient& client, double rate_per_s, const PerfPhases& phases, const PerfLoopLimits& limits);

}  // namespace edgeserve::cli
