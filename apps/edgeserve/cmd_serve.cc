// `edgeserve serve`: the inference server — KServe v2 over HTTP and gRPC on a model repository,
// Prometheus metrics on their own port, graceful shutdown on SIGTERM/SIGINT.
#include <csignal>
#include <cstdio>
#include <memory>

#include "apps/edgeserve/args.h"
#include "apps/edgeserve/commands.h"
#include "apps/edgeserve/stop_signals.h"
#include "serving/core/inference_server.h"
#include "serving/grpc/grpc_server.h"
#include "serving/http/http_routes.h"
#include "serving/http/http_server.h"

namespace edgeserve::cli {

namespace {

constexpr const char* kServeHelp =
    "usage: edgeserve serve --model-repository DIR [--host ADDR] [--http-port 8000] [--grpc-port 8001]\n"
    "           [--metrics-port 8002] [--model-control-mode none|poll|explicit] [--repository-poll-secs 15]\n"
    "           [--load-model NAME ...] [--http-max-input-bytes 67108864] [--threads N] [--http-threads 2]\n"
    "           [--http-read-timeout-secs 30] [--max-queue-size 64] [--shutdown-timeout-secs 30]\n"
    "  Serves every model of a Triton-style repository (<repo>/<model>/<version>/model.onnx, optional\n"
    "  <repo>/<model>/config.pbtxt) with the Open Inference Protocol (KServe v2). Port 0 picks a free\n"
    "  port; the chosen ports are printed as `listening <http|grpc|metrics> HOST:PORT`, then `ready`.\n"
    "  --max-queue-size bounds each model's queue where its config does not (requests beyond it get\n"
    "  503 / UNAVAILABLE at once). SIGTERM/SIGINT: readiness goes false, listeners stop, requests in\n"
    "  flight finish (up to --shutdown-timeout-secs), exit 0. See docs/serving.md.\n";

const ArgSpec kServeArgs = {{"--model-repository", "--host", "--http-port", "--grpc-port", "--metrics-port",
                             "--model-control-mode", "--repository-poll-secs", "--load-model", "--http-max-input-bytes",
                             "--threads", "--http-threads", "--http-read-timeout-secs", "--max-queue-size",
                             "--shutdown-timeout-secs"},
                            {"--help"}};

struct ServeConfig {
  serving::ServerOptions server;
  serving::HttpServerOptions http;
  serving::HttpServerOptions metrics;
  serving::GrpcServerOptions grpc;
  int shutdown_timeout_s = 30;
};

Status int_option(const Args& args, const char* flag, int64_t fallback, int64_t lo, int64_t hi, int64_t* out) {
  auto v = args.get_int(flag, fallback);
  if (!v.is_ok()) return v.status();
  if (*v < lo || *v > hi) return invalid_argument(std::string(flag) + " expects a value in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  *out = *v;
  return Status::ok();
}

Result<ServeConfig> parse_serve_args(const Args& args) {
  ServeConfig c;
  c.server.repository = args.get("--model-repository");
  if (c.server.repository.empty()) return invalid_argument("--model-repository DIR is required");
  if (!serving::parse_model_control_mode(args.get("--model-control-mode", "none"), &c.server.control_mode)) {
    return invalid_argument("--model-control-mode expects none, poll or explicit");
  }
  c.server.startup_models = args.all("--load-model");
  int64_t v = 0;
  EDGE_RETURN_IF_ERROR(int_option(args, "--repository-poll-secs", 15, 1, 86400, &v));
  c.server.repository_poll_secs = static_cast<int>(v);
  EDGE_RETURN_IF_ERROR(int_option(args, "--threads", 0, 0, 1024, &v));
  c.server.threads = static_cast<int>(v);
  EDGE_RETURN_IF_ERROR(int_option(args, "--max-queue-size", 64, 1, 1 << 20, &c.server.default_max_queue_size));
  EDGE_RETURN_IF_ERROR(int_option(args, "--http-max-input-bytes", int64_t{64} << 20, 1024, int64_t{4} << 30, &v));
  c.server.max_input_bytes = v;
  c.http.max_body_bytes = v;
  c.grpc.max_message_bytes = v;
  const std::string host = args.get("--host", "127.0.0.1");
  c.http.host = c.metrics.host = c.grpc.host = host;
  EDGE_RETURN_IF_ERROR(int_option(args, "--http-port", 8000, 0, 65535, &v));
  c.http.port = static_cast<int>(v);
  EDGE_RETURN_IF_ERROR(int_option(args, "--grpc-port", 8001, 0, 65535, &v));
  c.grpc.port = static_cast<int>(v);
  EDGE_RETURN_IF_ERROR(int_option(args, "--metrics-port", 8002, 0, 65535, &v));
  c.metrics.port = static_cast<int>(v);
  EDGE_RETURN_IF_ERROR(int_option(args, "--http-threads", 2, 1, 64, &v));
  c.http.threads = static_cast<int>(v);
  c.metrics.threads = 1;
  EDGE_RETURN_IF_ERROR(int_option(args, "--http-read-timeout-secs", 30, 1, 3600, &v));
  c.http.read_timeout_s = c.metrics.read_timeout_s = static_cast<int>(v);
  EDGE_RETURN_IF_ERROR(int_option(args, "--shutdown-timeout-secs", 30, 0, 3600, &v));
  c.shutdown_timeout_s = static_cast<int>(v);
  return c;
}

}  // namespace

int cmd_serve(int argc, char** argv) {
  auto args = parse_args(argc, argv, 2, kServeArgs);
  if (!args.is_ok()) return fail("serve", args.status().message(), 2);
  if (args->has("--help")) {
    std::fputs(kServeHelp, stdout);
    return 0;
  }
  Result<ServeConfig> config = parse_serve_args(*args);
  if (!config.is_ok()) return fail("serve", config.status().message(), 2);
  const sigset_t stop_signals = block_stop_signals();

  auto core = serving::InferenceServer::create(config->server);
  if (!core.is_ok()) return fail("serve", core.status().message());
  serving::DecodeLimits limits;
  limits.max_tensor_bytes = config->server.max_input_bytes;
  auto http = serving::HttpServer::start(config->http, serving::make_kserve_handler(**core, limits));
  if (!http.is_ok()) return fail("serve", http.status().message());
  auto grpc = serving::GrpcServer::start(**core, config->grpc);
  if (!grpc.is_ok()) return fail("serve", grpc.status().message());
  auto metrics = serving::HttpServer::start(config->metrics, serving::make_metrics_handler(**core));
  if (!metrics.is_ok()) return fail("serve", metrics.status().message());
  std::printf("listening http %s:%d\nlistening grpc %s:%d\nlistening metrics %s:%d\n", config->http.host.c_str(),
              (*http)->port(), config->grpc.host.c_str(), (*grpc)->port(), config->metrics.host.c_str(),
              (*metrics)->port());
  for (const serving::RepositoryEntry& e : (*core)->repository_index(false)) {
    std::printf("model %s version %s %s%s%s\n", e.name.c_str(), e.version.empty() ? "-" : e.version.c_str(),
                e.state.c_str(), e.reason.empty() ? "" : ": ", e.reason.c_str());
  }
  std::printf("ready\n");
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::printf("edgeserve serve: %s received, shutting down\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  std::fflush(stdout);
  // Order matters: refuse new work, let admitted requests finish and their answers go out, and
  // only then tear down the transports (callbacks post into them) and the models.
  const int64_t wait_ms = int64_t{config->shutdown_timeout_s} * 1000;
  (*http)->stop_accepting();
  (*grpc)->shutdown(wait_ms);
  const bool drained = (*core)->drain(wait_ms);
  (*http)->stop(drained ? 2000 : 0);
  (*metrics)->stop(0);
  core->reset();
  http->reset();
  std::printf("edgeserve serve: stopped%s\n", drained ? "" : " (requests still running were cut off)");
  return 0;
}

}  // namespace edgeserve::cli
