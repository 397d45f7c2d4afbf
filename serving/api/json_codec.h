// The HTTP/REST codec of the Open Inference Protocol: JSON request and response bodies, with
// Triton's binary tensor extension (a JSON header of `Inference-Header-Content-Length` bytes
// followed by raw tensor data; `binary_data_size` per tensor). Translates only: no I/O, no
// locks, no threads; every malformed input yields an INVALID_ARGUMENT Status naming the field
// or tensor and what was expected.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "edgeserve/status.h"
#include "serving/api/infer_types.h"

namespace edgeserve::serving {

struct DecodeLimits {
  int max_json_depth = 64;                             // nesting of objects/arrays
  int64_t max_tensor_bytes = int64_t{64} << 20;        // per decoded tensor
};

// Decodes `POST .../infer`'s body. `json_length`: the Inference-Header-Content-Length header
// when present (then the binary tensor data follows the JSON), else the whole body is JSON.
// model_name/model_version are not in the body; the caller sets them from the URL.
// Tensor data may be nested or flat arrays; integer dtypes take JSON integers (or floats with an
// integral value up to 2^53), float dtypes take any number or the strings "NaN", "Infinity",
// "-Infinity" (what the encoder writes), BOOL takes true/false, BYTES takes strings. Each tensor
// is bounded by limits.max_tensor_bytes (a BYTES element counts as sizeof(std::string), and its
// strings' bytes count too), checked from the shape before anything is allocated.
// Request parameters read: binary_data_output, priority, timeout (microseconds); others are
// ignored. An output's `classification` parameter is refused as UNIMPLEMENTED.
// Thread-safe; a JSON part of up to 256 KiB reuses a thread_local parser.
Result<InferRequest> decode_infer_request(std::string_view body, std::optional<size_t> json_length,
                                          const DecodeLimits& limits = {});

struct EncodedBody {
  std::string body;
  std::optional<size_t> json_length;  // set when binary data follows: send the header
  const char* content_type = "application/json";
};

// Data is written flat. Floats use the shortest text that reads back to the same value; FP16 and
// BF16 are written as the float they hold. JSON has no NaN or infinity, so those are written as
// the strings "NaN", "Infinity" and "-Infinity" (decode_infer_request accepts them back). BYTES
// elements are JSON strings; one that is not valid UTF-8 has every byte >= 0x80 written as \u00XX
// (so the string's code points are its bytes), which keeps the JSON valid but cannot be told
// apart from text: clients that need exact bytes should ask for binary_data. Binary outputs are
// appended after the JSON in output order, with json_length set.
EncodedBody encode_infer_response(const InferResponse& response);
// {"error": "<message>"}, the KServe error body. Here and in the metadata, a string that is not
// valid UTF-8 is written as if it were Latin-1, so the body is always valid JSON.
std::string encode_error(std::string_view message);
std::string encode_server_metadata(const ServerMetadata& metadata);
std::string encode_model_metadata(const ModelMetadata& metadata);

}  // namespace edgeserve::serving
