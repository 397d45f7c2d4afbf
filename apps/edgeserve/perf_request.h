// What `edgeserve perf` sends and reads, without I/O: input shapes from the server's model
// metadata, seeded random inputs, the HTTP infer body (binary tensor extension or JSON data), and
// decoding of the server's metadata and error bodies. Pure functions, safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apps/edgeserve/bench_inputs.h"
#include "common/status.h"
#include "serving/api/infer_types.h"

namespace edgeserve::cli {

// Concrete dims for each input the server lists, in its order. A -1 first dim becomes `batch`;
// any other -1 needs a --shape override (which replaces the input's whole shape). Errors name
// the input and dim; a batch other than 1 with no input whose first dim is -1 is an error, since
// the reported throughput (requests * batch) would then be wrong.
Result<std::vector<InputShape>> resolve_perf_shapes(const std::vector<serving::TensorMetadata>& inputs, int64_t batch,
                                                     const std::vector<ShapeOverride>& overrides);

// Shapes, then random tensors seeded with `seed` (see random_inputs in bench_inputs.h).
Result<std::vector<NamedTensor>> make_perf_inputs(const serving::ModelMetadata& metadata, int64_t batch,
                                                  const std::vector<ShapeOverride>& overrides, uint64_t seed);

struct HttpInferBody {
  std::string body;
  std::optional<size_t> json_length;  // binary data follows: send Inference-Header-Content-Length
};

// The body of POST /v2/models/<m>/infer. Outputs are always asked as binary (request parameter
// binary_data_output), so reading the answer costs the client no JSON number parsing.
// `binary_inputs`: tensor bytes after the JSON (binary_data_size per input); else JSON `data`.
HttpInferBody encode_http_infer_body(const std::vector<NamedTensor>& inputs, bool binary_inputs);

// GET /v2/models/<m>[/versions/<v>]'s JSON. Inputs need name, datatype and shape; the rest is
// optional. Errors say which field is missing or of the wrong type.
Result<serving::ModelMetadata> decode_model_metadata_json(std::string_view json);

// The "error" string of a KServe error body; else the body itself, cut to 200 bytes, or
// "(empty body)".
std::string decode_error_body(std::string_view body);

}  // namespace edgeserve::cli
