// Model export: writes an IR Model (typically after the optimisation passes) as a standard ONNX
// file that edgeserve and other runtimes load back. Fused nodes keep their `edgeserve` domain,
// which is added to opset_import (version 1); every value's static type is written as value_info
// so that a reader needs no schema for the fused ops to know their output types.
#pragma once

#include <string>

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

inline constexpr int64_t kEdgeserveDomainVersion = 1;

// Serialized ModelProto. Fails (naming the node) for graph-valued attributes, which export
// does not write yet.
Result<std::string> export_model_bytes(const Model& model);
Status export_model_file(const Model& model, const std::string& path);

}  // namespace edgeserve
