// Input shapes, random inputs, the HTTP infer body and the decoding of server JSON for
// `edgeserve perf`.
#include "apps/edgeserve/perf_request.h"

#include <simdjson.h>

#include "common/json_writer.h"
#include "common/strings.h"

namespace edgeserve::cli {

namespace {

using simdjson::dom::element;

Result<Dims> metadata_dims(const serving::TensorMetadata& in, int64_t batch, bool* used_batch) {
  Dims dims;
  for (size_t axis = 0; axis < in.shape.size(); ++axis) {
    const int64_t d = in.shape[axis];
    if (d >= 0) {
      dims.push_back(d);
    } else if (axis == 0 && d == -1) {
      dims.push_back(batch);
      *used_batch = true;
    } else {
      return invalid_argument(str_cat("input '", in.name, "' dim ", axis, " is ", d,
                                      ": give the input's shape with --shape ", in.name, "=DIMS"));
    }
  }
  return dims;
}

const ShapeOverride* find_override(const std::vector<ShapeOverride>& overrides, const std::string& name) {
  const ShapeOverride* given = nullptr;
  for (const ShapeOverride& o : overrides) given = o.input == name ? &o : given;  // the last one wins
  return given;
}

bool has_input(const std::vector<serving::TensorMetadata>& inputs, const std::string& name) {
  for (const serving::TensorMetadata& in : inputs) {
    if (in.name == name) return true;
  }
  return false;
}

template <typename T>
void write_values(JsonWriter& w, const Tensor& t) {
  const T* data = t.data<T>();
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    if constexpr (std::is_same_v<T, bool>) {
      w.boolean(data[i]);
    } else if constexpr (std::is_integral_v<T>) {
      // uint64 values above INT64_MAX would wrap; random inputs are 0..9.
      w.integer(static_cast<int64_t>(data[i]));
    } else if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
      w.number(static_cast<float>(data[i]));
    } else {
      w.number(static_cast<double>(data[i]));
    }
  }
}

void write_data(JsonWriter& w, const Tensor& t) {
  w.key("data").begin_array();
  visit_dtype<float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t,
              bool>(t.dtype(), [&](auto tag) { write_values<decltype(tag)>(w, t); });
  w.end_array();
}

void write_input(JsonWriter& w, const NamedTensor& in, bool binary) {
  w.begin_object().key("name").string(in.name);
  w.key("shape").begin_array();
  for (int64_t d : in.tensor.dims()) w.integer(d);
  w.end_array();
  w.key("datatype").string(serving::datatype_name(in.tensor.dtype()));
  if (binary) {
    w.key("parameters").begin_object().key("binary_data_size").integer(static_cast<int64_t>(in.tensor.byte_size()));
    w.end_object();
  } else {
    write_data(w, in.tensor);
  }
  w.end_object();
}

Result<std::string> string_field(element obj, const char* key, const std::string& where) {
  std::string_view v;
  if (obj[key].get(v) != simdjson::SUCCESS) return invalid_argument(str_cat(where, ": '", key, "' must be a string"));
  return std::string(v);
}

Result<serving::TensorMetadata> decode_tensor(element e, const std::string& where) {
  if (!e.is_object()) return invalid_argument(str_cat(where, " must be an object"));
  serving::TensorMetadata t;
  EDGE_ASSIGN_OR_RETURN(t.name, string_field(e, "name", where));
  EDGE_ASSIGN_OR_RETURN(t.datatype, string_field(e, "datatype", where));
  simdjson::dom::array shape;
  if (e["shape"].get(shape) != simdjson::SUCCESS) return invalid_argument(str_cat(where, ": 'shape' must be an array"));
  for (element d : shape) {
    int64_t v = 0;
    if (d.get(v) != simdjson::SUCCESS) return invalid_argument(str_cat(where, ": 'shape' must hold integers"));
    t.shape.push_back(v);
  }
  return t;
}

Result<std::vector<serving::TensorMetadata>> decode_tensors(element root, const char* key) {
  std::vector<serving::TensorMetadata> out;
  simdjson::dom::array list;
  if (root[key].get(list) != simdjson::SUCCESS) return out;  // optional: a model may list none
  for (element e : list) {
    EDGE_ASSIGN_OR_RETURN(serving::TensorMetadata t, decode_tensor(e, str_cat(key, "[", out.size(), "]")));
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

Result<std::vector<InputShape>> resolve_perf_shapes(const std::vector<serving::TensorMetadata>& inputs, int64_t batch,
                                                     const std::vector<ShapeOverride>& overrides) {
  for (const ShapeOverride& o : overrides) {
    if (!has_input(inputs, o.input)) return invalid_argument(str_cat("--shape: the model has no input '", o.input, "'"));
  }
  std::vector<InputShape> shapes;
  bool used_batch = false;
  for (const serving::TensorMetadata& in : inputs) {
    const std::optional<DType> dtype = serving::parse_datatype(in.datatype);
    if (!dtype) return invalid_argument(str_cat("input '", in.name, "' has unknown datatype '", in.datatype, "'"));
    InputShape s{in.name, *dtype, {}};
    if (const ShapeOverride* given = find_override(overrides, in.name)) {
      s.dims = given->dims;
    } else {
      EDGE_ASSIGN_OR_RETURN(s.dims, metadata_dims(in, batch, &used_batch));
    }
    shapes.push_back(std::move(s));
  }
  if (batch != 1 && !used_batch) {
    return invalid_argument(str_cat("--batch ", batch, ": no input has a variable (-1) first dim to take it"));
  }
  return shapes;
}

Result<std::vector<NamedTensor>> make_perf_inputs(const serving::ModelMetadata& metadata, int64_t batch,
                                                  const std::vector<ShapeOverride>& overrides, uint64_t seed) {
  if (metadata.inputs.empty()) return invalid_argument(str_cat("model '", metadata.name, "' lists no inputs"));
  EDGE_ASSIGN_OR_RETURN(std::vector<InputShape> shapes, resolve_perf_shapes(metadata.inputs, batch, overrides));
  return random_inputs(shapes, seed);
}

HttpInferBody encode_http_infer_body(const std::vector<NamedTensor>& inputs, bool binary_inputs) {
  JsonWriter w;
  w.begin_object().key("inputs").begin_array();
  for (const NamedTensor& in : inputs) write_input(w, in, binary_inputs);
  w.end_array();
  w.key("parameters").begin_object().key("binary_data_output").boolean(true).end_object();
  w.end_object();
  HttpInferBody out{w.str(), std::nullopt};
  if (binary_inputs) {
    out.json_length = out.body.size();
    for (const NamedTensor& in : inputs) {
      out.body.append(static_cast<const char*>(in.tensor.raw_data()), in.tensor.byte_size());
    }
  }
  return out;
}

Result<serving::ModelMetadata> decode_model_metadata_json(std::string_view json) {
  simdjson::dom::parser parser;
  element root;
  if (auto err = parser.parse(json.data(), json.size()).get(root); err != simdjson::SUCCESS) {
    return invalid_argument(str_cat("model metadata is not valid JSON: ", simdjson::error_message(err)));
  }
  if (!root.is_object()) return invalid_argument("model metadata must be a JSON object");
  serving::ModelMetadata m;
  EDGE_ASSIGN_OR_RETURN(m.name, string_field(root, "name", "model metadata"));
  std::string_view platform;
  if (root["platform"].get(platform) == simdjson::SUCCESS) m.platform = std::string(platform);
  simdjson::dom::array versions;
  if (root["versions"].get(versions) == simdjson::SUCCESS) {
    for (element v : versions) {
      std::string_view s;
      if (v.get(s) == simdjson::SUCCESS) m.versions.emplace_back(s);
    }
  }
  EDGE_ASSIGN_OR_RETURN(m.inputs, decode_tensors(root, "inputs"));
  EDGE_ASSIGN_OR_RETURN(m.outputs, decode_tensors(root, "outputs"));
  return m;
}

std::string decode_error_body(std::string_view body) {
  simdjson::dom::parser parser;
  element root;
  std::string_view message;
  if (parser.parse(body.data(), body.size()).get(root) == simdjson::SUCCESS && root.is_object() &&
      root["error"].get(message) == simdjson::SUCCESS) {
    return std::string(message);
  }
  if (body.empty()) return "(empty body)";
  return std::string(body.substr(0, 200));
}

}  // namespace edgeserve::cli
