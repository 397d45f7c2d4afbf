// `edgeserve info`: a model's interface and contents.
#include <cstdio>

#include "apps/edgeserve/args.h"
#include "apps/edgeserve/commands.h"
#include "common/strings.h"
#include "edgeserve/session.h"

namespace edgeserve::cli {

int cmd_info(int argc, char** argv) {
  auto args = parse_args(argc, argv, 2, {{"--provider"}, {"--help"}});
  if (!args.is_ok()) return fail("info", args.status().message(), 2);
  if (args->has("--help") || args->positional.size() != 1) {
    std::fputs("usage: edgeserve info MODEL\n", args->has("--help") ? stdout : stderr);
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
  return 0;
}

}  // namespace edgeserve::cli
