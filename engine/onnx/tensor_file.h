// Tensor files used by the CLI and tests: ONNX TensorProto (.pb) and NumPy (.npy).
#pragma once

#include <string>

#include "common/status.h"
#include "engine/ir/graph.h"
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

// Value files for any declared type: a tensor as above, a sequence as an ONNX SequenceProto of
// TensorProtos, an optional as an OptionalProto (empty, or holding a tensor or a sequence).
// These are the formats of the ONNX backend test data.
Result<NamedTensor> read_value_file(const std::string& path, const TensorType& type);
Status write_value_file(const std::string& path, const std::string& name, const Tensor& value, const TensorType& type);

}  // namespace edgeserve
