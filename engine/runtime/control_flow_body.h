// What the control-flow kernels share: a subgraph compiled into a child plan, and how a node's
// implicit (outer-scope) inputs are passed on to it.
#pragma once

#include <memory>
#include <vector>

#include "engine/ep/execution_provider.h"
#include "engine/runtime/execution_plan.h"

namespace edgeserve {

// A subgraph compiled into a plan: `formal_inputs` of its inputs are the op's own (iteration
// count, state, scan slices, ...); the rest are the node's implicit inputs, in order.
struct Body {
  std::shared_ptr<const ExecutionPlan> plan;
  std::shared_ptr<const Graph> graph;
  size_t formal_inputs = 0;
  size_t outputs = 0;

  // Runs the plan on `inputs` followed by the node's implicit inputs from `ctx`.
  Result<std::vector<Tensor>> run(std::vector<Tensor> inputs, const KernelContext& ctx) const;
};

struct BuildContext {
  const std::vector<const ExecutionProvider*>& providers;
  int64_t max_tensor_bytes;
};

// Compiles the graph attribute `attr` of `node`.
Result<Body> build_body(const Node& node, const char* attr, const BuildContext& bc);
// The node's inputs other than the implicit ones.
inline size_t num_formal_inputs(const Node& node) { return node.inputs.size() - node.implicit_inputs; }
// Fails when one of the node's formal inputs from `first` on is omitted ("" in the model): the
// kernels read those unconditionally.
Status check_inputs_present(const Node& node, size_t first);
// A one-element bool tensor's value.
Result<bool> read_condition(const Tensor& t, const char* what);
// Sets the node's outputs from outputs[first...].
Status publish(KernelContext& ctx, std::vector<Tensor> outputs, size_t first = 0);

Result<std::unique_ptr<Kernel>> make_scan(const Node& node, const BuildContext& bc);
Result<std::unique_ptr<Kernel>> make_sequence_map(const Node& node, const BuildContext& bc);

}  // namespace edgeserve
