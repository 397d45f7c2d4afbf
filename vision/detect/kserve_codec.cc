// KServe v2 JSON and binary-tensor codec (see kserve_codec.h). Everything read here came over the
// network: every field is checked, and sizes are checked against shapes before any copy.
#include "vision/detect/kserve_codec.h"

#include <simdjson.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "common/json_writer.h"
#include "common/strings.h"

namespace edgeserve::vision {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// A detector output is a few million floats; this bounds arithmetic on declared shapes.
constexpr uint64_t kMaxElements = uint64_t{1} << 32;
constexpr int kMaxDataDepth = 8;  // nesting of a JSON `data` array (one level per dim)

Result<element> parse_json(simdjson::dom::parser& parser, std::string_view json, const char* what) {
  element root;
  if (auto err = parser.parse(json.data(), json.size()).get(root); err != simdjson::SUCCESS) {
    return invalid_argument(str_cat(what, " is not valid JSON: ", simdjson::error_message(err)));
  }
  if (!root.is_object()) return invalid_argument(str_cat(what, " is not a JSON object"));
  return root;
}

Result<std::string> string_field(element e, const char* key, const std::string& where) {
  std::string_view v;
  if (e[key].get(v) != simdjson::SUCCESS) return invalid_argument(str_cat(where, ": '", key, "' must be a string"));
  return std::string(v);
}

Result<std::vector<int64_t>> shape_field(element e, const std::string& where, bool allow_variable) {
  array list;
  if (e["shape"].get(list) != simdjson::SUCCESS) return invalid_argument(str_cat(where, ": 'shape' must be an array"));
  std::vector<int64_t> shape;
  for (element d : list) {
    int64_t v = 0;
    if (d.get(v) != simdjson::SUCCESS || v < (allow_variable ? -1 : 0)) {
      return invalid_argument(str_cat(where, ": 'shape' must hold integers >= ", allow_variable ? -1 : 0));
    }
    shape.push_back(v);
  }
  return shape;
}

Result<std::vector<KServeTensorSpec>> tensor_list(element root, const char* key) {
  array list;
  if (root[key].get(list) != simdjson::SUCCESS) return invalid_argument(str_cat("'", key, "' must be an array"));
  std::vector<KServeTensorSpec> out;
  for (element e : list) {
    const std::string where = str_cat(key, "[", out.size(), "]");
    if (!e.is_object()) return invalid_argument(str_cat(where, " must be an object"));
    KServeTensorSpec t;
    EDGE_ASSIGN_OR_RETURN(t.name, string_field(e, "name", where));
    EDGE_ASSIGN_OR_RETURN(t.datatype, string_field(e, "datatype", where));
    EDGE_ASSIGN_OR_RETURN(t.shape, shape_field(e, where, true));
    out.push_back(std::move(t));
  }
  return out;
}

Result<uint64_t> element_count(const std::vector<int64_t>& shape, const std::string& where) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d != 0 && n > kMaxElements / static_cast<uint64_t>(d)) {
      return out_of_range(str_cat(where, ": shape ", dims_to_string(shape), " is larger than ", kMaxElements, " elements"));
    }
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

// One JSON number (or "NaN"/"Infinity"/"-Infinity", which KServe servers write for JSON's lack).
bool json_float(element e, float* out) {
  double v = 0;
  if (e.get(v) == simdjson::SUCCESS) {
    *out = static_cast<float>(v);
    return true;
  }
  std::string_view s;
  if (e.get(s) != simdjson::SUCCESS) return false;
  constexpr float kInf = std::numeric_limits<float>::infinity();
  if (s == "NaN") *out = std::numeric_limits<float>::quiet_NaN();
  else if (s == "Infinity") *out = kInf;
  else if (s == "-Infinity") *out = -kInf;
  else return false;
  return true;
}

// Flattens a flat or nested `data` array, refusing more than `limit` values.
bool flatten_data(element e, int depth, uint64_t limit, std::vector<float>* out) {
  if (e.is_array()) {
    array children;
    if (depth >= kMaxDataDepth || e.get(children) != simdjson::SUCCESS) return false;
    for (element child : children) {
      if (!flatten_data(child, depth + 1, limit, out)) return false;
    }
    return true;
  }
  float v = 0;
  if (out->size() >= limit || !json_float(e, &v)) return false;
  out->push_back(v);
  return true;
}

// One output of the answer: its bytes are `binary` when it came as binary data, else its `data`.
Result<KServeFloatTensor> decode_output(element e, std::optional<std::string_view> binary, const std::string& where) {
  EDGE_ASSIGN_OR_RETURN(std::string datatype, string_field(e, "datatype", where));
  if (datatype != "FP32") return invalid_argument(str_cat(where, " is ", datatype, "; expected FP32"));
  KServeFloatTensor t;
  EDGE_ASSIGN_OR_RETURN(t.shape, shape_field(e, where, false));
  EDGE_ASSIGN_OR_RETURN(uint64_t count, element_count(t.shape, where));
  if (binary) {
    if (binary->size() != count * sizeof(float)) {
      return invalid_argument(str_cat(where, ": ", binary->size(), " bytes of binary data for shape ",
                                      dims_to_string(t.shape), " (", count * sizeof(float), " bytes)"));
    }
    t.data.resize(count);
    std::memcpy(t.data.data(), binary->data(), binary->size());  // KServe's binary data is little-endian
    return t;
  }
  element data;
  if (e["data"].get(data) != simdjson::SUCCESS) return invalid_argument(str_cat(where, " has neither binary data nor 'data'"));
  t.data.reserve(count);
  if (!flatten_data(data, 0, count, &t.data) || t.data.size() != count) {
    return invalid_argument(str_cat(where, ": 'data' does not hold the ", count, " numbers of shape ",
                                    dims_to_string(t.shape)));
  }
  return t;
}

Result<uint64_t> parse_length(std::string_view s) {
  const bool digits = !s.empty() && s.size() < 19 && s.find_first_not_of("0123456789") == std::string_view::npos;
  if (!digits) return invalid_argument(str_cat("Inference-Header-Content-Length '", s, "' is not a byte count"));
  return std::stoull(std::string(s));
}

}  // namespace

std::string encode_infer_header(const std::string& input_name, const std::vector<int64_t>& input_shape,
                                uint64_t input_bytes, const std::string& output_name) {
  JsonWriter w;
  w.begin_object().key("inputs").begin_array().begin_object();
  w.key("name").string(input_name).key("datatype").string("FP32");
  w.key("shape").begin_array();
  for (int64_t d : input_shape) w.integer(d);
  w.end_array();
  w.key("parameters").begin_object().key("binary_data_size").integer(static_cast<int64_t>(input_bytes)).end_object();
  w.end_object().end_array();
  w.key("outputs").begin_array().begin_object().key("name").string(output_name);
  w.key("parameters").begin_object().key("binary_data").boolean(true).end_object();
  w.end_object().end_array().end_object();
  return w.str();
}

Result<KServeFloatTensor> decode_infer_response(std::string_view body, std::optional<std::string_view> json_length,
                                                const std::string& output_name) {
  uint64_t header_size = body.size();
  if (json_length) {
    EDGE_ASSIGN_OR_RETURN(header_size, parse_length(*json_length));
    if (header_size > body.size()) {
      return invalid_argument(str_cat("Inference-Header-Content-Length ", header_size, " exceeds the ", body.size(),
                                      "-byte answer"));
    }
  }
  const std::string_view binary = body.substr(header_size);
  simdjson::dom::parser parser;
  EDGE_ASSIGN_OR_RETURN(element root, parse_json(parser, body.substr(0, header_size), "the infer answer"));
  array outputs;
  if (root["outputs"].get(outputs) != simdjson::SUCCESS) return invalid_argument("the infer answer has no 'outputs' array");
  // Binary outputs follow the JSON in the order the header lists them.
  uint64_t offset = 0;
  size_t index = 0;
  for (element e : outputs) {
    const std::string where = str_cat("output ", index++);
    if (!e.is_object()) return invalid_argument(str_cat(where, " is not an object"));
    EDGE_ASSIGN_OR_RETURN(std::string name, string_field(e, "name", where));
    std::optional<std::string_view> bytes;
    uint64_t size = 0;
    if (e.at_key("parameters").at_key("binary_data_size").get(size) == simdjson::SUCCESS) {
      if (size > binary.size() - offset) {
        return invalid_argument(str_cat("output '", name, "': binary_data_size ", size, " runs past the answer's ",
                                        binary.size() - offset, " remaining bytes"));
      }
      bytes = binary.substr(offset, size);
      offset += size;
    }
    if (name == output_name) return decode_output(e, bytes, str_cat("output '", name, "'"));
  }
  return not_found(str_cat("the infer answer has no output '", output_name, "'"));
}

Result<KServeModelSpec> decode_model_metadata(std::string_view json) {
  simdjson::dom::parser parser;
  EDGE_ASSIGN_OR_RETURN(element root, parse_json(parser, json, "the model metadata"));
  KServeModelSpec spec;
  auto inputs = tensor_list(root, "inputs");
  if (!inputs.is_ok()) return inputs.status().with_context("model metadata");
  auto outputs = tensor_list(root, "outputs");
  if (!outputs.is_ok()) return outputs.status().with_context("model metadata");
  spec.inputs = std::move(*inputs);
  spec.outputs = std::move(*outputs);
  return spec;
}

Result<std::optional<int64_t>> decode_max_batch_size(std::string_view json) {
  simdjson::dom::parser parser;
  EDGE_ASSIGN_OR_RETURN(element root, parse_json(parser, json, "the model config"));
  element field;
  if (root["max_batch_size"].get(field) != simdjson::SUCCESS) return std::optional<int64_t>();
  int64_t v = 0;
  if (field.get(v) != simdjson::SUCCESS || v < 0) {
    return invalid_argument("the model config's max_batch_size must be an integer >= 0");
  }
  return std::optional<int64_t>(v);
}

std::string decode_error_message(std::string_view body) {
  simdjson::dom::parser parser;
  element root;
  std::string_view message;
  if (parser.parse(body.data(), body.size()).get(root) == simdjson::SUCCESS && root["error"].get(message) == simdjson::SUCCESS) {
    return std::string(message);
  }
  constexpr size_t kMaxShown = 200;
  return body.empty() ? "(empty answer)" : std::string(body.substr(0, kMaxShown)) + (body.size() > kMaxShown ? "..." : "");
}

}  // namespace edgeserve::vision
