// HttpServer: an HTTP/1.1 server on Boost.Beast/Asio that hands each complete request to a
// handler and writes the handler's response, which may come later from any thread. Requests on
// one connection are answered in order: the next is read only after the previous response is
// written, so pipelined requests wait in the connection's buffer (bounded by the header and
// body limits) instead of being parsed ahead.
//
// Threading: `threads` Asio threads; each connection runs on its own strand. The handler runs
// on an Asio thread and must not block; `respond` may be called from any thread, exactly once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "edgeserve/status.h"

namespace edgeserve::serving {

struct HttpRequest {
  std::string method;
  std::string target;  // path and query, as sent
  std::string body;
  std::optional<size_t> inference_header_length;  // Inference-Header-Content-Length, when sent
  bool bad_inference_header_length = false;       // sent but not a number
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::optional<size_t> inference_header_length;
};

using HttpRespond = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest&&, HttpRespond)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;  // 0: an ephemeral port, see port()
  int threads = 2;
  int64_t max_body_bytes = int64_t{64} << 20;  // larger bodies get 413 before they are read
  int64_t max_header_bytes = 16 << 10;         // larger headers get 431
  // A connection that does not deliver a whole request (or its next request) within this time
  // is closed: slow or idle clients cannot hold a connection forever.
  int read_timeout_s = 30;
  int write_timeout_s = 30;
};

class HttpServer {
 public:
  // Binds, listens and starts the Asio threads; fails with a message naming the address.
  static Result<std::unique_ptr<HttpServer>> start(const HttpServerOptions& options, HttpHandler handler);
  ~HttpServer();  // stop(0) if still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  // Stops accepting connections at once (new connects are refused).
  void stop_accepting();
  // Waits up to `wait_ms` for requests being handled to be answered, then closes everything
  // and joins the threads.
  void stop(int64_t wait_ms);

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgeserve::serving
