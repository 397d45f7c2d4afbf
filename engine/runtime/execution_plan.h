// ExecutionPlan: the compiled form of a graph — one kernel per node in topological order, plus
// the bookkeeping that lets a run free each intermediate tensor after its last use.
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
  // Chooses a kernel for every node from `providers` (first that supports it wins).
  static Result<std::unique_ptr<ExecutionPlan>> create(std::shared_ptr<const Graph> graph,
                                                       const std::vector<const ExecutionProvider*>& providers,
                                                       int64_t max_tensor_bytes);

  // Runs with tensors for graph->inputs (same order; already validated). Returns graph outputs.
  // With a profile, appends one timed entry per step (see RunProfile); without, reads no clock.
  Result<std::vector<Tensor>> run(const std::vector<Tensor>& inputs, RunProfile* profile = nullptr) const;

 private:
  struct Step {
    const Node* node;
    std::unique_ptr<Kernel> kernel;
    std::vector<int> release_after;  // value indices whose last use is this step
  };
  ExecutionPlan() = default;
  void plan_releases();
  std::vector<Tensor> initial_slots(const std::vector<Tensor>& inputs) const;
  Status run_step(const Step& step, std::vector<Tensor>& slots, RunProfile* profile) const;
  Status run_step_timed(const Step& step, std::vector<Tensor>& slots, RunProfile& profile) const;

  std::shared_ptr<const Graph> graph_;
  std::vector<Step> steps_;
  int64_t max_tensor_bytes_ = kDefaultMaxTensorBytes;
};

}  // namespace edgeserve
