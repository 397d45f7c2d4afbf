// Default pass pipeline.
#include "engine/passes/pipeline.h"

#include "engine/passes/constant_to_initializer.h"
#include "engine/passes/dead_node_elimination.h"

namespace edgeserve {

Status run_default_passes(Graph& graph) {
  EDGE_RETURN_IF_ERROR(constant_to_initializer(graph));
  EDGE_RETURN_IF_ERROR(eliminate_dead_nodes(graph));
  return graph.finalize();
}

}  // namespace edgeserve
