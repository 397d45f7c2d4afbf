// What the server knows of one model version once its config is complete: the tensors requests
// are checked against, and the scheduling settings. Built from config.pbtxt + the model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "edgeserve/status.h"
#include "serving/api/infer_types.h"
#include "serving/scheduler/batch_policy.h"
#include "serving/scheduler/request_queue.h"

namespace edgeserve::serving {

struct TensorSpec {
  std::string name;
  DType dtype = DType::kUndefined;
  std::vector<int64_t> dims;  // without the batch dim when max_batch_size > 0; -1 = any
  // config `reshape`: the model sees this shape (batch dim excluded) where clients see `dims`.
  std::optional<std::vector<int64_t>> reshape;
};

struct ModelSpec {
  std::string name;
  std::string version;
  std::string platform = "onnxruntime_onnx";
  int max_batch_size = 0;  // > 0: requests carry a leading batch dim in [1, max_batch_size]
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  BatchPolicy batch;
  QueuePolicy queue;
  int instances = 1;
};

// What admission learns from a valid request: its batch rows and a key of its non-batch dims.
struct RequestShape {
  int64_t rows = 1;
  uint64_t shape_key = 0;
};

// Checks a request against the model: every input given once with the declared datatype and a
// compatible shape (batch dim within max_batch_size), no unknown inputs, requested outputs
// exist and are not repeated. Messages name the tensor and what was expected.
Result<RequestShape> validate_request(const ModelSpec& spec, const InferRequest& request);

// Applies the config's input reshapes to a validated request (clients' dims -> the model's).
void reshape_inputs_for_model(const ModelSpec& spec, InferRequest* request);
// Applies the output reshapes to an output tensor (the model's dims -> clients' dims).
Tensor reshape_output_for_client(const ModelSpec& spec, size_t output, const Tensor& t);

// Metadata as the protocol reports it: batched models show the batch dim as -1.
ModelMetadata model_metadata_of(const ModelSpec& spec, const std::vector<std::string>& versions);

}  // namespace edgeserve::serving
