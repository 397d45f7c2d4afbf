// ONNX model import: bytes or file -> engine IR (Model). Validates what the IR relies on
// (versions, tensor payloads, graph wiring) and reports problems naming the file, node and
// tensor. Static types come from the file's declarations, seeded by ONNX shape inference.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

// IR and opset ranges this importer accepts.
inline constexpr int64_t kMinIrVersion = 3;
inline constexpr int64_t kMaxIrVersion = 10;
inline constexpr int64_t kMinOnnxOpset = 7;
inline constexpr int64_t kMaxOnnxOpset = 17;
// Model files larger than this are refused before reading (protobuf's own hard limit is 2 GiB).
inline constexpr int64_t kMaxModelFileBytes = int64_t{2} << 30;

struct ImportOptions {
  // Make a fixed batch of 1 symbolic (engine/onnx/batch_rewrite.h), so the model runs batches.
  bool free_batch = false;
};

// Reads and imports a model file; external data is resolved relative to its directory.
Result<Model> import_model_file(const std::string& path, const ImportOptions& options = {});
// Imports serialized model bytes; `model_dir` enables external data ("" forbids it).
Result<Model> import_model_bytes(std::string_view bytes, const std::string& model_dir = "",
                                 const ImportOptions& options = {});

}  // namespace edgeserve
