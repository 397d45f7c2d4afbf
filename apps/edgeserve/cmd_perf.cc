// `edgeserve perf`: load a KServe v2 server (edgeserve, Triton, OVMS) over HTTP or gRPC with one
// model's infer requests, closed or open loop, and report throughput, latency and errors.
#include <algorithm>
#include <cstdio>

#include "apps/edgeserve/args.h"
#include "apps/edgeserve/bench_stats.h"
#include "apps/edgeserve/commands.h"
#include "apps/edgeserve/perf_client_grpc.h"
#include "apps/edgeserve/perf_client_http.h"
#include "apps/edgeserve/perf_options.h"
#include "apps/edgeserve/perf_report.h"
#include "apps/edgeserve/perf_request.h"
#include "apps/edgeserve/perf_runner.h"
#include "common/strings.h"

namespace edgeserve::cli {

namespace {

constexpr const char* kPerfHelp =
    "usage: edgeserve perf --url HOST:PORT --model M [--model-version V] [--protocol http|grpc]\n"
    "                      [--concurrency C | --rate R] [--duration S] [--warmup-s W] [--batch N]\n"
    "                      [--shape NAME=DIMS ...] [--binary | --json] [--json-report] [--timeout-ms T]\n"
    "                      [--max-outstanding K]\n"
    "  Sends one model's infer requests to a KServe v2 server and reports requests ok, errors by kind,\n"
    "  throughput (inferences/s = requests * batch / s) and latency p50/p90/p99/mean/max.\n"
    "  Inputs are random (seeded), made once from the model's metadata. Exit 0 without errors, else 1.\n"
    "  --url HOST:PORT   the server's HTTP or gRPC address, e.g. 127.0.0.1:8000 ([::1]:8000 for IPv6)\n"
    "  --model M         model name; --model-version V: that version (default: the server's choice)\n"
    "  --protocol P      http (default) or grpc\n"
    "  --concurrency C   closed loop: C clients, each sending again once answered (default 1)\n"
    "  --rate R          open loop: R requests/s on a fixed schedule whatever the answers; latency runs\n"
    "                    from each request's due time, so queueing shows up (no coordinated omission)\n"
    "  --duration S      measured seconds (default 10), after --warmup-s W unmeasured ones (default 2)\n"
    "  --batch N         first dim of inputs whose first dim is -1 (default 1); other -1 dims need --shape\n"
    "  --shape NAME=DIMS the whole shape of input NAME, e.g. images=1x3x416x416\n"
    "  --binary | --json HTTP inputs as the binary tensor extension (default) or as JSON data;\n"
    "                    outputs are always asked as binary. gRPC sends raw_input_contents\n"
    "  --json-report     print one JSON object instead of the text report\n"
    "  --timeout-ms T    per request (default 30000); a late answer counts as an error\n"
    "  --max-outstanding K  open loop: sends while K requests are unanswered count as\n"
    "                    'client overloaded' errors instead of being sent (default 4096)\n";

Result<serving::ModelMetadata> fetch_metadata(const PerfOptions& o) {
  return o.protocol == PerfProtocol::kGrpc ? grpc_model_metadata(o) : http_model_metadata(o);
}

Result<std::unique_ptr<PerfClient>> make_client(const PerfOptions& o, const std::vector<NamedTensor>& inputs) {
  if (o.protocol == PerfProtocol::kGrpc) {
    const int wanted = o.load == PerfLoad::kConcurrency ? o.concurrency : kPerfGrpcChannels;
    return create_grpc_perf_client(o, inputs, std::clamp(wanted, 1, kPerfGrpcChannels));
  }
  return create_http_perf_client(o, encode_http_infer_body(inputs, o.binary_inputs));
}

PerfResult run_load(PerfClient& client, const PerfOptions& o) {
  PerfLoopLimits limits;
  // The client's timeout ends every request by then; the second is slack for the callbacks.
  limits.drain = std::chrono::milliseconds(o.timeout_ms + 1000);
  limits.max_outstanding = o.max_outstanding;
  const PerfPhases phases = PerfPhases::starting_at(PerfClock::now(), o.warmup_s, o.duration_s);
  return o.load == PerfLoad::kRate ? run_open_loop(client, o.rate_per_s, phases, limits)
                                   : run_closed_loop(client, o.concurrency, phases, limits);
}

}  // namespace

int cmd_perf(int argc, char** argv) {
  auto args = parse_args(argc, argv, 2, perf_arg_spec());
  if (!args.is_ok()) return fail("perf", args.status().message(), 2);
  if (args->has("--help")) {
    std::fputs(kPerfHelp, stdout);
    return 0;
  }
  auto options = parse_perf_options(*args);
  if (!options.is_ok()) return fail("perf", options.status().message(), 2);
  const PerfOptions& o = *options;
  const std::string where = str_cat("model '", o.model, "' at ", perf_protocol_name(o.protocol), "://", o.url());
  auto metadata = fetch_metadata(o);
  if (!metadata.is_ok()) return fail("perf", str_cat(where, ": ", metadata.status().message()));
  auto inputs = make_perf_inputs(*metadata, o.batch, o.shapes, kPerfInputSeed);
  if (!inputs.is_ok()) {
    const bool usage = inputs.status().code() == StatusCode::kInvalidArgument;  // shapes and --batch
    return fail("perf", str_cat(where, ": ", inputs.status().message()), usage ? 2 : 1);
  }
  auto client = make_client(o, *inputs);
  if (!client.is_ok()) return fail("perf", str_cat(where, ": ", client.status().message()));
  const PerfResult result = run_load(**client, o);
  PerfReport report;
  report.options = &o;
  report.result = &result;
  report.latency = summarize_latencies(result.latencies_ms);
  const std::string out = o.json_report ? perf_json(report) + "\n" : perf_text(report);
  std::fputs(out.c_str(), stdout);
  return result.error_count() == 0 ? 0 : 1;
}

}  // namespace edgeserve::cli
