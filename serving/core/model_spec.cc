// Request admission checks and metadata for one model version.
#include "serving/core/model_spec.h"

#include <set>

#include "common/strings.h"

namespace edgeserve::serving {
namespace {

uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull; }

// The expected full shape of a tensor as requests see it (batch dim first when batched).
std::vector<int64_t> request_dims(const ModelSpec& spec, const TensorSpec& t) {
  std::vector<int64_t> dims = t.dims;
  if (spec.max_batch_size > 0) dims.insert(dims.begin(), -1);
  return dims;
}

Status check_input(const ModelSpec& spec, const TensorSpec& want, const Tensor& got, RequestShape* shape) {
  if (got.dtype() != want.dtype) {
    return invalid_argument("input '" + want.name + "': datatype " + datatype_name(got.dtype()) + ", expected " +
                            datatype_name(want.dtype));
  }
  const std::vector<int64_t> expected = request_dims(spec, want);
  const Dims& dims = got.dims();
  bool ok = dims.size() == expected.size();
  for (size_t i = 0; ok && i < dims.size(); ++i) ok = expected[i] < 0 || expected[i] == dims[i];
  if (!ok) {
    return invalid_argument("input '" + want.name + "': shape " + dims_to_string(dims) + ", expected " +
                            dims_to_string(expected) + " (-1 = any size" +
                            (spec.max_batch_size > 0 ? "; the first dim is the batch" : "") + ")");
  }
  if (spec.max_batch_size > 0) {
    if (dims[0] < 1 || dims[0] > spec.max_batch_size) {
      return invalid_argument("input '" + want.name + "': batch size " + std::to_string(dims[0]) +
                              " is outside [1, " + std::to_string(spec.max_batch_size) + "] (max_batch_size)");
    }
    if (shape->rows > 0 && shape->rows != dims[0]) {
      return invalid_argument("input '" + want.name + "': batch size " + std::to_string(dims[0]) +
                              " differs from the other inputs' " + std::to_string(shape->rows));
    }
    shape->rows = dims[0];
  }
  for (size_t i = spec.max_batch_size > 0 ? 1 : 0; i < dims.size(); ++i) {
    shape->shape_key = mix(shape->shape_key, static_cast<uint64_t>(dims[i]));
  }
  shape->shape_key = mix(shape->shape_key, 0xffff);
  return Status::ok();
}

Status check_outputs(const ModelSpec& spec, const InferRequest& request) {
  std::set<std::string> seen;
  for (const RequestedOutput& o : request.outputs) {
    bool known = false;
    for (const TensorSpec& t : spec.outputs) known = known || t.name == o.name;
    if (!known) {
      std::vector<std::string> names;
      for (const TensorSpec& t : spec.outputs) names.push_back(t.name);
      return invalid_argument("requested output '" + o.name + "' is not an output of model '" + spec.name +
                              "' (outputs: " + join(names, ", ") + ")");
    }
    if (!seen.insert(o.name).second) return invalid_argument("output '" + o.name + "' is requested twice");
  }
  return Status::ok();
}

}  // namespace

Result<RequestShape> validate_request(const ModelSpec& spec, const InferRequest& request) {
  RequestShape shape;
  shape.rows = spec.max_batch_size > 0 ? 0 : 1;
  std::set<std::string> seen;
  for (const NamedTensor& in : request.inputs) {
    const TensorSpec* want = nullptr;
    for (const TensorSpec& t : spec.inputs) {
      if (t.name == in.name) want = &t;
    }
    if (want == nullptr) {
      std::vector<std::string> names;
      for (const TensorSpec& t : spec.inputs) names.push_back(t.name);
      return invalid_argument("input '" + in.name + "' is not an input of model '" + spec.name +
                              "' (inputs: " + join(names, ", ") + ")");
    }
    if (!seen.insert(in.name).second) return invalid_argument("input '" + in.name + "' is given twice");
    EDGE_RETURN_IF_ERROR(check_input(spec, *want, in.tensor, &shape));
  }
  for (const TensorSpec& t : spec.inputs) {
    if (!seen.count(t.name)) return invalid_argument("model '" + spec.name + "' needs input '" + t.name + "'");
  }
  EDGE_RETURN_IF_ERROR(check_outputs(spec, request));
  if (shape.rows == 0) shape.rows = 1;
  return shape;
}

void reshape_inputs_for_model(const ModelSpec& spec, InferRequest* request) {
  for (NamedTensor& in : request->inputs) {
    for (const TensorSpec& t : spec.inputs) {
      if (t.name != in.name || !t.reshape) continue;
      Dims dims = *t.reshape;
      if (spec.max_batch_size > 0) dims.insert(dims.begin(), in.tensor.dim(0));
      in.tensor = in.tensor.reshaped(dims);  // same element count: checked against the model at load
    }
  }
}

Tensor reshape_output_for_client(const ModelSpec& spec, size_t output, const Tensor& t) {
  const TensorSpec& s = spec.outputs[output];
  if (!s.reshape) return t;
  Dims dims = s.dims;
  if (spec.max_batch_size > 0 && t.rank() > 0) dims.insert(dims.begin(), t.dim(0));
  int64_t n = 1;
  for (int64_t d : dims) n = d < 0 ? -1 : n * d;
  return n == t.num_elements() ? t.reshaped(dims) : t;  // variable dims: keep the model's shape
}

ModelMetadata model_metadata_of(const ModelSpec& spec, const std::vector<std::string>& versions) {
  ModelMetadata m;
  m.name = spec.name;
  m.versions = versions;
  m.platform = spec.platform;
  for (const TensorSpec& t : spec.inputs) m.inputs.push_back({t.name, datatype_name(t.dtype), request_dims(spec, t)});
  for (const TensorSpec& t : spec.outputs) m.outputs.push_back({t.name, datatype_name(t.dtype), request_dims(spec, t)});
  return m;
}

}  // namespace edgeserve::serving
