// KServe v2 datatype names <-> DType. BF16 is Triton's extension of the protocol; BYTES carries
// kString tensors (arbitrary byte strings).
#include <array>
#include <utility>

#include "serving/api/infer_types.h"

namespace edgeserve::serving {

namespace {

// One table serves both directions so a name cannot be parsed without also being written.
constexpr std::array<std::pair<DType, std::string_view>, 14> kDatatypeNames = {{
    {DType::kBool, "BOOL"},
    {DType::kUint8, "UINT8"},
    {DType::kUint16, "UINT16"},
    {DType::kUint32, "UINT32"},
    {DType::kUint64, "UINT64"},
    {DType::kInt8, "INT8"},
    {DType::kInt16, "INT16"},
    {DType::kInt32, "INT32"},
    {DType::kInt64, "INT64"},
    {DType::kFloat16, "FP16"},
    {DType::kFloat32, "FP32"},
    {DType::kFloat64, "FP64"},
    {DType::kString, "BYTES"},
    {DType::kBFloat16, "BF16"},
}};

}  // namespace

std::optional<DType> parse_datatype(std::string_view name) {
  for (const auto& [dtype, text] : kDatatypeNames) {
    if (text == name) return dtype;
  }
  return std::nullopt;
}

const char* datatype_name(DType dtype) {
  for (const auto& [d, text] : kDatatypeNames) {
    if (d == dtype) return text.data();  // the literals are NUL-terminated
  }
  return "";
}

}  // namespace edgeserve::serving
