// The KServe v2 REST codec a remote detector needs: model metadata and config, and one FP32
// tensor in / one FP32 tensor out with the binary tensor extension. Pure functions of bytes: they
// translate and check, and do no I/O (the transport is kserve_client.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace edgeserve::vision {

struct KServeTensorSpec {
  std::string name;
  std::string datatype;         // "FP32", "UINT8", ...
  std::vector<int64_t> shape;   // -1 for a variable dim
};

struct KServeModelSpec {
  std::vector<KServeTensorSpec> inputs;
  std::vector<KServeTensorSpec> outputs;
  // From GET .../config where the server has it (edgeserve, Triton; OVMS does not): 0 means the
  // model is not batched by the server, and its input shapes are the whole tensor's.
  std::optional<int64_t> max_batch_size;
};

struct KServeFloatTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// The infer request's JSON header for one binary FP32 input and one output asked for as binary.
std::string encode_infer_header(const std::string& input_name, const std::vector<int64_t>& input_shape,
                                uint64_t input_bytes, const std::string& output_name);

// An infer answer: `body` is JSON, or (when `json_length` is set, from the
// Inference-Header-Content-Length header) that many bytes of JSON followed by the binary outputs.
Result<KServeFloatTensor> decode_infer_response(std::string_view body, std::optional<std::string_view> json_length,
                                                const std::string& output_name);

// GET /v2/models/M: inputs and outputs (name, datatype, shape).
Result<KServeModelSpec> decode_model_metadata(std::string_view json);

// GET /v2/models/M/config: max_batch_size, or nullopt when the config does not say.
Result<std::optional<int64_t>> decode_max_batch_size(std::string_view json);

// The message of a KServe error answer {"error": "..."}, else the body itself (shortened).
std::string decode_error_message(std::string_view body);

}  // namespace edgeserve::vision
