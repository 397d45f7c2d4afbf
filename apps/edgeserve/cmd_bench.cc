// `edgeserve bench`: load a model, run it on seeded random inputs, report latency percentiles,
// throughput, load time, peak RSS and optionally a per-node profile.
#include <chrono>
#include <cstdio>
#include <thread>

#include "apps/edgeserve/args.h"
#include "apps/edgeserve/bench_inputs.h"
#include "apps/edgeserve/bench_options.h"
#include "apps/edgeserve/bench_report.h"
#include "apps/edgeserve/bench_runner.h"
#include "apps/edgeserve/commands.h"
#include "apps/edgeserve/process_info.h"
#include "common/strings.h"

namespace edgeserve::cli {

namespace {

constexpr const char* kBenchHelp =
    "usage: edgeserve bench MODEL [--batch N] [--threads T] [--streams S] [--iterations K | --duration SEC]\n"
    "                       [--warmup W] [--idle-s SEC] [--provider P] [--level L] [--shape NAME=DIMS ...] [--profile] [--json]\n"
    "                       [--conv-algorithm measure|direct|winograd] [--layout measure|auto|blocked]\n"
    "  Runs MODEL on seeded random inputs and reports latency p50/p90/p99/mean, throughput, load time\n"
    "  (Session::load + first inference) and peak RSS.\n"
    "  --batch N         value of the first symbolic dim of every input (default 1)\n"
    "  --threads T       threads in all; 0 = the cores available to the process (default 0)\n"
    "  --streams S       S threads run the one session concurrently, each with max(1, T/S) threads (default 1)\n"
    "  --iterations K    measure exactly K runs (default: 100 runs, or fewer if 10 s have passed)\n"
    "  --duration SEC    measure for SEC seconds instead\n"
    "  --warmup W        unmeasured runs first (default: 10 runs, or fewer if 2 s have passed)\n"
    "  --idle-s SEC      afterwards, stay idle SEC seconds with the session loaded; report the CPU used\n"
    "  --provider P      execution provider (default: the library's default)\n"
    "  --level L         graph optimization level 0..2 (default 2)\n"
    "  --conv-algorithm A  cpu: 3x3 stride-1 convolutions run Winograd where measured faster at\n"
    "                    load (measure, the default), never (direct) or wherever possible (winograd)\n"
    "  --layout L        cpu: convolutions keep activations in oneDNN's layout (auto), in nChw16c\n"
    "                    (blocked), or in the faster of the two, timed at load (measure, the default)\n"
    "  --shape NAME=DIMS the whole shape of input NAME, e.g. images=1x3x416x416\n"
    "  --profile         time per op type and per node (top 20), averaged over the measured runs\n"
    "  --json            print one JSON object instead of the text report\n";

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

SessionOptions session_options(const BenchOptions& o) {
  SessionOptions so;
  so.provider = o.provider;
  so.threads = o.session_threads;
  so.optimization_level = o.level;
  so.conv_algorithm = o.conv_algorithm;
  so.layout = o.layout;
  so.free_batch = o.free_batch;
  return so;
}

// Loads, makes inputs, runs the first inference, warms up and measures; the exit code on error.
int measure(const BenchOptions& o, BenchReport& report, LoopResult& measured) {
  const auto load_start = Clock::now();
  auto session = Session::load(o.model, session_options(o));
  report.session_load_ms = ms_since(load_start);
  if (!session.is_ok()) return fail("bench", session.status().message());
  auto shapes = resolve_input_shapes((*session)->inputs(), o.batch, o.shapes);
  if (!shapes.is_ok()) return fail("bench", str_cat(o.model, ": ", shapes.status().message()), 2);
  report.inputs = *shapes;
  auto inputs = random_inputs(*shapes, kInputSeed);
  if (!inputs.is_ok()) return fail("bench", str_cat(o.model, ": ", inputs.status().message()));
  const auto first_start = Clock::now();
  auto first = (*session)->run(*inputs);
  report.first_inference_ms = ms_since(first_start);
  if (!first.is_ok()) return fail("bench", str_cat(o.model, ": ", first.status().message()));
  auto warm = run_loop(**session, *inputs, o.warmup_limits());
  if (!warm.is_ok()) return fail("bench", str_cat(o.model, ": ", warm.status().message()));
  report.warmup_runs = static_cast<int64_t>(warm->latencies_ms.size());
  auto timed = run_loop(**session, *inputs, o.measure_limits());
  if (!timed.is_ok()) return fail("bench", str_cat(o.model, ": ", timed.status().message()));
  measured = std::move(timed).value();
  if (o.idle_s) {
    // The session stays loaded (thread pools included) while nothing runs: a busy-spinning pool
    // shows up here.
    const double cpu_before = process_cpu_seconds();
    std::this_thread::sleep_for(std::chrono::duration<double>(*o.idle_s));
    report.idle_cpu_percent = 100 * (process_cpu_seconds() - cpu_before) / *o.idle_s;
  }
  return 0;
}

}  // namespace

int cmd_bench(int argc, char** argv) {
  auto args = parse_args(argc, argv, 2, bench_arg_spec());
  if (!args.is_ok()) return fail("bench", args.status().message(), 2);
  if (args->has("--help")) {
    std::fputs(kBenchHelp, stdout);
    return 0;
  }
  auto options = parse_bench_options(*args, available_cores());
  if (!options.is_ok()) return fail("bench", options.status().message(), 2);
  BenchReport report;
  report.options = &*options;
  LoopResult measured;
  if (int code = measure(*options, report, measured); code != 0) return code;
  report.latency = summarize_latencies(measured.latencies_ms);
  report.wall_s = measured.wall_s;
  report.peak_rss_bytes = peak_rss_bytes();
  if (options->profile) report.profile = &measured.profile;
  const std::string out = options->json ? bench_json(report) + "\n" : bench_text(report);
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace edgeserve::cli
