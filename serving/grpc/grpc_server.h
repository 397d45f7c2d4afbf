// GrpcServer: the KServe v2 GRPCInferenceService (plus Triton's repository, config, statistics
// and streaming extensions) on grpc++'s callback API, translating to InferenceServer calls.
//
// Threading: grpc++ runs the handlers on its own threads; ModelInfer completes from the model
// worker that ran the request (no thread waits for inference). `core` must outlive the server.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "edgeserve/status.h"
#include "serving/core/inference_server.h"

namespace edgeserve::serving {

struct GrpcServerOptions {
  std::string host = "127.0.0.1";
  int port = 8001;  // 0: an ephemeral port, see port()
  int64_t max_message_bytes = int64_t{64} << 20;  // receive limit per message
};

class GrpcServer {
 public:
  // Binds and starts serving; fails with a message naming the address when it cannot bind.
  static Result<std::unique_ptr<GrpcServer>> start(InferenceServer& core, const GrpcServerOptions& options);
  ~GrpcServer();  // shuts down if still running
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  int port() const;  // the bound port
  // Stops accepting RPCs; in-flight ones get until `deadline_ms` from now to finish.
  void shutdown(int64_t deadline_ms);

  struct Impl;

 private:
  explicit GrpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgeserve::serving
