// `edgeserve info`: a model's interface and contents.
#include <cstdio>

#include "apps/edgeserve/args.h"
#include "apps/edgeserve/bench_inputs.h"
#include "apps/edgeserve/commands.h"
#include "common/strings.h"
#include "edgeserve/session.h"

namespace edgeserve::cli {

namespace {

constexpr const char* kInfoHelp =
    "usage: edgeserve info MODEL [--plan [--provider P] [--level L] [--batch N] [--threads T]]\n"
    "  Prints the model's inputs, outputs, opsets, op histogram and parameter count.\n"
    "  --plan also loads it and prints the execution plan: each step's provider, node count and\n"
    "  arena bytes (after one run on seeded random inputs, the first symbolic dim of each input set to N).\n";

// Loads the model, runs it once on random inputs so every compiled subgraph knows its shapes, prints
// the plan. Returns the exit code.
int print_plan(const std::string& path, const Args& args) {
  SessionOptions options;
  if (!parse_provider(args.get("--provider", provider_name(options.provider)), &options.provider)) {
    return fail("info", str_cat("unknown provider '", args.get("--provider"), "' (available: cpu, reference)"), 2);
  }
  auto level = args.get_int("--level", options.optimization_level);
  auto batch = args.get_int("--batch", 1);
  auto threads = args.get_int("--threads", 0);
  if (!level.is_ok() || *level < 0 || *level > 2) return fail("info", "--level expects 0, 1 or 2", 2);
  if (!batch.is_ok() || *batch < 1) return fail("info", "--batch expects a positive integer", 2);
  if (!threads.is_ok() || *threads < 0) return fail("info", "--threads expects a non-negative integer", 2);
  options.optimization_level = static_cast<int>(*level);
  options.threads = static_cast<int>(*threads);
  auto session = Session::load(path, options);
  if (!session.is_ok()) return fail("info", session.status().message());
  auto shapes = resolve_input_shapes((*session)->inputs(), *batch, {});
  if (!shapes.is_ok()) return fail("info", str_cat(path, ": ", shapes.status().message()));
  auto inputs = random_inputs(*shapes, /*seed=*/1);
  if (!inputs.is_ok()) return fail("info", str_cat(path, ": ", inputs.status().message()));
  auto ran = (*session)->run(*inputs);
  if (!ran.is_ok()) return fail("info", str_cat(path, ": ", ran.status().message()));
  int64_t total = 0;
  std::printf("plan (%s provider, level %lld, batch %lld):\n", provider_name(options.provider),
              static_cast<long long>(*level), static_cast<long long>(*batch));
  for (const auto& step : (*session)->plan()) {
    std::printf("  %-10s %4d node%s  arena %12lld bytes  %s\n", step.provider.c_str(), step.nodes,
                step.nodes == 1 ? " " : "s", static_cast<long long>(step.arena_bytes), step.name.c_str());
    total += step.arena_bytes;
  }
  std::printf("arena bytes: %lld\n", static_cast<long long>(total));
  return 0;
}

}  // namespace

int cmd_info(int argc, char** argv) {
  auto args = parse_args(argc, argv, 2, {{"--provider", "--level", "--batch", "--threads"}, {"--plan", "--help"}});
  if (!args.is_ok()) return fail("info", args.status().message(), 2);
  if (args->has("--help") || args->positional.size() != 1) {
    std::fputs(kInfoHelp, args->has("--help") ? stdout : stderr);
    return args->has("--help") ? 0 : 2;
  }
  const std::string& path = args->positional[0];
  auto info = inspect_model(path);
  if (!info.is_ok()) return fail("info", info.status().message());
  const ModelSummary& s = info->summary;
  std::printf("model: %s\n", path.c_str());
  std::printf("ir_version: %lld  producer: %s\n", static_cast<long long>(s.ir_version),
              s.producer_name.empty() ? "-" : s.producer_name.c_str());
  std::printf("opsets:");
  for (const auto& [domain, version] : s.opsets) {
    std::printf(" %s=%lld", domain.empty() ? "ai.onnx" : domain.c_str(), static_cast<long long>(version));
  }
  std::printf("\ninputs:\n");
  for (const auto& t : info->inputs) std::printf("  %s: %s\n", t.name.c_str(), t.type.to_string().c_str());
  std::printf("outputs:\n");
  for (const auto& t : info->outputs) std::printf("  %s: %s\n", t.name.c_str(), t.type.to_string().c_str());
  std::printf("nodes: %d\nparameters: %lld\nops:\n", s.node_count, static_cast<long long>(s.parameter_count));
  for (const auto& [op, count] : s.op_histogram) std::printf("  %-28s %d\n", op.c_str(), count);
  if (!info->unsupported_ops.empty()) {
    std::printf("not supported by the reference provider:");
    for (const auto& op : info->unsupported_ops) std::printf(" %s", op.c_str());
    std::printf("\n");
  }
  return args->has("--plan") ? print_plan(path, *args) : 0;
}

}  // namespace edgeserve::cli
