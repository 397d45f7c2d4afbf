// Decodes an Open Inference Protocol infer request (JSON, optionally followed by the binary tensor
// data of Triton's extension) into an InferRequest. Structure and limits are checked here; the
// element values in tensor_data_decode.cc.
#include "serving/api/json_codec.h"

#include <simdjson.h>

#include <algorithm>
#include <limits>
#include <unordered_set>

#include "common/strings.h"
#include "serving/api/tensor_data_decode.h"

namespace edgeserve::serving {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// Bodies up to this size reuse a per-thread parser (no allocation per request). A larger body
// gets a parser of its own, freed on return: a parser keeps ~15 bytes per input byte of capacity,
// which every HTTP thread should not hold on to after one big request (256 KiB -> ~4 MB).
constexpr size_t kReusedParserMaxBytes = size_t{256} << 10;

Result<element> parse_json(simdjson::dom::parser& parser, std::string_view json, int max_depth) {
  const auto depth = static_cast<size_t>(max_depth);
  // parse() grows the capacity itself but keeps the depth limit, so only the depth is set here.
  if (parser.max_depth() != depth) {
    const size_t capacity = std::max({json.size(), parser.capacity(), size_t{4096}});
    if (parser.allocate(capacity, depth) != simdjson::SUCCESS) {
      return resource_exhausted(str_cat("cannot allocate a JSON parser for ", json.size(), " bytes"));
    }
  }
  // realloc_if_needed: the parser copies the JSON into its own padded buffer, so it never reads
  // past the caller's body.
  auto root = parser.parse(json.data(), json.size(), /*realloc_if_needed=*/true);
  if (root.error() == simdjson::DEPTH_ERROR) {
    return invalid_argument(str_cat("JSON nesting deeper than ", max_depth));
  }
  if (root.error()) {
    return invalid_argument(str_cat("invalid JSON in request body: ", simdjson::error_message(root.error())));
  }
  return root.value_unsafe();
}

// By value: a range-for over `e.get_array().value_unsafe()` would bind to a destroyed temporary.
simdjson::dom::array as_array(element e) { return e.get_array().value_unsafe(); }

// A member that must have `type` when present; nullopt when absent.
Result<std::optional<element>> optional_field(object obj, std::string_view key, element_type type,
                                              const std::string& where, const char* type_text) {
  element e;
  if (obj[key].get(e) != simdjson::SUCCESS) return std::optional<element>();
  if (e.type() != type) return invalid_argument(str_cat(where, ": '", key, "' must be ", type_text));
  return std::optional<element>(e);
}

Result<std::string_view> required_string(object obj, std::string_view key, const std::string& where) {
  EDGE_ASSIGN_OR_RETURN(auto field, optional_field(obj, key, element_type::STRING, where, "a string"));
  if (!field) return invalid_argument(str_cat(where, ": missing '", key, "'"));
  return field->get_string().value_unsafe();
}

// A JSON integer in [0, max]; anything else (float, negative, string) is rejected.
bool get_count(element e, int64_t max, int64_t& out) {
  if (e.type() != element_type::INT64) return false;
  out = e.get_int64().value_unsafe();
  return out >= 0 && out <= max;
}

Result<Dims> parse_shape(object input, const std::string& where) {
  EDGE_ASSIGN_OR_RETURN(auto field, optional_field(input, "shape", element_type::ARRAY, where, "an array"));
  if (!field) return invalid_argument(str_cat(where, ": missing 'shape'"));
  Dims dims;
  for (element d : as_array(*field)) {
    int64_t v = 0;
    if (!get_count(d, std::numeric_limits<int64_t>::max(), v)) {
      return invalid_argument(str_cat(where, ": 'shape' dim ", dims.size(), " (", simdjson::minify(d),
                                      ") is not a non-negative integer"));
    }
    dims.push_back(v);
  }
  return dims;
}

// Product of dims, refused before it exceeds what `max_bytes` can hold at `element_bytes` each,
// so a declared 1e12-element shape fails here, before anything is allocated.
Result<int64_t> checked_element_count(const Dims& dims, int64_t element_bytes, int64_t max_bytes,
                                      const std::string& where) {
  for (int64_t d : dims) {
    if (d == 0) return int64_t{0};
  }
  const int64_t max_elements = max_bytes / element_bytes;
  int64_t n = 1;
  for (int64_t d : dims) {
    if (n > max_elements / d) {
      return invalid_argument(str_cat(where, ": shape ", dims_to_string(dims), " exceeds the ", max_bytes,
                                      "-byte limit per tensor"));
    }
    n *= d;
  }
  return n;
}

struct InputHeader {
  std::string_view name;
  DType dtype = DType::kUndefined;
  Dims dims;
  int64_t num_elements = 0;
  std::optional<int64_t> binary_size;  // parameters.binary_data_size
  std::optional<element> data;
};

Result<std::optional<int64_t>> parse_binary_size(object input, const std::string& where) {
  EDGE_ASSIGN_OR_RETURN(auto params, optional_field(input, "parameters", element_type::OBJECT, where, "an object"));
  element size;
  if (!params || params->get_object().value_unsafe()["binary_data_size"].get(size) != simdjson::SUCCESS) {
    return std::optional<int64_t>();
  }
  int64_t v = 0;
  if (!get_count(size, std::numeric_limits<int64_t>::max(), v)) {
    return invalid_argument(str_cat(where, ": 'binary_data_size' must be a non-negative integer"));
  }
  return std::optional<int64_t>(v);
}

Result<InputHeader> parse_input_header(element e, size_t index, const DecodeLimits& limits) {
  std::string where = str_cat("inputs[", index, "]");
  object input;
  if (e.get(input) != simdjson::SUCCESS) return invalid_argument(where + " must be an object");
  InputHeader h;
  EDGE_ASSIGN_OR_RETURN(h.name, required_string(input, "name", where));
  where = str_cat("input '", h.name, "'");
  EDGE_ASSIGN_OR_RETURN(std::string_view datatype, required_string(input, "datatype", where));
  const std::optional<DType> dtype = parse_datatype(datatype);
  if (!dtype) return invalid_argument(str_cat(where, ": unknown 'datatype' \"", datatype, "\""));
  h.dtype = *dtype;
  EDGE_ASSIGN_OR_RETURN(h.dims, parse_shape(input, where));
  // A BYTES element costs a std::string whatever its length, so that is what the limit counts.
  const auto element_bytes = static_cast<int64_t>(h.dtype == DType::kString ? sizeof(std::string) : dtype_size(h.dtype));
  EDGE_ASSIGN_OR_RETURN(h.num_elements, checked_element_count(h.dims, element_bytes, limits.max_tensor_bytes, where));
  EDGE_ASSIGN_OR_RETURN(h.binary_size, parse_binary_size(input, where));
  element data;
  if (input["data"].get(data) == simdjson::SUCCESS) h.data = data;
  if (h.data && h.binary_size) {
    return invalid_argument(where + ": has both 'data' and parameters.binary_data_size; send one");
  }
  if (!h.data && !h.binary_size) {
    return invalid_argument(where + ": has neither 'data' nor parameters.binary_data_size");
  }
  return h;
}

// Hands out the binary section in input order, as the extension lays it out.
class BinaryCursor {
 public:
  BinaryCursor(std::string_view bytes, bool present) : bytes_(bytes), present_(present) {}

  Result<std::string_view> take(int64_t size, std::string_view name) {
    if (!present_ && size > 0) {
      return invalid_argument(str_cat("input '", name, "': binary_data_size is ", size,
                                      " but the request has no binary data (no Inference-Header-Content-Length)"));
    }
    if (static_cast<uint64_t>(size) > bytes_.size() - pos_) {
      return invalid_argument(str_cat("input '", name, "': binary_data_size ", size, " at offset ", pos_,
                                      " runs past the ", bytes_.size(), " bytes of binary data after the JSON"));
    }
    const std::string_view slice = bytes_.substr(pos_, static_cast<size_t>(size));
    pos_ += static_cast<size_t>(size);
    return slice;
  }

  Status check_all_used() const {
    if (pos_ == bytes_.size()) return Status::ok();
    return invalid_argument(str_cat("the body has ", bytes_.size(), " bytes of binary data after the JSON but the "
                                    "inputs' binary_data_size add up to ", pos_));
  }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
  bool present_;
};

Result<NamedTensor> decode_input(const InputHeader& h, BinaryCursor& binary, const DecodeLimits& limits) {
  const std::string where = str_cat("input '", h.name, "'");
  if (h.binary_size) {
    if (*h.binary_size > limits.max_tensor_bytes) {
      return invalid_argument(str_cat(where, ": binary_data_size ", *h.binary_size, " exceeds the ",
                                      limits.max_tensor_bytes, "-byte limit per tensor"));
    }
    // Checked before allocating. Every BYTES element needs at least its 4-byte length; the exact
    // layout is checked as the strings are read.
    if (h.dtype == DType::kString && *h.binary_size / 4 < h.num_elements) {
      return invalid_argument(str_cat(where, ": binary_data_size ", *h.binary_size, " cannot hold the ",
                                      h.num_elements, " BYTES elements of shape ", dims_to_string(h.dims)));
    }
    const auto needed = h.num_elements * static_cast<int64_t>(dtype_size(h.dtype));
    if (h.dtype != DType::kString && *h.binary_size != needed) {
      return invalid_argument(str_cat(where, ": binary_data_size is ", *h.binary_size, " but shape ",
                                      dims_to_string(h.dims), " of ", datatype_name(h.dtype), " needs ", needed,
                                      " bytes"));
    }
  }
  auto allocated = Tensor::allocate_uninitialized(h.dtype, h.dims, INT64_MAX);
  if (!allocated.is_ok()) return allocated.status().with_context(where);
  NamedTensor out{std::string(h.name), std::move(allocated).value()};
  if (h.binary_size) {
    EDGE_ASSIGN_OR_RETURN(std::string_view bytes, binary.take(*h.binary_size, h.name));
    EDGE_RETURN_IF_ERROR(fill_tensor_from_binary(bytes, h.name, out.tensor));
  } else {
    EDGE_RETURN_IF_ERROR(fill_tensor_from_json(*h.data, h.name, limits.max_tensor_bytes, out.tensor));
  }
  return out;
}

Status decode_inputs(object root, BinaryCursor& binary, const DecodeLimits& limits, InferRequest& request) {
  EDGE_ASSIGN_OR_RETURN(auto inputs, optional_field(root, "inputs", element_type::ARRAY, "request", "an array"));
  if (!inputs) return invalid_argument("request: missing 'inputs'");
  // Views into the parsed document, which outlives this function.
  std::unordered_set<std::string_view> seen;
  size_t index = 0;
  for (element e : as_array(*inputs)) {
    EDGE_ASSIGN_OR_RETURN(InputHeader header, parse_input_header(e, index++, limits));
    if (!seen.insert(header.name).second) {
      return invalid_argument(str_cat("input '", header.name, "': 'name' appears twice in 'inputs'"));
    }
    EDGE_ASSIGN_OR_RETURN(NamedTensor tensor, decode_input(header, binary, limits));
    request.inputs.push_back(std::move(tensor));
  }
  return binary.check_all_used();
}

Result<RequestedOutput> decode_output(element e, size_t index) {
  std::string where = str_cat("outputs[", index, "]");
  object output;
  if (e.get(output) != simdjson::SUCCESS) return invalid_argument(where + " must be an object");
  RequestedOutput out;
  EDGE_ASSIGN_OR_RETURN(std::string_view name, required_string(output, "name", where));
  out.name = std::string(name);
  where = str_cat("output '", name, "'");
  EDGE_ASSIGN_OR_RETURN(auto params, optional_field(output, "parameters", element_type::OBJECT, where, "an object"));
  if (!params) return out;
  const object p = params->get_object().value_unsafe();
  element value;
  if (p["binary_data"].get(value) == simdjson::SUCCESS) {
    if (!value.is_bool()) return invalid_argument(where + ": 'binary_data' must be true or false");
    out.binary = value.get_bool().value_unsafe();
  }
  // Returning plain data to a client that asked for top-k classes would be silently wrong.
  if (p["classification"].get(value) == simdjson::SUCCESS) {
    return unimplemented(where + ": the 'classification' parameter is not supported");
  }
  return out;
}

Status decode_outputs(object root, InferRequest& request) {
  EDGE_ASSIGN_OR_RETURN(auto outputs, optional_field(root, "outputs", element_type::ARRAY, "request", "an array"));
  if (!outputs) return Status::ok();
  std::unordered_set<std::string> seen;
  size_t index = 0;
  for (element e : as_array(*outputs)) {
    EDGE_ASSIGN_OR_RETURN(RequestedOutput out, decode_output(e, index++));
    if (!seen.insert(out.name).second) {
      return invalid_argument(str_cat("output '", out.name, "': 'name' appears twice in 'outputs'"));
    }
    request.outputs.push_back(std::move(out));
  }
  return Status::ok();
}

// Request-level parameters. Unknown ones are ignored: the protocol lets servers define their own
// and clients (Triton's among them) send some edgeserve has no use for.
Status decode_parameters(object root, InferRequest& request) {
  EDGE_ASSIGN_OR_RETURN(auto params, optional_field(root, "parameters", element_type::OBJECT, "request", "an object"));
  if (!params) return Status::ok();
  const object p = params->get_object().value_unsafe();
  element value;
  if (p["binary_data_output"].get(value) == simdjson::SUCCESS) {
    if (!value.is_bool()) return invalid_argument("request parameter 'binary_data_output' must be true or false");
    request.binary_outputs = value.get_bool().value_unsafe();
  }
  int64_t number = 0;
  if (p["priority"].get(value) == simdjson::SUCCESS) {
    if (!get_count(value, std::numeric_limits<int>::max(), number)) {
      return invalid_argument("request parameter 'priority' must be a non-negative integer");
    }
    request.priority = static_cast<int>(number);
  }
  if (p["timeout"].get(value) == simdjson::SUCCESS) {
    if (!get_count(value, std::numeric_limits<int64_t>::max(), number)) {
      return invalid_argument("request parameter 'timeout' must be a non-negative integer (microseconds)");
    }
    request.timeout_us = number;
  }
  return Status::ok();
}

Result<InferRequest> decode_document(simdjson::dom::parser& parser, std::string_view json, BinaryCursor& binary,
                                     const DecodeLimits& limits) {
  EDGE_ASSIGN_OR_RETURN(element root_element, parse_json(parser, json, limits.max_json_depth));
  object root;
  if (root_element.get(root) != simdjson::SUCCESS) return invalid_argument("request body must be a JSON object");
  InferRequest request;
  EDGE_ASSIGN_OR_RETURN(auto id, optional_field(root, "id", element_type::STRING, "request", "a string"));
  if (id) request.id = std::string(id->get_string().value_unsafe());
  EDGE_RETURN_IF_ERROR(decode_parameters(root, request));
  EDGE_RETURN_IF_ERROR(decode_outputs(root, request));
  EDGE_RETURN_IF_ERROR(decode_inputs(root, binary, limits, request));
  return request;
}

}  // namespace

Result<InferRequest> decode_infer_request(std::string_view body, std::optional<size_t> json_length,
                                          const DecodeLimits& limits) {
  if (limits.max_json_depth < 1 || limits.max_tensor_bytes < 1) {
    return invalid_argument("DecodeLimits: max_json_depth and max_tensor_bytes must be positive");
  }
  if (json_length && *json_length > body.size()) {
    return invalid_argument(str_cat("Inference-Header-Content-Length ", *json_length, " exceeds the body's ",
                                    body.size(), " bytes"));
  }
  const std::string_view json = json_length ? body.substr(0, *json_length) : body;
  BinaryCursor binary(json_length ? body.substr(*json_length) : std::string_view(), json_length.has_value());
  if (json.size() <= kReusedParserMaxBytes) {
    // Owned by this thread alone; every value read from it is copied out before returning.
    thread_local simdjson::dom::parser parser;
    return decode_document(parser, json, binary, limits);
  }
  simdjson::dom::parser parser;
  return decode_document(parser, json, binary, limits);
}

}  // namespace edgeserve::serving
