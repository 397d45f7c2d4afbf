// `edgeserve optimize`: the graph after the optimisation passes, written as an ONNX file.
#include <cstdio>

#include "apps/edgeserve/args.h"
#include "apps/edgeserve/commands.h"
#include "common/strings.h"
#include "edgeserve/session.h"

namespace edgeserve::cli {

namespace {

constexpr const char* kOptimizeHelp =
    "usage: edgeserve optimize MODEL -o OUT.onnx [--level 0|1|2]\n"
    "  Runs the graph passes of the level (default 2: folding, eliminations, BatchNorm folding and\n"
    "  Conv/Gemm fusions) and writes the result. Fused nodes use the `edgeserve` domain; edgeserve\n"
    "  loads the file back like any model.\n";

}  // namespace

int cmd_optimize(int argc, char** argv) {
  auto args = parse_args(argc, argv, 2, {{"-o", "--output", "--level"}, {"--help"}});
  if (!args.is_ok()) return fail("optimize", args.status().message(), 2);
  if (args->has("--help")) {
    std::fputs(kOptimizeHelp, stdout);
    return 0;
  }
  const std::string out = args->has("-o") ? args->get("-o") : args->get("--output");
  if (args->positional.size() != 1 || out.empty()) {
    std::fputs(kOptimizeHelp, stderr);
    return 2;
  }
  auto level = args->get_int("--level", 2);
  if (!level.is_ok() || *level < 0 || *level > 2) return fail("optimize", "--level expects 0, 1 or 2", 2);
  Status st = optimize_model(args->positional[0], out, static_cast<int>(*level));
  if (!st.is_ok()) return fail("optimize", st.message());
  return 0;
}

}  // namespace edgeserve::cli
