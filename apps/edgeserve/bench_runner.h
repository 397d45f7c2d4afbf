// The timed loop of `edgeserve bench`: `streams` threads call Session::run concurrently on one
// session, taking run slots from a shared counter until the run count or the time limit is
// reached. Threading: measure() owns its threads and joins them before returning; the session
// and inputs are only read (Session::run is thread-safe and does not modify its inputs).
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "apps/edgeserve/bench_profile.h"
#include "common/status.h"
#include "edgeserve/session.h"

namespace edgeserve::cli {

struct LoopLimits {
  int streams = 1;
  int64_t max_runs = std::numeric_limits<int64_t>::max();  // in total, over all streams
  double max_seconds = std::numeric_limits<double>::infinity();
  bool profile = false;
};

struct LoopResult {
  std::vector<double> latencies_ms;  // one per run, all streams
  double wall_s = 0;                 // loop start to the last run finished
  ProfileTotals profile;             // empty unless LoopLimits::profile
};

// Runs until max_runs runs have been started or max_seconds have passed (a run that has started
// is finished); at least one run if max_runs > 0. Stops at the first failed run and returns
// its error.
Result<LoopResult> run_loop(const Session& session, const std::vector<NamedTensor>& inputs, const LoopLimits& limits);

}  // namespace edgeserve::cli
