// Element types of tensors. The numbering follows ONNX TensorProto.DataType so that import is a
// checked cast, but nothing outside engine/onnx depends on that.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "common/float16.h"

namespace edgeserve {

enum class DType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUint32 = 12,
  kUint64 = 13,
  kBFloat16 = 16,
};

// Size of one element in bytes; 0 for kString (held as std::string) and kUndefined.
size_t dtype_size(DType t);
// Lower-case name as in ONNX ("float32", "int64", ...).
const char* dtype_name(DType t);
// Parses the numeric ONNX code; returns kUndefined for codes edgeserve does not support.
DType dtype_from_onnx(int32_t code);
bool is_float_dtype(DType t);   // float16, bfloat16, float32, float64
bool is_integer_dtype(DType t); // signed or unsigned integers, not bool

// The C++ element type stored for each DType. bool is stored as one byte.
template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kFloat32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::kFloat64; };
template <> struct DTypeOf<Float16> { static constexpr DType value = DType::kFloat16; };
template <> struct DTypeOf<BFloat16> { static constexpr DType value = DType::kBFloat16; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kInt8; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::kInt16; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kUint8; };
template <> struct DTypeOf<uint16_t> { static constexpr DType value = DType::kUint16; };
template <> struct DTypeOf<uint32_t> { static constexpr DType value = DType::kUint32; };
template <> struct DTypeOf<uint64_t> { static constexpr DType value = DType::kUint64; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };
template <> struct DTypeOf<std::string> { static constexpr DType value = DType::kString; };

template <typename T>
inline constexpr DType dtype_of = DTypeOf<T>::value;

// Calls f(T{}) with the C++ type of `t` if it is one of Ts; returns false otherwise.
// Used by kernels to instantiate one template per supported element type:
//   bool ok = visit_dtype<float, double>(x.dtype(), [&](auto tag) { using T = decltype(tag); ... });
template <typename... Ts, typename F>
bool visit_dtype(DType t, F&& f) {
  bool matched = false;
  ((!matched && t == dtype_of<Ts> ? (f(Ts{}), matched = true) : false), ...);
  return matched;
}

}  // namespace edgeserve
