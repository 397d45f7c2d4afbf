// Conversion between ONNX TensorProto bytes and engine Tensors, including external data that
// must stay inside the model's directory. Only engine/onnx sees protobuf types; this header
// exposes the conversions in terms of serialized bytes and engine types.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "engine/ir/tensor.h"

namespace onnx {
class TensorProto;
}

namespace edgeserve {

struct NamedTensor;

// Where a TensorProto's external data may be read from.
struct ExternalDataPolicy {
  std::string model_dir;  // empty: external data is not allowed (model loaded from bytes)
};

// Converts a TensorProto. `what` names it in errors ("initializer 'w'").
Result<Tensor> tensor_from_proto(const onnx::TensorProto& proto, const ExternalDataPolicy& policy,
                                 const std::string& what);
// Fills a TensorProto (name, dims, data_type, raw_data or string_data) from a tensor.
void tensor_to_proto(const Tensor& t, const std::string& name, onnx::TensorProto* proto);

}  // namespace edgeserve
