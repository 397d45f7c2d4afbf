// Recognises GELU in the Erf form exporters write, x * 0.5 * (1 + erf(x / sqrt(2))), as
//   Div(x, 1.4142) or Mul(x, 0.7071) -> Erf -> Add(1) -> Mul(x, .) -> Mul(0.5)
// or with the 0.5 applied to x first: Mul(Mul(x, 0.5), 1 + erf(...)). Every intermediate must
// feed only the next node of the pattern. Used by activation fusion.
#pragma once

#include <optional>
#include <vector>

#include "engine/ir/graph.h"

namespace edgeserve {

struct GeluMatch {
  Node* last;                  // the node whose output is GELU(x)
  std::vector<Node*> nodes;    // all nodes of the pattern
};

std::optional<GeluMatch> match_gelu_erf(const Graph& graph, const Value* x);

}  // namespace edgeserve
