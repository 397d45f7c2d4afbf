// The KServe v2 (Open Inference Protocol) data model shared by every transport: an inference
// request and response with named tensors, plus the metadata the health and model endpoints
// return. Codecs translate wire formats to and from these types; nothing here does I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgeserve/tensor.h"

namespace edgeserve::serving {

// KServe v2 datatype name ("FP32", "INT64", "BYTES", ...) -> DType; nullopt for an unknown name.
std::optional<DType> parse_datatype(std::string_view name);
// DType -> KServe v2 datatype name; "" for a dtype the protocol cannot carry.
const char* datatype_name(DType dtype);

// One output the client asked for. An empty list in the request means "all outputs".
struct RequestedOutput {
  std::string name;
  std::optional<bool> binary;  // HTTP binary extension: `binary_data` of this output
};

struct InferRequest {
  std::string model_name;
  std::string model_version;  // "" = the model's policy picks (the newest ready version)
  std::string id;             // echoed in the response when not empty
  std::vector<NamedTensor> inputs;
  std::vector<RequestedOutput> outputs;
  // Request-level `binary_data_output` (HTTP): the default for outputs that do not say.
  bool binary_outputs = false;
  // Scheduling parameters: 0 = the model's default priority level / queue timeout.
  int priority = 0;
  int64_t timeout_us = 0;
};

struct InferResponse {
  std::string model_name;
  std::string model_version;
  std::string id;
  std::vector<NamedTensor> outputs;  // requested outputs, in the order requested
  std::vector<bool> binary;          // per output: send as binary data (HTTP extension)
};

// Model metadata as `GET /v2/models/<m>` returns it. Shapes use -1 for a variable dim.
struct TensorMetadata {
  std::string name;
  std::string datatype;
  std::vector<int64_t> shape;
};

struct ModelMetadata {
  std::string name;
  std::vector<std::string> versions;
  std::string platform;  // "onnxruntime_onnx" as Triton names it, so clients recognise ONNX
  std::vector<TensorMetadata> inputs;
  std::vector<TensorMetadata> outputs;
};

struct ServerMetadata {
  std::string name;
  std::string version;
  std::vector<std::string> extensions;
};

}  // namespace edgeserve::serving
