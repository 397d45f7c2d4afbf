// Options of `edgeserve bench`, parsed and checked. Every bad value is a usage error (exit 2)
// reported as one line; defaults are listed here and in the command's --help.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "apps/edgeserve/args.h"
#include "apps/edgeserve/bench_inputs.h"
#include "apps/edgeserve/bench_runner.h"
#include "edgeserve/session.h"

namespace edgeserve::cli {

// Without --iterations or --duration: up to 100 measured runs, stopping early after 10 s so that
// a slow provider (the reference one takes about 1 s for resnet50) still answers in seconds.
inline constexpr int64_t kDefaultIterations = 100;
inline constexpr double kDefaultMeasureCapS = 10;
// Without --warmup: up to 10 warmup runs, stopping early after 2 s.
inline constexpr int64_t kDefaultWarmup = 10;
inline constexpr double kDefaultWarmupCapS = 2;
// The public API documents levels 0 (none) .. 2 (all).
inline constexpr int kMaxBenchLevel = 2;
// Random inputs are the same from run to run of the command.
inline constexpr uint64_t kInputSeed = 1;

struct BenchOptions {
  std::string model;
  int64_t batch = 1;
  int threads = 1;          // total; --threads 0 resolves to the cores available
  int streams = 1;
  int session_threads = 1;  // max(1, threads / streams): each stream's share
  std::optional<int64_t> iterations;  // exactly this many measured runs
  std::optional<double> duration_s;   // measure for this long instead
  std::optional<int64_t> warmup;      // unset: the default above
  std::optional<double> idle_s;       // then stay idle this long and report the CPU used
  Provider provider = SessionOptions{}.provider;
  int level = SessionOptions{}.optimization_level;
  ConvAlgorithm conv_algorithm = SessionOptions{}.conv_algorithm;
  ActivationLayout layout = SessionOptions{}.layout;
  std::vector<ShapeOverride> shapes;
  bool free_batch = false;  // SessionOptions::free_batch: --batch N on a model exported at batch 1
  bool profile = false;
  bool json = false;

  LoopLimits warmup_limits() const;
  LoopLimits measure_limits() const;
};

ArgSpec bench_arg_spec();
// `available_cores` resolves --threads 0 (passed in so that parsing stays a pure function).
Result<BenchOptions> parse_bench_options(const Args& args, int available_cores);

}  // namespace edgeserve::cli
