// Input shapes and seeded random input tensors for `edgeserve bench`: the model's declared dims,
// with the first symbolic dim of each input set to the batch size and whole shapes overridable
// by --shape NAME=DIMS. bench/ort_bench.mjs resolves shapes by the same rules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "edgeserve/session.h"

namespace edgeserve::cli {

// One --shape NAME=DIMS option, e.g. "images=1x3x416x416".
struct ShapeOverride {
  std::string input;
  Dims dims;
};

struct InputShape {
  std::string name;
  DType dtype = DType::kUndefined;
  Dims dims;
};

// Parses NAME=DIMS with DIMS like 1x3x224x224 (each dim >= 0); "NAME=" is a scalar.
Result<ShapeOverride> parse_shape_override(std::string_view text);

// Concrete dims for each model input, in declaration order. Known dims stay; the first symbolic
// (or unknown) dim of an input becomes `batch`; an override replaces the input's whole shape.
// Errors name the input and dim: a second symbolic dim, unknown rank without an override, an
// override naming no input, or a batch other than 1 when no input has a symbolic dim to take it.
Result<std::vector<InputShape>> resolve_input_shapes(const std::vector<TensorInfo>& inputs, int64_t batch,
                                                     const std::vector<ShapeOverride>& overrides);

// Random tensors of each input's dtype and dims from a generator seeded with `seed`: floats
// uniform in [-1, 1], integers in [0, 9] (valid as small indices or ids), bools 0/1.
// Fails for string inputs and for tensors over `max_tensor_bytes`.
Result<std::vector<NamedTensor>> random_inputs(const std::vector<InputShape>& shapes, uint64_t seed,
                                               int64_t max_tensor_bytes = kDefaultMaxTensorBytes);

}  // namespace edgeserve::cli
