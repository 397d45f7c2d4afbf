// Runs a batch of admitted requests as one engine call: inputs gathered along the batch dim,
// one Session::run, outputs split back per request. A batch of one runs without copies.
// Requests must have been validated against the model (same inputs, equal non-batch dims).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "edgeserve/session.h"
#include "edgeserve/status.h"
#include "serving/api/infer_types.h"

namespace edgeserve::serving {

struct BatchRun {
  // Per request, in order: every model output (Session::outputs() order), or the run's error.
  std::vector<Result<std::vector<Tensor>>> outputs;
  int64_t input_ns = 0;   // gathering inputs
  int64_t infer_ns = 0;   // Session::run
  int64_t output_ns = 0;  // splitting outputs
};

// `rows[i]` is request i's batch dim (ignored when `batched` is false: then there is exactly
// one request and its inputs go to the engine as they are).
BatchRun run_batch(const Session& session, std::span<const InferRequest* const> requests,
                   std::span<const int64_t> rows, bool batched);

}  // namespace edgeserve::serving
