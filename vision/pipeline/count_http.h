// The HTTP API of `edgeserve count` (docs/counting.md):
//   GET  /v1/health                 200 {"status":"ok"}
//   GET  /v1/counts                 every source's state and zone/line counts
//   GET  /v1/zones/<source>         its zones and lines
//   PUT  /v1/zones/<source>         replace them (JSON or YAML body); counts of kept names stay
//   GET  /metrics                   Prometheus text
// Bounds: 1 MiB bodies, 8 KiB headers, 5 s to send a request, 16 connections at a time (more
// are closed at once).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "vision/pipeline/count_pipeline.h"

namespace edgeserve::vision {

class CountHttpApi {
 public:
  // Listens on host:port (port 0: an ephemeral port, see port()) and serves on its own threads.
  static Result<std::unique_ptr<CountHttpApi>> start(CountPipeline* pipeline, const std::string& host, int port);
  ~CountHttpApi();
  int port() const { return port_; }
  void stop();

  struct Impl;

 private:
  explicit CountHttpApi(std::unique_ptr<Impl> impl, int port);
  std::unique_ptr<Impl> impl_;
  int port_;
};

// The response to one request, without the transport (tested directly).
struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};
HttpReply handle_count_request(CountPipeline& pipeline, const std::string& method, const std::string& target,
                               const std::string& body);

}  // namespace edgeserve::vision
