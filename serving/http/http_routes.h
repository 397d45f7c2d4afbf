// The KServe v2 REST routes (plus Triton's repository, config and statistics extensions) and
// the metrics route, as HttpHandlers over an InferenceServer. `core` must outlive the handler.
#pragma once

#include "serving/api/json_codec.h"
#include "serving/core/inference_server.h"
#include "serving/http/http_server.h"

namespace edgeserve::serving {

HttpHandler make_kserve_handler(InferenceServer& core, const DecodeLimits& limits);
// GET /metrics: Prometheus text.
HttpHandler make_metrics_handler(InferenceServer& core);

// HTTP status for a Status code: 400 bad input, 404 unknown, 503 unavailable, 504 timed out.
int http_status_of(StatusCode code);

}  // namespace edgeserve::serving
