// Kernel selection and sequential execution.
#include "engine/runtime/execution_plan.h"

#include <chrono>
#include <unordered_set>

#include "common/strings.h"

namespace edgeserve {

Result<std::unique_ptr<ExecutionPlan>> ExecutionPlan::create(std::shared_ptr<const Graph> graph,
                                                              const std::vector<const ExecutionProvider*>& providers,
                                                              int64_t max_tensor_bytes) {
  std::unique_ptr<ExecutionPlan> plan(new ExecutionPlan());
  plan->graph_ = std::move(graph);
  plan->max_tensor_bytes_ = max_tensor_bytes;
  for (const auto& node : plan->graph_->nodes()) {
    const ExecutionProvider* chosen = nullptr;
    for (const ExecutionProvider* p : providers) {
      if (p->supports(*node)) {
        chosen = p;
        break;
      }
    }
    if (chosen == nullptr) {
      return unimplemented(str_cat(node->describe(), ": operator '", node->op_type, "' of domain '",
                                   node->domain.empty() ? "ai.onnx" : node->domain, "' at opset ", node->opset,
                                   " is not supported"));
    }
    EDGE_ASSIGN_OR_RETURN(auto kernel, chosen->create_kernel(*node));
    plan->steps_.push_back(Step{node.get(), std::move(kernel), {}});
  }
  plan->plan_releases();
  return plan;
}

void ExecutionPlan::plan_releases() {
  std::unordered_set<const Value*> keep(graph_->outputs.begin(), graph_->outputs.end());
  std::vector<int> last_use(graph_->values().size(), -1);
  for (size_t s = 0; s < steps_.size(); ++s) {
    for (const Value* in : steps_[s].node->inputs) {
      if (in != nullptr) last_use[in->index] = static_cast<int>(s);
    }
  }
  for (const auto& v : graph_->values()) {
    if (last_use[v->index] >= 0 && !keep.count(v.get()) && !v->constant) {
      steps_[last_use[v->index]].release_after.push_back(v->index);
    }
  }
}

std::vector<Tensor> ExecutionPlan::initial_slots(const std::vector<Tensor>& inputs) const {
  std::vector<Tensor> slots(graph_->values().size());
  for (const auto& v : graph_->values()) {
    if (v->constant) slots[v->index] = *v->constant;
  }
  for (size_t i = 0; i < graph_->inputs.size(); ++i) slots[graph_->inputs[i]->index] = inputs[i];
  return slots;
}

Status ExecutionPlan::run_step(const Step& step, std::vector<Tensor>& slots, RunProfile* profile) const {
  const Node& node = *step.node;
  std::vector<const Tensor*> in(node.inputs.size(), nullptr);
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (node.inputs[i] != nullptr) in[i] = &slots[node.inputs[i]->index];
  }
  std::vector<Tensor> out(node.outputs.size());
  KernelContext ctx(node, std::move(in), &out, max_tensor_bytes_, profile);
  Status st = step.kernel->run(ctx);
  if (!st.is_ok()) return st.with_context(node.describe());
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    if (node.outputs[i] == nullptr) continue;
    if (!out[i].defined()) {
      return internal_error(str_cat(node.describe(), ": kernel did not produce output '", node.outputs[i]->name, "'"));
    }
    slots[node.outputs[i]->index] = std::move(out[i]);
  }
  for (int idx : step.release_after) slots[idx] = Tensor();
  return Status();
}

// Kept apart from run_step so that an unprofiled run reads no clock and allocates no strings.
Status ExecutionPlan::run_step_timed(const Step& step, std::vector<Tensor>& slots, RunProfile& profile) const {
  const Node& node = *step.node;
  const size_t first = profile.entries.size();
  profile.entries.push_back({node.name, node.domain.empty() ? node.op_type : node.domain + "." + node.op_type, 0, {}});
  const auto start = std::chrono::steady_clock::now();
  Status st = run_step(step, slots, &profile);
  const auto end = std::chrono::steady_clock::now();
  profile.entries[first].ms = std::chrono::duration<double, std::milli>(end - start).count();
  for (size_t i = first + 1; i < profile.entries.size(); ++i) {
    if (profile.entries[i].parent.empty()) profile.entries[i].parent = node.name;
  }
  return st;
}

Result<std::vector<Tensor>> ExecutionPlan::run(const std::vector<Tensor>& inputs, RunProfile* profile) const {
  std::vector<Tensor> slots = initial_slots(inputs);
  for (const Step& step : steps_) {
    EDGE_RETURN_IF_ERROR(profile != nullptr ? run_step_timed(step, slots, *profile) : run_step(step, slots, nullptr));
  }
  std::vector<Tensor> outputs;
  outputs.reserve(graph_->outputs.size());
  for (const Value* v : graph_->outputs) outputs.push_back(slots[v->index]);
  return outputs;
}

}  // namespace edgeserve
