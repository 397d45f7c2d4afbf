// The gRPC codec of the Open Inference Protocol: ModelInferRequest -> InferRequest and
// InferResponse -> ModelInferResponse, plus Status -> grpc::Status. Translates only: no I/O, no
// locks, no threads; safe to call from any thread. Malformed requests yield INVALID_ARGUMENT
// naming the tensor or parameter and what was expected.
#pragma once

#include <cstdint>

#include <grpcpp/support/status.h>

#include "edgeserve/status.h"
#include "serving/api/infer_types.h"
#include "serving/core/statistics.h"
#include "serving/proto/grpc_service.pb.h"

namespace edgeserve::serving {

// Decodes a ModelInferRequest. Tensor data comes either from each input's typed `contents` or,
// for every input at once, from `raw_input_contents` (FP16/BF16 only raw); mixing the two is an
// error. A tensor whose decoded form would exceed `max_tensor_bytes` is refused before any
// allocation. Request parameters "priority" and "timeout" (microseconds) are read; the data of
// `message` is copied, so the caller may reuse it afterwards.
Result<InferRequest> decode_model_infer_request(const inference::ModelInferRequest& message,
                                                int64_t max_tensor_bytes);

// Encodes `response` into `out` (which is cleared first). `raw`: answer in raw_output_contents,
// as clients that sent raw_input_contents expect; FP16/BF16 have no typed field, so a response
// holding one is raw as a whole (the protocol forbids mixing raw and typed outputs).
void encode_model_infer_response(const InferResponse& response, bool raw,
                                 inference::ModelInferResponse* out);

void encode_server_metadata(const ServerMetadata& metadata, inference::ServerMetadataResponse* out);
void encode_model_metadata(const ModelMetadata& metadata, inference::ModelMetadataResponse* out);
// Triton's per model version statistics (the histogram and pending count are metrics-only).
void encode_model_statistics(const ModelStatistics& stats, inference::ModelStatistics* out);

// Maps our StatusCode to the gRPC code clients expect (INVALID_ARGUMENT, NOT_FOUND, ...).
grpc::Status to_grpc_status(const Status& status);

}  // namespace edgeserve::serving
