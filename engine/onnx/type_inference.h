// Re-derives value types on the IR with ONNX's own shape inference. Import types only what the
// original file lets ONNX infer; once passes have folded shape computations into constants (a
// Reshape whose target is now a constant), the values downstream get known ranks and dims again,
// which the cpu provider needs to claim them.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

// Updates value types where inference knows more (a rank where none was known, a dim where one
// was unknown); never overwrites a known dim. Returns how many values gained information.
// Nodes ONNX cannot describe (graph attributes, sequences) are left out, their outputs kept as
// they are. Best effort: an inference failure leaves the types unchanged.
Result<int> refresh_value_types(Graph& graph, const std::map<std::string, int64_t>& opsets);

}  // namespace edgeserve
