// PerfClient: the one thing the load loops need from a transport, sending one prepared infer
// request asynchronously. HTTP (perf_client_http.h) and gRPC (perf_client_grpc.h) implement it.
#pragma once

#include <functional>
#include <string>
#include <utility>

namespace edgeserve::cli {

// How one request ended. Errors are grouped by `kind` in the report, e.g. "HTTP 404",
// "gRPC UNAVAILABLE", "timeout", "connect", "client overloaded".
struct PerfOutcome {
  bool ok = false;
  std::string error_kind;
  std::string error_message;
};

inline PerfOutcome perf_error(std::string kind, std::string message) {
  return {false, std::move(kind), std::move(message)};
}

// Runs exactly once per infer() call (unless shutdown() drops it), on one of the client's
// threads or, for a gRPC call that fails at once, possibly on the calling thread before infer()
// returns: callers must not hold a lock that `done` takes. It must not block, and may call
// infer() again.
using PerfDone = std::function<void(PerfOutcome)>;

// Threading: infer() may be called from any thread, concurrently. Ownership: the client owns its
// connections and threads; the request it sends was fixed at creation and is shared, read-only,
// by every send.
class PerfClient {
 public:
  virtual ~PerfClient() = default;
  // Sends the request; each send has the client's timeout, after which it ends as "timeout"
  // (HTTP) or DEADLINE_EXCEEDED (gRPC).
  virtual void infer(PerfDone done) = 0;
  // Ends everything still in flight and returns once no `done` runs or will run (some may have
  // run with a cancellation error, others are dropped). No infer() after this. Idempotent.
  virtual void shutdown() = 0;
};

}  // namespace edgeserve::cli
