// The gRPC side of `edgeserve perf`: ModelMetadata, and a PerfClient sending one fixed
// ModelInferRequest (raw_input_contents) with grpc++'s callback API (gRPC stays in the .cc).
#pragma once

#include <memory>
#include <vector>

#include "apps/edgeserve/perf_client.h"
#include "apps/edgeserve/perf_options.h"
#include "edgeserve/tensor.h"
#include "serving/api/infer_types.h"

namespace edgeserve::cli {

// At most this many channels, each its own HTTP/2 connection, shared round-robin by all sends.
// gRPC multiplexes any number of concurrent calls on one connection, so one channel per client
// would only cost sockets; but a few connections let a server spread them over its I/O threads
// (and are what a pool of real clients would open).
inline constexpr int kPerfGrpcChannels = 4;

// ModelMetadata within options.timeout_ms; a failed call is an error "gRPC <CODE>: <message>".
Result<serving::ModelMetadata> grpc_model_metadata(const PerfOptions& options);

// `channels` (>= 1): how many connections to open, see kPerfGrpcChannels. Threads: grpc++'s
// own; callbacks run on them.
Result<std::unique_ptr<PerfClient>> create_grpc_perf_client(const PerfOptions& options,
                                                            const std::vector<NamedTensor>& inputs, int channels);

}  // namespace edgeserve::cli
