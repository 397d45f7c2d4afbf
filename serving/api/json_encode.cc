// Encodes infer responses, errors and metadata as Open Inference Protocol JSON. The envelope goes
// through JsonWriter; tensor data, the hot path, is written with std::to_chars straight into the
// body, and binary outputs are appended raw after the JSON (Triton's binary extension).
#include <simdjson.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "common/json_writer.h"
#include "serving/api/json_codec.h"

namespace edgeserve::serving {

namespace {

static_assert(std::endian::native == std::endian::little, "the binary extension is little-endian");

// Text for JsonWriter, which passes bytes >= 0x80 through: a string that is not valid UTF-8 is
// re-encoded as if it were Latin-1, so the JSON stays valid (the same mapping as \u00XX).
std::string utf8_text(std::string_view s) {
  if (simdjson::validate_utf8(s.data(), s.size())) return std::string(s);
  std::string out;
  out.reserve(s.size() * 2);
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80) {
      out += c;
    } else {
      out += static_cast<char>(0xC0 | (u >> 6));
      out += static_cast<char>(0x80 | (u & 0x3F));
    }
  }
  return out;
}

void append_hex_escape(std::string& out, unsigned char u) {
  static constexpr char kHex[] = "0123456789abcdef";
  const char buf[6] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 0xF]};
  out.append(buf, 6);
}

// One BYTES element as a JSON string; see the header for the non-UTF-8 rule.
void append_bytes_string(std::string& out, std::string_view s) {
  const bool escape_high = !simdjson::validate_utf8(s.data(), s.size());
  out += '"';
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || (escape_high && u >= 0x80)) {
      append_hex_escape(out, u);
    } else {
      out += c;
    }
  }
  out += '"';
}

// Longest text one element can take, comma excluded: 24 for a double ("-2.2250738585072014e-308"),
// 20 for an int64, 15 for a float, 11 for "\"-Infinity\"".
template <typename T>
constexpr size_t kMaxElementChars = sizeof(T) == 8 ? 24 : 16;

template <typename T>
char* write_element(char* p, char* end, T v) {
  if constexpr (std::is_same_v<T, bool>) {
    const std::string_view text = v ? "true" : "false";
    std::memcpy(p, text.data(), text.size());
    return p + text.size();
  } else if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    return write_element(p, end, static_cast<float>(v));
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(v)) {  // JSON has no NaN or infinity: the strings the decoder accepts back
      const std::string_view text = std::isnan(v) ? "\"NaN\"" : v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
      std::memcpy(p, text.data(), text.size());
      return p + text.size();
    }
    if (v == 0 && std::signbit(v)) {  // "-0" would read back as the integer 0, losing the sign
      std::memcpy(p, "-0.0", 4);
      return p + 4;
    }
    // Shortest text that reads back to the same value. Past 1e15 the shortest form can be a
    // bare integer wider than 64 bits (1.2345678901234568e20 -> "123456789012345680000"), which
    // JSON parsers reject or round: scientific keeps it a float.
    if (std::fabs(v) >= T(1e15)) return std::to_chars(p, end, v, std::chars_format::scientific).ptr;
    return std::to_chars(p, end, v).ptr;
  } else {
    return std::to_chars(p, end, v).ptr;
  }
}

template <typename T>
void append_numbers(std::string& out, const T* values, int64_t n) {
  const size_t start = out.size();
  out.resize(start + static_cast<size_t>(n) * (kMaxElementChars<T> + 1) + 2);
  char* p = out.data() + start;
  char* const end = out.data() + out.size();
  *p++ = '[';
  for (int64_t i = 0; i < n; ++i) {
    if (i > 0) *p++ = ',';
    p = write_element(p, end, values[i]);
  }
  *p++ = ']';
  out.resize(static_cast<size_t>(p - out.data()));
}

void append_json_data(std::string& out, const Tensor& t) {
  if (t.dtype() == DType::kString) {
    const auto* s = t.data<std::string>();
    out += '[';
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      if (i > 0) out += ',';
      append_bytes_string(out, s[i]);
    }
    out += ']';
    return;
  }
  const bool known = visit_dtype<float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t,
                                 uint16_t, uint32_t, uint64_t, bool>(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    append_numbers(out, t.data<T>(), t.num_elements());
  });
  if (!known) out += "[]";  // an undefined tensor: nothing to write
}

// BYTES in the binary extension: each element is a 4-byte little-endian length, then its bytes.
void append_binary_strings(std::string& out, const Tensor& t) {
  const auto* s = t.data<std::string>();
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    const auto len = static_cast<uint32_t>(s[i].size());
    const char prefix[4] = {static_cast<char>(len), static_cast<char>(len >> 8), static_cast<char>(len >> 16),
                            static_cast<char>(len >> 24)};
    out.append(prefix, 4);
    out += s[i];
  }
}

size_t binary_size(const Tensor& t) {
  if (t.dtype() != DType::kString) return t.byte_size();
  size_t size = 0;
  const auto* s = t.data<std::string>();
  for (int64_t i = 0; i < t.num_elements(); ++i) size += 4 + s[i].size();
  return size;
}

void append_binary(std::string& out, const Tensor& t) {
  if (t.dtype() == DType::kString) {
    append_binary_strings(out, t);
  } else if (t.byte_size() > 0) {
    out.append(static_cast<const char*>(t.raw_data()), t.byte_size());
  }
}

void write_shape(JsonWriter& w, const Dims& dims) {
  w.begin_array();
  for (int64_t d : dims) w.integer(d);
  w.end_array();
}

// One entry of "outputs"; binary outputs carry their size instead of "data".
void append_output(std::string& out, const NamedTensor& output, bool binary) {
  JsonWriter w;
  w.begin_object().key("name").string(utf8_text(output.name));
  w.key("datatype").string(datatype_name(output.tensor.dtype())).key("shape");
  write_shape(w, output.tensor.dims());
  if (binary) {
    w.key("parameters").begin_object().key("binary_data_size");
    w.integer(static_cast<int64_t>(binary_size(output.tensor))).end_object().end_object();
    out += w.str();
    return;
  }
  // The writer's text so far is the object left open; the data array is appended by hand.
  out += w.str();
  out += ",\"data\":";
  append_json_data(out, output.tensor);
  out += '}';
}

bool is_binary(const InferResponse& response, size_t i) {
  return i < response.binary.size() && response.binary[i];
}

void write_tensor_metadata(JsonWriter& w, const std::vector<TensorMetadata>& tensors) {
  w.begin_array();
  for (const TensorMetadata& t : tensors) {
    w.begin_object().key("name").string(utf8_text(t.name)).key("datatype").string(t.datatype).key("shape");
    write_shape(w, t.shape);
    w.end_object();
  }
  w.end_array();
}

}  // namespace

EncodedBody encode_infer_response(const InferResponse& response) {
  JsonWriter head;
  head.begin_object().key("model_name").string(utf8_text(response.model_name));
  head.key("model_version").string(utf8_text(response.model_version));
  if (!response.id.empty()) head.key("id").string(utf8_text(response.id));
  head.key("outputs").begin_array();
  EncodedBody encoded;
  std::string& out = encoded.body;
  out = head.str();
  size_t binary_bytes = 0;
  bool any_binary = false;
  for (size_t i = 0; i < response.outputs.size(); ++i) {
    if (i > 0) out += ',';
    const bool binary = is_binary(response, i);
    append_output(out, response.outputs[i], binary);
    if (binary) binary_bytes += binary_size(response.outputs[i].tensor);
    any_binary |= binary;
  }
  out += "]}";
  // Even when every binary output is empty the header is sent: the client expects the extension.
  if (!any_binary) return encoded;
  encoded.json_length = out.size();
  encoded.content_type = "application/octet-stream";
  out.reserve(out.size() + binary_bytes);
  for (size_t i = 0; i < response.outputs.size(); ++i) {
    if (is_binary(response, i)) append_binary(out, response.outputs[i].tensor);
  }
  return encoded;
}

std::string encode_error(std::string_view message) {
  JsonWriter w;
  w.begin_object().key("error").string(utf8_text(message)).end_object();
  return w.str();
}

std::string encode_server_metadata(const ServerMetadata& metadata) {
  JsonWriter w;
  w.begin_object().key("name").string(utf8_text(metadata.name)).key("version").string(utf8_text(metadata.version));
  w.key("extensions").begin_array();
  for (const std::string& e : metadata.extensions) w.string(utf8_text(e));
  w.end_array().end_object();
  return w.str();
}

std::string encode_model_metadata(const ModelMetadata& metadata) {
  JsonWriter w;
  w.begin_object().key("name").string(utf8_text(metadata.name)).key("versions").begin_array();
  for (const std::string& v : metadata.versions) w.string(utf8_text(v));
  w.end_array().key("platform").string(utf8_text(metadata.platform));
  w.key("inputs");
  write_tensor_metadata(w, metadata.inputs);
  w.key("outputs");
  write_tensor_metadata(w, metadata.outputs);
  w.end_object();
  return w.str();
}

}  // namespace edgeserve::serving
