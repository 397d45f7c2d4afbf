// ModelInferRequest/ModelInferResponse <-> InferRequest/InferResponse (see grpc_codec.h): typed
// contents per datatype, raw contents as row-major little-endian bytes, BYTES length-prefixed.
#include "serving/grpc/grpc_codec.h"

#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "common/strings.h"

namespace edgeserve::serving {
namespace {

static_assert(std::endian::native == std::endian::little,
              "raw tensor contents are little-endian; a big-endian host would need byte swaps");

using InputTensor = inference::ModelInferRequest::InferInputTensor;
using Contents = inference::InferTensorContents;
using ParameterMap = google::protobuf::Map<std::string, inference::InferParameter>;

// Bound on the elements of one shape: far above any real tensor, and low enough that the
// element count times any element size (at most 32 bytes in memory) cannot overflow int64.
constexpr int64_t kMaxElements = int64_t{1} << 40;

std::string shape_string(const InputTensor& input) {
  return dims_to_string(Dims(input.shape().begin(), input.shape().end()));
}

Status input_error(const InputTensor& input, const std::string& what) {
  return invalid_argument(str_cat("input '", input.name(), "': ", what));
}

// Product of the shape, refusing negative dims and absurd sizes before anything is allocated.
Result<int64_t> element_count(const InputTensor& input) {
  int64_t n = 1;
  for (int64_t d : input.shape()) {
    if (d < 0) return input_error(input, str_cat("shape ", shape_string(input), " has a negative dimension"));
    if (d != 0 && n > kMaxElements / d) {
      return input_error(input, str_cat("shape ", shape_string(input), " has more than 2^40 elements"));
    }
    n *= d;
  }
  return n;
}

// The typed contents field a datatype travels in; nullptr where there is none (FP16, BF16).
const char* contents_field_for(DType dtype) {
  switch (dtype) {
    case DType::kBool: return "bool_contents";
    case DType::kInt8:
    case DType::kInt16:
    case DType::kInt32: return "int_contents";
    case DType::kInt64: return "int64_contents";
    case DType::kUint8:
    case DType::kUint16:
    case DType::kUint32: return "uint_contents";
    case DType::kUint64: return "uint64_contents";
    case DType::kFloat32: return "fp32_contents";
    case DType::kFloat64: return "fp64_contents";
    case DType::kString: return "bytes_contents";
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kUndefined: return nullptr;
  }
  return nullptr;
}

std::array<std::pair<const char*, int>, 8> field_sizes(const Contents& c) {
  return {{{"bool_contents", c.bool_contents_size()},
           {"int_contents", c.int_contents_size()},
           {"int64_contents", c.int64_contents_size()},
           {"uint_contents", c.uint_contents_size()},
           {"uint64_contents", c.uint64_contents_size()},
           {"fp32_contents", c.fp32_contents_size()},
           {"fp64_contents", c.fp64_contents_size()},
           {"bytes_contents", c.bytes_contents_size()}}};
}

bool has_typed_contents(const InputTensor& input) {
  for (const auto& [name, size] : field_sizes(input.contents())) {
    if (size > 0) return true;
  }
  return false;
}

Result<Tensor> allocate_input(const InputTensor& input, DType dtype, int64_t max_tensor_bytes) {
  Result<Tensor> t = Tensor::allocate_uninitialized(dtype, Dims(input.shape().begin(), input.shape().end()),
                                                    max_tensor_bytes);
  if (!t.is_ok()) return t.status().with_context(str_cat("input '", input.name(), "'"));
  return t;
}

// Copies `src` into `out`, refusing values that do not fit T (int_contents carries INT8/16 too).
template <typename T, typename Src>
Status copy_values(const google::protobuf::RepeatedField<Src>& src, T* out, const InputTensor& input) {
  for (int i = 0; i < src.size(); ++i) {
    const Src v = src.Get(i);
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      if (!std::in_range<T>(v)) {
        return input_error(input, str_cat("element ", i, " (", v, ") is out of range for ", input.datatype()));
      }
    }
    out[i] = static_cast<T>(v);
  }
  return Status::ok();
}

Status fill_typed(const InputTensor& input, Tensor& t) {
  const Contents& c = input.contents();
  switch (t.dtype()) {
    case DType::kBool: return copy_values(c.bool_contents(), t.mutable_data<bool>(), input);
    case DType::kInt8: return copy_values(c.int_contents(), t.mutable_data<int8_t>(), input);
    case DType::kInt16: return copy_values(c.int_contents(), t.mutable_data<int16_t>(), input);
    case DType::kInt32: return copy_values(c.int_contents(), t.mutable_data<int32_t>(), input);
    case DType::kInt64: return copy_values(c.int64_contents(), t.mutable_data<int64_t>(), input);
    case DType::kUint8: return copy_values(c.uint_contents(), t.mutable_data<uint8_t>(), input);
    case DType::kUint16: return copy_values(c.uint_contents(), t.mutable_data<uint16_t>(), input);
    case DType::kUint32: return copy_values(c.uint_contents(), t.mutable_data<uint32_t>(), input);
    case DType::kUint64: return copy_values(c.uint64_contents(), t.mutable_data<uint64_t>(), input);
    case DType::kFloat32: return copy_values(c.fp32_contents(), t.mutable_data<float>(), input);
    case DType::kFloat64: return copy_values(c.fp64_contents(), t.mutable_data<double>(), input);
    case DType::kString:
      for (int i = 0; i < c.bytes_contents_size(); ++i) t.mutable_data<std::string>()[i] = c.bytes_contents(i);
      return Status::ok();
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kUndefined: break;
  }
  return internal_error(str_cat("input '", input.name(), "': no typed contents for ", input.datatype()));
}

Result<Tensor> decode_typed(const InputTensor& input, DType dtype, int64_t n, int64_t max_tensor_bytes) {
  const char* field = contents_field_for(dtype);
  if (field == nullptr) {
    return input_error(input, str_cat(input.datatype(), " data has no typed contents field: send it in raw_input_contents"));
  }
  for (const auto& [name, size] : field_sizes(input.contents())) {
    const bool expected = std::strcmp(name, field) == 0;
    if (!expected && size > 0) {
      return input_error(input, str_cat("datatype ", input.datatype(), " takes contents.", field, ", but contents.",
                                        name, " is set"));
    }
    if (expected && size != n) {
      return input_error(input, str_cat("shape ", shape_string(input), " needs ", n, " elements in contents.", field,
                                        ", got ", size));
    }
  }
  EDGE_ASSIGN_OR_RETURN(Tensor t, allocate_input(input, dtype, max_tensor_bytes));
  EDGE_RETURN_IF_ERROR(fill_typed(input, t));
  return t;
}

// BYTES raw contents: each element is a 4-byte little-endian length followed by its bytes.
Result<Tensor> decode_raw_strings(const InputTensor& input, int64_t n, const std::string& raw,
                                  int64_t max_tensor_bytes) {
  if (static_cast<uint64_t>(n) > raw.size() / 4) {
    return input_error(input, str_cat("shape ", shape_string(input), " needs ", n,
                                      " length-prefixed BYTES elements, but raw_input_contents has only ",
                                      raw.size(), " bytes"));
  }
  EDGE_ASSIGN_OR_RETURN(Tensor t, allocate_input(input, DType::kString, max_tensor_bytes));
  std::string* out = t.mutable_data<std::string>();
  size_t pos = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t len = 0;
    if (raw.size() - pos < 4) return input_error(input, str_cat("raw BYTES element ", i, " has no 4-byte length"));
    std::memcpy(&len, raw.data() + pos, 4);
    pos += 4;
    if (raw.size() - pos < len) {
      return input_error(input, str_cat("raw BYTES element ", i, " of ", len, " bytes runs past the end of its data"));
    }
    out[i].assign(raw.data() + pos, len);
    pos += len;
  }
  if (pos != raw.size()) {
    return input_error(input, str_cat(raw.size() - pos, " bytes left over after ", n, " BYTES elements"));
  }
  return t;
}

Status check_bools(const InputTensor& input, const Tensor& t) {
  const auto* bytes = static_cast<const uint8_t*>(t.raw_data());
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    if (bytes[i] > 1) return input_error(input, str_cat("raw BOOL element ", i, " is ", int{bytes[i]}, ", not 0 or 1"));
  }
  return Status::ok();
}

Result<Tensor> decode_raw(const InputTensor& input, DType dtype, int64_t n, const std::string& raw,
                          int64_t max_tensor_bytes) {
  if (dtype == DType::kString) return decode_raw_strings(input, n, raw, max_tensor_bytes);
  const int64_t expected = n * static_cast<int64_t>(dtype_size(dtype));  // n <= 2^40: no overflow
  if (static_cast<int64_t>(raw.size()) != expected) {
    return input_error(input, str_cat("shape ", shape_string(input), " of ", input.datatype(), " needs ", expected,
                                      " bytes of raw_input_contents, got ", raw.size()));
  }
  EDGE_ASSIGN_OR_RETURN(Tensor t, allocate_input(input, dtype, max_tensor_bytes));
  if (expected > 0) std::memcpy(t.mutable_raw_data(), raw.data(), raw.size());
  // Any byte but 0 and 1 read as a C++ bool is undefined behaviour.
  if (dtype == DType::kBool) EDGE_RETURN_IF_ERROR(check_bools(input, t));
  return t;
}

// `raw` is this input's raw_input_contents entry, or nullptr when the request uses typed contents.
Result<NamedTensor> decode_input(const InputTensor& input, const std::string* raw, int64_t max_tensor_bytes) {
  if (input.name().empty()) return invalid_argument("an input has no name");
  const std::optional<DType> dtype = parse_datatype(input.datatype());
  if (!dtype) return input_error(input, str_cat("unknown datatype '", input.datatype(), "'"));
  EDGE_ASSIGN_OR_RETURN(int64_t n, element_count(input));
  if (raw != nullptr && has_typed_contents(input)) {
    return input_error(input, "has typed contents, but the request uses raw_input_contents: use one or the other");
  }
  Result<Tensor> t = raw ? decode_raw(input, *dtype, n, *raw, max_tensor_bytes)
                         : decode_typed(input, *dtype, n, max_tensor_bytes);
  if (!t.is_ok()) return t.status();
  return NamedTensor{input.name(), std::move(t).value()};
}

// A non-negative integer request parameter (int64_param or uint64_param) up to `max`; 0 if absent.
Result<int64_t> integer_parameter(const ParameterMap& params, const std::string& key, int64_t max) {
  auto it = params.find(key);
  if (it == params.end()) return int64_t{0};
  const inference::InferParameter& p = it->second;
  if (p.parameter_choice_case() == inference::InferParameter::kInt64Param && p.int64_param() >= 0 &&
      p.int64_param() <= max) {
    return p.int64_param();
  }
  if (p.parameter_choice_case() == inference::InferParameter::kUint64Param &&
      p.uint64_param() <= static_cast<uint64_t>(max)) {
    return static_cast<int64_t>(p.uint64_param());
  }
  return invalid_argument(str_cat("request parameter '", key, "' must be an int64_param or uint64_param in [0, ",
                                  max, "]"));
}

Status decode_outputs(const inference::ModelInferRequest& message, InferRequest& request) {
  for (const auto& output : message.outputs()) {
    if (output.parameters().contains("classification")) {
      return unimplemented(str_cat("output '", output.name(), "': the classification parameter is not supported"));
    }
    request.outputs.push_back(RequestedOutput{output.name(), std::nullopt});
  }
  return Status::ok();
}

// --- encoding -----------------------------------------------------------------------------

template <typename T, typename Field>
void append_values(const Tensor& t, Field* field) {
  const T* data = t.data<T>();
  field->Reserve(static_cast<int>(t.num_elements()));
  for (int64_t i = 0; i < t.num_elements(); ++i) field->Add(data[i]);
}

void encode_typed(const Tensor& t, Contents* c) {
  switch (t.dtype()) {
    case DType::kBool: return append_values<bool>(t, c->mutable_bool_contents());
    case DType::kInt8: return append_values<int8_t>(t, c->mutable_int_contents());
    case DType::kInt16: return append_values<int16_t>(t, c->mutable_int_contents());
    case DType::kInt32: return append_values<int32_t>(t, c->mutable_int_contents());
    case DType::kInt64: return append_values<int64_t>(t, c->mutable_int64_contents());
    case DType::kUint8: return append_values<uint8_t>(t, c->mutable_uint_contents());
    case DType::kUint16: return append_values<uint16_t>(t, c->mutable_uint_contents());
    case DType::kUint32: return append_values<uint32_t>(t, c->mutable_uint_contents());
    case DType::kUint64: return append_values<uint64_t>(t, c->mutable_uint64_contents());
    case DType::kFloat32: return append_values<float>(t, c->mutable_fp32_contents());
    case DType::kFloat64: return append_values<double>(t, c->mutable_fp64_contents());
    case DType::kString:
      for (int64_t i = 0; i < t.num_elements(); ++i) c->add_bytes_contents(t.data<std::string>()[i]);
      return;
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kUndefined: return;  // never typed: encode_model_infer_response answers raw
  }
}

void encode_raw(const Tensor& t, std::string* out) {
  if (t.dtype() != DType::kString) {
    out->assign(static_cast<const char*>(t.raw_data()), t.byte_size());
    return;
  }
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    const std::string& s = t.data<std::string>()[i];
    const uint32_t len = static_cast<uint32_t>(s.size());
    char prefix[4];
    std::memcpy(prefix, &len, 4);
    out->append(prefix, 4);
    out->append(s);
  }
}

bool needs_raw(const InferResponse& response) {
  for (const NamedTensor& o : response.outputs) {
    if (contents_field_for(o.tensor.dtype()) == nullptr) return true;
  }
  return false;
}

// --- metadata and statistics ----------------------------------------------------------------

void encode_tensor_metadata(
    const std::vector<TensorMetadata>& tensors,
    google::protobuf::RepeatedPtrField<inference::ModelMetadataResponse::TensorMetadata>* out) {
  for (const TensorMetadata& t : tensors) {
    auto* m = out->Add();
    m->set_name(t.name);
    m->set_datatype(t.datatype);
    for (int64_t d : t.shape) m->add_shape(d);
  }
}

void encode_duration(const DurationStat& d, inference::StatisticDuration* out) {
  out->set_count(d.count);
  out->set_ns(d.ns);
}

}  // namespace

Result<InferRequest> decode_model_infer_request(const inference::ModelInferRequest& message,
                                                int64_t max_tensor_bytes) {
  InferRequest request;
  request.model_name = message.model_name();
  request.model_version = message.model_version();
  request.id = message.id();
  EDGE_ASSIGN_OR_RETURN(int64_t priority,
                        integer_parameter(message.parameters(), "priority", std::numeric_limits<int>::max()));
  request.priority = static_cast<int>(priority);
  EDGE_ASSIGN_OR_RETURN(request.timeout_us,
                        integer_parameter(message.parameters(), "timeout", std::numeric_limits<int64_t>::max()));
  const bool raw = message.raw_input_contents_size() > 0;
  if (raw && message.raw_input_contents_size() != message.inputs_size()) {
    return invalid_argument(str_cat("raw_input_contents has ", message.raw_input_contents_size(), " entries for ",
                                    message.inputs_size(), " inputs: it needs one per input, in input order"));
  }
  request.inputs.reserve(message.inputs_size());
  for (int i = 0; i < message.inputs_size(); ++i) {
    const std::string* data = raw ? &message.raw_input_contents(i) : nullptr;
    EDGE_ASSIGN_OR_RETURN(NamedTensor input, decode_input(message.inputs(i), data, max_tensor_bytes));
    request.inputs.push_back(std::move(input));
  }
  EDGE_RETURN_IF_ERROR(decode_outputs(message, request));
  return request;
}

void encode_model_infer_response(const InferResponse& response, bool raw, inference::ModelInferResponse* out) {
  out->Clear();
  out->set_model_name(response.model_name);
  out->set_model_version(response.model_version);
  out->set_id(response.id);
  raw = raw || needs_raw(response);
  for (const NamedTensor& o : response.outputs) {
    auto* tensor = out->add_outputs();
    tensor->set_name(o.name);
    tensor->set_datatype(datatype_name(o.tensor.dtype()));
    for (int64_t d : o.tensor.dims()) tensor->add_shape(d);
    if (raw) {
      encode_raw(o.tensor, out->add_raw_output_contents());
    } else {
      encode_typed(o.tensor, tensor->mutable_contents());
    }
  }
}

void encode_server_metadata(const ServerMetadata& metadata, inference::ServerMetadataResponse* out) {
  out->set_name(metadata.name);
  out->set_version(metadata.version);
  for (const std::string& e : metadata.extensions) out->add_extensions(e);
}

void encode_model_metadata(const ModelMetadata& metadata, inference::ModelMetadataResponse* out) {
  out->set_name(metadata.name);
  for (const std::string& v : metadata.versions) out->add_versions(v);
  out->set_platform(metadata.platform);
  encode_tensor_metadata(metadata.inputs, out->mutable_inputs());
  encode_tensor_metadata(metadata.outputs, out->mutable_outputs());
}

void encode_model_statistics(const ModelStatistics& stats, inference::ModelStatistics* out) {
  out->set_name(stats.name);
  out->set_version(stats.version);
  out->set_last_inference(stats.last_inference_ms);
  out->set_inference_count(stats.inference_count);
  out->set_execution_count(stats.execution_count);
  inference::InferStatistics* s = out->mutable_inference_stats();
  encode_duration(stats.success, s->mutable_success());
  encode_duration(stats.fail, s->mutable_fail());
  encode_duration(stats.queue, s->mutable_queue());
  encode_duration(stats.compute_input, s->mutable_compute_input());
  encode_duration(stats.compute_infer, s->mutable_compute_infer());
  encode_duration(stats.compute_output, s->mutable_compute_output());
  for (const BatchStat& b : stats.batch_stats) {
    inference::InferBatchStatistics* bs = out->add_batch_stats();
    bs->set_batch_size(b.batch_size);
    encode_duration(b.compute_input, bs->mutable_compute_input());
    encode_duration(b.compute_infer, bs->mutable_compute_infer());
    encode_duration(b.compute_output, bs->mutable_compute_output());
  }
}

grpc::Status to_grpc_status(const Status& status) {
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (status.code()) {
    case StatusCode::kOk: return grpc::Status::OK;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange: code = grpc::StatusCode::INVALID_ARGUMENT; break;
    case StatusCode::kNotFound: code = grpc::StatusCode::NOT_FOUND; break;
    case StatusCode::kUnimplemented: code = grpc::StatusCode::UNIMPLEMENTED; break;
    case StatusCode::kResourceExhausted: code = grpc::StatusCode::RESOURCE_EXHAUSTED; break;
    case StatusCode::kFailedPrecondition: code = grpc::StatusCode::FAILED_PRECONDITION; break;
    case StatusCode::kInternal: code = grpc::StatusCode::INTERNAL; break;
    case StatusCode::kUnavailable: code = grpc::StatusCode::UNAVAILABLE; break;
    case StatusCode::kDeadlineExceeded: code = grpc::StatusCode::DEADLINE_EXCEEDED; break;
  }
  return grpc::Status(code, status.message());
}

}  // namespace edgeserve::serving
