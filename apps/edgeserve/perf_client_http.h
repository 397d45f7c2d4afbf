// The HTTP/1.1 side of `edgeserve perf`: model metadata, and a PerfClient that POSTs one fixed
// infer body over a pool of keep-alive connections (Boost.Beast on Asio; Beast stays in the .cc).
#pragma once

#include <memory>

#include "apps/edgeserve/perf_client.h"
#include "apps/edgeserve/perf_options.h"
#include "apps/edgeserve/perf_request.h"
#include "serving/api/infer_types.h"

namespace edgeserve::cli {

// GET /v2/models/<model>[/versions/<v>], within options.timeout_ms. A non-200 answer is an error
// "HTTP <status>: <the server's error message>"; so is a body that is not model metadata.
Result<serving::ModelMetadata> http_model_metadata(const PerfOptions& options);

// Resolves the host once. Connections are opened on demand and kept: a send takes an idle
// connection or opens a new one, so a closed loop of C clients holds C connections and an open
// loop as many as it has requests unanswered. A connection that fails or that the server closes
// is reopened by its next send. One Asio thread does all the I/O (the body is built once, and
// answers are only checked, not parsed, so one thread keeps up with a single server).
Result<std::unique_ptr<PerfClient>> create_http_perf_client(const PerfOptions& options, HttpInferBody body);

}  // namespace edgeserve::cli
