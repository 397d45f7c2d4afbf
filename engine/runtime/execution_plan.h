// ExecutionPlan: the compiled form of a graph — kernels in topological order, each for one node
// or for a subgraph a provider compiled as a unit, plus the bookkeeping that lets a run free each
// intermediate tensor after its last use.
// Built once at session creation; run() is const and keeps all per-run state on its own stack,
// so concurrent runs are safe.
#pragma once

#include <memory>
#include <vector>

#include "common/status.h"
#include "engine/ep/execution_provider.h"
#include "engine/ep/run_profile.h"
#include "engine/ir/graph.h"

namespace edgeserve {

class ExecutionPlan {
 public:
  // Assigns every node to the first of `providers` that supports it; runs of consecutive nodes
  // assigned to a provider that compiles subgraphs become one step.
  static Result<std::unique_ptr<ExecutionPlan>> create(std::shared_ptr<const Graph> graph,
                                                       const std::vector<const ExecutionProvider*>& providers,
                                                       int64_t max_tensor_bytes);

  // Runs with tensors for graph->inputs (same order; already validated). Returns graph outputs.
  // With a profile, appends one timed entry per step (see RunProfile); without, reads no clock.
  Result<std::vector<Tensor>> run(const std::vector<Tensor>& inputs, RunProfile* profile = nullptr) const;

  // Provider name per step, in order ("cpu", "reference", ...), for `info` and tests.
  std::vector<std::string> step_providers() const;
  struct StepInfo {
    std::string name;      // node name, or the subgraph's description
    std::string provider;
    int nodes = 1;         // graph nodes the step runs
    int64_t arena_bytes = 0;
  };
  std::vector<StepInfo> step_infos() const;

 private:
  struct Step {
    const Node* node;  // a graph node, or a synthetic node standing for a compiled subgraph
    const ExecutionProvider* provider;
    int nodes;  // graph nodes this step runs
    std::unique_ptr<Kernel> kernel;
    std::vector<int> release_after;  // value indices whose last use is this step
    bool takes_containers = false;   // whether the op accepts sequence/optional inputs
  };
  ExecutionPlan() = default;
  Status add_node_step(const Node& node, const ExecutionProvider& provider);
  Status add_subgraph_step(const std::vector<const Node*>& nodes, const ExecutionProvider& provider);
  void plan_releases();
  std::vector<Tensor> initial_slots(const std::vector<Tensor>& inputs) const;
  Status run_step(const Step& step, std::vector<Tensor>& slots, RunProfile* profile) const;
  Status run_step_timed(const Step& step, std::vector<Tensor>& slots, RunProfile& profile) const;

  std::shared_ptr<const Graph> graph_;
  std::vector<std::unique_ptr<Node>> subgraph_nodes_;  // owns the synthetic nodes
  std::vector<Step> steps_;
  int64_t max_tensor_bytes_ = kDefaultMaxTensorBytes;
};

}  // namespace edgeserve
