// Parsing and checking of `edgeserve bench` options.
#include "apps/edgeserve/bench_options.h"

#include <algorithm>
#include <cmath>

#include "common/strings.h"

namespace edgeserve::cli {

namespace {

constexpr int64_t kMaxBenchThreads = 4096;

Result<int64_t> int_at_least(const Args& args, const std::string& flag, int64_t fallback, int64_t min) {
  EDGE_ASSIGN_OR_RETURN(int64_t v, args.get_int(flag, fallback));
  if (v < min || v > (int64_t{1} << 40)) {
    return invalid_argument(str_cat(flag, " expects an integer >= ", min, ", got ", args.get(flag)));
  }
  return v;
}

Status parse_run_counts(const Args& args, BenchOptions& o) {
  if (args.has("--iterations") && args.has("--duration")) {
    return invalid_argument("--iterations and --duration are mutually exclusive");
  }
  if (args.has("--iterations")) {
    EDGE_ASSIGN_OR_RETURN(o.iterations, int_at_least(args, "--iterations", 0, 1));
  }
  if (args.has("--duration")) {
    EDGE_ASSIGN_OR_RETURN(double d, args.get_double("--duration", 0));
    if (!std::isfinite(d) || d <= 0 || d > 86400) {
      return invalid_argument(str_cat("--duration expects seconds in (0, 86400], got ", args.get("--duration")));
    }
    o.duration_s = d;
  }
  if (args.has("--idle-s")) {
    EDGE_ASSIGN_OR_RETURN(double d, args.get_double("--idle-s", 0));
    if (!std::isfinite(d) || d <= 0 || d > 3600) {
      return invalid_argument(str_cat("--idle-s expects seconds in (0, 3600], got ", args.get("--idle-s")));
    }
    o.idle_s = d;
  }
  if (args.has("--warmup")) {
    EDGE_ASSIGN_OR_RETURN(o.warmup, int_at_least(args, "--warmup", 0, 0));
  }
  return Status::ok();
}

Status parse_engine_options(const Args& args, BenchOptions& o) {
  const std::string provider = args.get("--provider", provider_name(o.provider));
  if (!parse_provider(provider, &o.provider)) return invalid_argument(str_cat("unknown provider '", provider, "'"));
  EDGE_ASSIGN_OR_RETURN(int64_t level, args.get_int("--level", o.level));
  if (level < 0 || level > kMaxBenchLevel) {
    return invalid_argument(str_cat("--level expects 0..", kMaxBenchLevel, ", got ", args.get("--level")));
  }
  o.level = static_cast<int>(level);
  const std::string algorithm = args.get("--conv-algorithm", conv_algorithm_name(o.conv_algorithm));
  if (!parse_conv_algorithm(algorithm, &o.conv_algorithm)) {
    return invalid_argument(str_cat("--conv-algorithm expects measure, direct or winograd, got '", algorithm, "'"));
  }
  const std::string layout = args.get("--layout", activation_layout_name(o.layout));
  if (!parse_activation_layout(layout, &o.layout)) {
    return invalid_argument(str_cat("--layout expects measure, auto or blocked, got '", layout, "'"));
  }
  for (const std::string& s : args.all("--shape")) {
    EDGE_ASSIGN_OR_RETURN(ShapeOverride shape, parse_shape_override(s));
    o.shapes.push_back(std::move(shape));
  }
  return Status::ok();
}

}  // namespace

ArgSpec bench_arg_spec() {
  return {{"--batch", "--threads", "--streams", "--iterations", "--duration", "--warmup", "--idle-s", "--provider", "--level",
           "--shape", "--conv-algorithm", "--layout"},
          {"--profile", "--json", "--free-batch", "--help"}};
}

Result<BenchOptions> parse_bench_options(const Args& args, int available_cores) {
  if (args.positional.size() != 1) return invalid_argument("expects exactly one MODEL");
  BenchOptions o;
  o.model = args.positional[0];
  EDGE_ASSIGN_OR_RETURN(o.batch, int_at_least(args, "--batch", 1, 1));
  EDGE_ASSIGN_OR_RETURN(int64_t threads, int_at_least(args, "--threads", 0, 0));
  EDGE_ASSIGN_OR_RETURN(int64_t streams, int_at_least(args, "--streams", 1, 1));
  // Far above any machine this runs on; the bounds keep the int conversions below exact.
  if (threads > kMaxBenchThreads) return invalid_argument(str_cat("--threads expects at most ", kMaxBenchThreads));
  if (streams > kMaxBenchThreads) return invalid_argument(str_cat("--streams expects at most ", kMaxBenchThreads));
  o.threads = threads == 0 ? std::max(1, available_cores) : static_cast<int>(threads);
  o.streams = static_cast<int>(streams);
  o.session_threads = std::max(1, o.threads / o.streams);
  EDGE_RETURN_IF_ERROR(parse_run_counts(args, o));
  EDGE_RETURN_IF_ERROR(parse_engine_options(args, o));
  o.free_batch = args.has("--free-batch");
  o.profile = args.has("--profile");
  o.json = args.has("--json");
  return o;
}

LoopLimits BenchOptions::warmup_limits() const {
  LoopLimits l;
  l.streams = streams;
  l.max_runs = warmup.value_or(kDefaultWarmup);
  if (!warmup) l.max_seconds = kDefaultWarmupCapS;
  return l;
}

LoopLimits BenchOptions::measure_limits() const {
  LoopLimits l;
  l.streams = streams;
  l.profile = profile;
  if (iterations) {
    l.max_runs = *iterations;
  } else if (duration_s) {
    l.max_seconds = *duration_s;
  } else {
    l.max_runs = kDefaultIterations;
    l.max_seconds = kDefaultMeasureCapS;
  }
  return l;
}

}  // namespace edgeserve::cli
