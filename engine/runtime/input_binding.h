// Validation of caller-supplied inputs against the graph's declared inputs. This is a trust
// boundary: every mismatch is reported naming the tensor and what was expected.
#pragma once

#include <vector>

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

// Orders `given` to match graph.inputs, checking names, dtypes, ranks, static dims and that each
// symbolic dim takes one value across all inputs.
Result<std::vector<Tensor>> bind_inputs(const Graph& graph, const std::vector<NamedTensor>& given);

}  // namespace edgeserve
