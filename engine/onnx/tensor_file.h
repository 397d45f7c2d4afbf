// Tensor files used by the CLI and tests: ONNX TensorProto (.pb) and NumPy (.npy).
#pragma once

#include <string>

#include "common/status.h"
#include "engine/ir/tensor.h"

namespace edgeserve {

// Largest tensor file read (bytes); larger files are refused before reading.
inline constexpr int64_t kMaxTensorFileBytes = int64_t{2} << 30;

// Reads a .npy file (by its magic bytes) or else a serialized TensorProto. The name is the
// TensorProto's name ("" for .npy or an unnamed proto).
Result<NamedTensor> read_tensor_file(const std::string& path);
// Parses serialized TensorProto bytes.
Result<NamedTensor> parse_tensor_proto(const std::string& bytes, const std::string& what);
// Writes a serialized TensorProto with name, dims, data_type and raw_data.
Status write_tensor_file(const std::string& path, const std::string& name, const Tensor& t);

}  // namespace edgeserve
