// Kernel selection and sequential execution.
#include "engine/runtime/execution_plan.h"

#include <chrono>
#include <unordered_set>

#include "common/strings.h"

namespace edgeserve {

namespace {

const ExecutionProvider* choose_provider(const Node& node, const std::vector<const ExecutionProvider*>& providers) {
  for (const ExecutionProvider* p : providers) {
    if (p->supports(node)) return p;
  }
  return nullptr;
}

// Inputs: non-constant values read by the run but produced outside it, in first-use order.
// Outputs: values produced by the run and read after it or returned by the graph.
Subgraph describe_subgraph(const Graph& graph, const std::vector<const Node*>& nodes) {
  Subgraph sg;
  sg.nodes = nodes;
  std::unordered_set<const Node*> inside(nodes.begin(), nodes.end());
  std::unordered_set<const Value*> seen;
  for (const Node* n : nodes) {
    for (const Value* in : n->inputs) {
      if (in == nullptr || in->constant || inside.count(in->producer) || !seen.insert(in).second) continue;
      sg.inputs.push_back(in);
    }
  }
  std::unordered_set<const Value*> graph_outputs(graph.outputs.begin(), graph.outputs.end());
  for (const Node* n : nodes) {
    for (const Value* out : n->outputs) {
      if (out == nullptr) continue;
      bool read_outside = graph_outputs.count(out) != 0;
      for (const Node* c : out->consumers) read_outside = read_outside || !inside.count(c);
      if (read_outside) sg.outputs.push_back(out);
    }
  }
  return sg;
}

// Ops that accept sequence or optional inputs; every other kernel reads plain tensors only.
bool takes_containers(const Node& node) {
  static const std::unordered_set<std::string> kOps = {
      "Identity", "If", "Loop", "SequenceMap", "SequenceAt", "SequenceInsert", "SequenceErase", "SequenceLength",
      "ConcatFromSequence", "Optional", "OptionalHasElement", "OptionalGetElement"};
  return node.domain.empty() && kOps.count(node.op_type) != 0;
}

Status check_tensor_inputs(const Node& node, const std::vector<const Tensor*>& in) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != nullptr && in[i]->is_container()) {
      return invalid_argument(str_cat(node.describe(), ": input '", node.inputs[i]->name, "' is a ",
                                      in[i]->is_sequence() ? "sequence" : "empty optional", "; '", node.op_type,
                                      "' takes tensors"));
    }
  }
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<ExecutionPlan>> ExecutionPlan::create(std::shared_ptr<const Graph> graph,
                                                              const std::vector<const ExecutionProvider*>& providers,
                                                              int64_t max_tensor_bytes) {
  std::unique_ptr<ExecutionPlan> plan(new ExecutionPlan());
  plan->graph_ = std::move(graph);
  plan->max_tensor_bytes_ = max_tensor_bytes;
  // A run of consecutive nodes is contracted into one step; a contiguous stretch of a
  // topological order can never form a cycle with the nodes outside it.
  std::vector<const Node*> run;
  const ExecutionProvider* run_provider = nullptr;
  auto flush = [&]() -> Status {
    if (run.empty()) return Status::ok();
    Status st = plan->add_subgraph_step(run, *run_provider);
    run.clear();
    return st;
  };
  for (const auto& node : plan->graph_->nodes()) {
    const ExecutionProvider* chosen = choose_provider(*node, providers);
    if (chosen == nullptr) {
      return unimplemented(str_cat(node->describe(), ": operator '", node->op_type, "' of domain '",
                                   node->domain.empty() ? "ai.onnx" : node->domain, "' at opset ", node->opset,
                                   " is not supported"));
    }
    if (chosen != run_provider) EDGE_RETURN_IF_ERROR(flush());
    if (chosen->compiles_subgraphs()) {
      run.push_back(node.get());
      run_provider = chosen;
    } else {
      run_provider = nullptr;
      EDGE_RETURN_IF_ERROR(plan->add_node_step(*node, *chosen));
    }
  }
  EDGE_RETURN_IF_ERROR(flush());
  plan->plan_releases();
  return plan;
}

Status ExecutionPlan::add_node_step(const Node& node, const ExecutionProvider& provider) {
  EDGE_ASSIGN_OR_RETURN(auto kernel, provider.create_kernel(node));
  steps_.push_back(Step{&node, &provider, 1, std::move(kernel), {}, takes_containers(node)});
  return Status::ok();
}

Status ExecutionPlan::add_subgraph_step(const std::vector<const Node*>& nodes, const ExecutionProvider& provider) {
  Subgraph sg = describe_subgraph(*graph_, nodes);
  auto synthetic = std::make_unique<Node>();
  synthetic->name = str_cat(provider.name(), "_subgraph_", subgraph_nodes_.size(), " ('", nodes.front()->name,
                            "' .. '", nodes.back()->name, "', ", nodes.size(), " nodes)");
  synthetic->op_type = "Subgraph";
  synthetic->domain = "edgeserve";
  synthetic->opset = 1;
  for (const Value* v : sg.inputs) synthetic->inputs.push_back(const_cast<Value*>(v));
  for (const Value* v : sg.outputs) synthetic->outputs.push_back(const_cast<Value*>(v));
  EDGE_ASSIGN_OR_RETURN(auto kernel, provider.compile_subgraph(sg));
  steps_.push_back(Step{synthetic.get(), &provider, static_cast<int>(nodes.size()), std::move(kernel), {}});
  subgraph_nodes_.push_back(std::move(synthetic));
  return Status::ok();
}

std::vector<ExecutionPlan::StepInfo> ExecutionPlan::step_infos() const {
  std::vector<StepInfo> infos;
  for (const Step& s : steps_) infos.push_back({s.node->name, s.provider->name(), s.nodes, s.kernel->arena_bytes()});
  return infos;
}

std::vector<std::string> ExecutionPlan::step_providers() const {
  std::vector<std::string> names;
  for (const Step& s : steps_) names.push_back(s.provider->name());
  return names;
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
  if (!step.takes_containers) EDGE_RETURN_IF_ERROR(check_tensor_inputs(node, in));
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
