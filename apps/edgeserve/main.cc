// edgeserve: one binary, one subcommand per job.
#include <cstdio>
#include <cstring>
#include <string>

#include "apps/edgeserve/commands.h"

namespace {

constexpr const char* kUsage = R"(usage: edgeserve <command> [options]

commands:
  run MODEL --input FILE [--input FILE ...] --output-dir DIR [--provider cpu|reference] [--threads N]
      [--level L]
        run a model on .pb/.npy input tensors; writes DIR/output_<i>.pb in graph-output order
  info MODEL [--plan [--provider P] [--level L] [--batch N] [--threads T]]
        print inputs, outputs, opsets, op histogram, parameter count and unsupported ops;
        --plan: the execution steps and their arena bytes
  conformance DIR... [--case MODEL=DATA_DIR] [--skip-list FILE] [--rtol R] [--atol A]
              [--range-tol T] [--timeout-s S] [--verbose]
        run ONNX-test-style cases through `edgeserve run` and compare with their outputs
  bench MODEL [--batch N] [--threads T] [--streams S] [--iterations K | --duration SEC] [--warmup W]
              [--provider P] [--level L] [--shape NAME=DIMS] [--profile] [--json]
        latency percentiles, throughput, load time and peak RSS on random inputs; per-node profile
  optimize MODEL -o OUT.onnx [--level 0|1|2]
        write the graph after the optimisation passes (fused ops in the `edgeserve` domain)
  serve --model-repository DIR [--http-port 8000] [--grpc-port 8001] [--metrics-port 8002]
        [--model-control-mode none|poll|explicit] [--load-model NAME] ...
        KServe v2 inference server over HTTP and gRPC with dynamic batching and metrics
  perf --url HOST:PORT --model M [--protocol http|grpc] [--concurrency C | --rate R] [--duration S]
       [--warmup-s W] [--batch N] [--shape NAME=DIMS] [--binary|--json] [--json-report] ...
        load a KServe v2 server (edgeserve, Triton, OVMS): throughput, latency percentiles, errors
  count [CONFIG.yaml] [--source [ID=]URI ...] [--model M --family yolox|yolov5|yolov8] [--zones FILE]
        [--mqtt URI] [--http-port N] ...
        people counting on video: detect, track, count per zone and line, events over MQTT
  quantize MODEL -o OUT.onnx --calibration PATH [--method minmax|percentile|entropy] [--per-channel]
           [--samples N] [--exclude NODE ...] [--max-drop X] [--preprocess SPEC] [--threads T]
        post-training static quantization with calibration; writes a QDQ ONNX model (int8 weights)

run 'edgeserve <command> --help' for a command's options.
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  if (cmd == "run") return edgeserve::cli::cmd_run(argc, argv);
  if (cmd == "info") return edgeserve::cli::cmd_info(argc, argv);
  if (cmd == "conformance") return edgeserve::cli::cmd_conformance(argc, argv);
  if (cmd == "bench") return edgeserve::cli::cmd_bench(argc, argv);
  if (cmd == "optimize") return edgeserve::cli::cmd_optimize(argc, argv);
  if (cmd == "serve") return edgeserve::cli::cmd_serve(argc, argv);
  if (cmd == "perf") return edgeserve::cli::cmd_perf(argc, argv);
  if (cmd == "count") return edgeserve::cli::cmd_count(argc, argv);
  if (cmd == "quantize") return edgeserve::cli::cmd_quantize(argc, argv);
  std::fprintf(stderr, "edgeserve: unknown command '%s'\n%s", cmd.c_str(), kUsage);
  return 2;
}
