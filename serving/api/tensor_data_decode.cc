// Element-by-element decoding of request tensor data: JSON values converted to the tensor's dtype
// with type and range checks, and the binary extension's raw bytes copied (never reinterpreted in
// place: the body has no alignment guarantee).
#include "serving/api/tensor_data_decode.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "common/strings.h"
#include "serving/api/infer_types.h"

namespace edgeserve::serving {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// The binary extension sends tensors in little-endian order; a memcpy is only correct on a host
// of the same order.
static_assert(std::endian::native == std::endian::little, "add a byte swap for big-endian hosts");

enum class ElementError { kNone, kWrongType, kNotInteger, kInexact, kOutOfRange, kTooLarge };

// Doubles beyond 2^53 are not all integers a client meant: 1e19 may be a rounded value.
constexpr double kMaxExactDouble = 9007199254740992.0;

template <typename T>
ElementError to_integer(element e, T& out) {
  switch (e.type()) {
    case element_type::INT64: {
      const int64_t v = e.get_int64().value_unsafe();
      if (!std::in_range<T>(v)) return ElementError::kOutOfRange;
      out = static_cast<T>(v);
      return ElementError::kNone;
    }
    case element_type::UINT64: {  // only values above INT64_MAX land here
      const uint64_t v = e.get_uint64().value_unsafe();
      if (!std::in_range<T>(v)) return ElementError::kOutOfRange;
      out = static_cast<T>(v);
      return ElementError::kNone;
    }
    case element_type::DOUBLE: {  // clients that print 3.0 for an integer are common
      const double d = e.get_double().value_unsafe();
      if (!std::isfinite(d) || std::trunc(d) != d) return ElementError::kNotInteger;
      if (std::fabs(d) > kMaxExactDouble) return ElementError::kInexact;
      const auto v = static_cast<int64_t>(d);
      if (!std::in_range<T>(v)) return ElementError::kOutOfRange;
      out = static_cast<T>(v);
      return ElementError::kNone;
    }
    default:
      return ElementError::kWrongType;
  }
}

// A JSON number, or one of the strings the encoder writes for non-finite values.
bool json_to_double(element e, double& out) {
  switch (e.type()) {
    case element_type::INT64: out = static_cast<double>(e.get_int64().value_unsafe()); return true;
    case element_type::UINT64: out = static_cast<double>(e.get_uint64().value_unsafe()); return true;
    case element_type::DOUBLE: out = e.get_double().value_unsafe(); return true;
    case element_type::STRING: {
      const std::string_view s = e.get_string().value_unsafe();
      if (s == "NaN") out = std::nan("");
      else if (s == "Infinity") out = INFINITY;
      else if (s == "-Infinity") out = -INFINITY;
      else return false;
      return true;
    }
    default:
      return false;
  }
}

template <typename T>
ElementError to_float(element e, T& out) {
  double d = 0;
  if (!json_to_double(e, d)) return ElementError::kWrongType;
  if constexpr (std::is_same_v<T, double>) {
    out = d;
  } else {
    out = T(static_cast<float>(d));
    // A finite value that rounds to infinity is outside the type's range, not a request for inf.
    if (std::isfinite(d) && !std::isfinite(static_cast<float>(out))) return ElementError::kOutOfRange;
  }
  return ElementError::kNone;
}

const char* expected_kind(DType dtype) {
  if (dtype == DType::kBool) return "true or false";
  if (dtype == DType::kString) return "a string";
  if (is_float_dtype(dtype)) return "a number";
  return "an integer";
}

struct LeafContext {
  std::string_view name;
  const Tensor& tensor;
  int64_t max_string_bytes;
};

Status element_status(const LeafContext& ctx, element e, int64_t index, ElementError err) {
  const char* type = datatype_name(ctx.tensor.dtype());
  std::string value = simdjson::minify(e);
  if (value.size() > 40) value = value.substr(0, 40) + "...";
  const std::string where = str_cat("input '", ctx.name, "': data element ", index, " (", value, ")");
  switch (err) {
    case ElementError::kWrongType:
      return invalid_argument(str_cat(where, " is not ", expected_kind(ctx.tensor.dtype()), " as ", type, " needs"));
    case ElementError::kNotInteger:
      return invalid_argument(str_cat(where, " is not an integer, as ", type, " needs"));
    case ElementError::kInexact:
      return invalid_argument(str_cat(where, " is a float beyond 2^53 that cannot convert exactly to ", type,
                                      "; write it as an integer"));
    case ElementError::kOutOfRange:
      return invalid_argument(str_cat(where, " is out of range for ", type));
    case ElementError::kTooLarge:
      return invalid_argument(str_cat("input '", ctx.name, "': the strings of its data exceed the ",
                                      ctx.max_string_bytes, "-byte limit per tensor"));
    case ElementError::kNone:
      break;
  }
  return Status::ok();
}

Status count_status(const LeafContext& ctx, const char* relation, int64_t count) {
  return invalid_argument(str_cat("input '", ctx.name, "': data has ", relation, count, " elements but shape ",
                                  dims_to_string(ctx.tensor.dims()), " needs ", ctx.tensor.num_elements()));
}

// Calls visit(leaf, flat_index) for every non-array value under `data`, depth first. Iterative so
// that a large configured depth limit cannot exhaust the thread's stack.
template <typename Visit>
Status for_each_leaf(element data, const LeafContext& ctx, Visit&& visit) {
  if (!data.is_array()) return invalid_argument(str_cat("input '", ctx.name, "': data must be an array"));
  using Iterator = simdjson::dom::array::iterator;
  std::vector<std::pair<Iterator, Iterator>> stack;
  const simdjson::dom::array root = data.get_array().value_unsafe();
  stack.emplace_back(root.begin(), root.end());
  const int64_t n = ctx.tensor.num_elements();
  int64_t index = 0;
  while (!stack.empty()) {
    auto& top = stack.back();
    if (!(top.first != top.second)) {
      stack.pop_back();
      continue;
    }
    const element e = *top.first;
    ++top.first;  // before emplace_back below invalidates `top`
    if (e.is_array()) {
      const simdjson::dom::array inner = e.get_array().value_unsafe();
      stack.emplace_back(inner.begin(), inner.end());
      continue;
    }
    if (index == n) return count_status(ctx, "more than ", n);
    const ElementError err = visit(e, index);
    if (err != ElementError::kNone) return element_status(ctx, e, index, err);
    ++index;
  }
  if (index != n) return count_status(ctx, "", index);
  return Status::ok();
}

Status fill_strings_from_json(element data, const LeafContext& ctx, Tensor& tensor) {
  auto* out = tensor.mutable_data<std::string>();
  int64_t total_bytes = 0;
  return for_each_leaf(data, ctx, [&](element e, int64_t i) {
    if (!e.is_string()) return ElementError::kWrongType;
    const std::string_view s = e.get_string().value_unsafe();
    total_bytes += static_cast<int64_t>(s.size());
    if (total_bytes > ctx.max_string_bytes) return ElementError::kTooLarge;
    out[i].assign(s);
    return ElementError::kNone;
  });
}

Status fill_bools_from_json(element data, const LeafContext& ctx, Tensor& tensor) {
  bool* out = tensor.mutable_data<bool>();
  return for_each_leaf(data, ctx, [&](element e, int64_t i) {
    if (!e.is_bool()) return ElementError::kWrongType;
    out[i] = e.get_bool().value_unsafe();
    return ElementError::kNone;
  });
}

uint32_t load_u32_le(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}

Status fill_strings_from_binary(std::string_view bytes, std::string_view name, Tensor& tensor) {
  auto* out = tensor.mutable_data<std::string>();
  const int64_t n = tensor.num_elements();
  const auto where = [&](int64_t i) { return str_cat("input '", name, "': binary BYTES element ", i); };
  size_t pos = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (bytes.size() - pos < 4) {
      return invalid_argument(str_cat(where(i), " has no 4-byte length: binary_data_size ", bytes.size(),
                                      " ends first (shape ", dims_to_string(tensor.dims()), " needs ", n,
                                      " elements)"));
    }
    const uint32_t length = load_u32_le(bytes.data() + pos);
    pos += 4;
    if (length > bytes.size() - pos) {
      return invalid_argument(str_cat(where(i), " has length ", length, ", past the end of binary_data_size ",
                                      bytes.size()));
    }
    out[i].assign(bytes.data() + pos, length);
    pos += length;
  }
  if (pos != bytes.size()) {
    return invalid_argument(str_cat("input '", name, "': binary BYTES data has ", bytes.size() - pos,
                                    " bytes left after the ", n, " elements of shape ",
                                    dims_to_string(tensor.dims())));
  }
  return Status::ok();
}

}  // namespace

Status fill_tensor_from_json(element data, std::string_view name, int64_t max_string_bytes, Tensor& tensor) {
  const LeafContext ctx{name, tensor, max_string_bytes};
  const DType dtype = tensor.dtype();
  if (dtype == DType::kString) return fill_strings_from_json(data, ctx, tensor);
  if (dtype == DType::kBool) return fill_bools_from_json(data, ctx, tensor);
  Status status = invalid_argument(str_cat("input '", name, "': datatype ", datatype_name(dtype),
                                           " cannot be decoded from JSON"));
  visit_dtype<float, double, Float16, BFloat16>(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* out = tensor.mutable_data<T>();
    status = for_each_leaf(data, ctx, [out](element e, int64_t i) { return to_float(e, out[i]); });
  });
  visit_dtype<int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t>(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* out = tensor.mutable_data<T>();
    status = for_each_leaf(data, ctx, [out](element e, int64_t i) { return to_integer(e, out[i]); });
  });
  return status;
}

Status fill_tensor_from_binary(std::string_view bytes, std::string_view name, Tensor& tensor) {
  if (tensor.dtype() == DType::kString) return fill_strings_from_binary(bytes, name, tensor);
  if (bytes.size() != tensor.byte_size()) {  // the caller checks this against the shape first
    return internal_error(str_cat("input '", name, "': binary slice of ", bytes.size(), " bytes for a tensor of ",
                                  tensor.byte_size()));
  }
  if (tensor.dtype() == DType::kBool) {
    // Any other byte would be an invalid bool object once the tensor is read.
    for (size_t i = 0; i < bytes.size(); ++i) {
      if (static_cast<unsigned char>(bytes[i]) > 1) {
        return invalid_argument(str_cat("input '", name, "': binary BOOL element ", i, " is byte ",
                                        int{static_cast<unsigned char>(bytes[i])}, ", not 0 or 1"));
      }
    }
  }
  if (!bytes.empty()) std::memcpy(tensor.mutable_raw_data(), bytes.data(), bytes.size());
  return Status::ok();
}

}  // namespace edgeserve::serving
