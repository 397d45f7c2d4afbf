// Session: import -> passes -> execution plan, and run() with input validation.
#include "edgeserve/session.h"

#include "common/strings.h"
#include <sched.h>

#include <algorithm>

#include "engine/ep/cpu/cpu_provider.h"
#include "engine/ep/reference/reference_provider.h"
#include "engine/onnx/model_export.h"
#include "engine/onnx/model_import.h"
#include "engine/onnx/type_inference.h"
#include "engine/passes/pipeline.h"
#include "engine/runtime/control_flow.h"
#include "engine/runtime/execution_plan.h"
#include "engine/runtime/input_binding.h"

namespace edgeserve {

bool parse_provider(std::string_view name, Provider* out) {
  if (name == "reference") {
    *out = Provider::kReference;
    return true;
  }
  if (name == "cpu") {
    *out = Provider::kCpu;
    return true;
  }
  return false;
}

const char* provider_name(Provider p) {
  switch (p) {
    case Provider::kReference: return "reference";
    case Provider::kCpu: return "cpu";
  }
  return "unknown";
}

bool parse_conv_algorithm(std::string_view name, ConvAlgorithm* out) {
  for (ConvAlgorithm a : {ConvAlgorithm::kMeasure, ConvAlgorithm::kDirect, ConvAlgorithm::kWinograd}) {
    if (name == conv_algorithm_name(a)) {
      *out = a;
      return true;
    }
  }
  return false;
}

const char* conv_algorithm_name(ConvAlgorithm a) {
  switch (a) {
    case ConvAlgorithm::kMeasure: return "measure";
    case ConvAlgorithm::kDirect: return "direct";
    case ConvAlgorithm::kWinograd: return "winograd";
  }
  return "unknown";
}

bool parse_activation_layout(std::string_view name, ActivationLayout* out) {
  for (ActivationLayout l : {ActivationLayout::kMeasure, ActivationLayout::kAuto, ActivationLayout::kBlocked16}) {
    if (name == activation_layout_name(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

const char* activation_layout_name(ActivationLayout l) {
  switch (l) {
    case ActivationLayout::kMeasure: return "measure";
    case ActivationLayout::kAuto: return "auto";
    case ActivationLayout::kBlocked16: return "blocked";
  }
  return "unknown";
}

struct Session::Impl {
  Model model;
  SessionOptions options;
  ReferenceProvider reference;
  std::unique_ptr<CpuProvider> cpu;  // set when options.provider is kCpu
  std::unique_ptr<ControlFlowProvider> control_flow;
  std::unique_ptr<ExecutionPlan> plan;
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
};

namespace {

// 0 means every core this process may run on.
int resolve_threads(int requested) {
  if (requested > 0) return requested;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return 1;
}

std::vector<TensorInfo> describe(const std::vector<Value*>& values) {
  std::vector<TensorInfo> out;
  for (const Value* v : values) out.push_back(TensorInfo{v->name, v->type});
  return out;
}

}  // namespace

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

static Result<std::unique_ptr<Session::Impl>> build_impl(Result<Model> model, const SessionOptions& options) {
  if (!model.is_ok()) return model.status();
  if (options.optimization_level < 0 || options.optimization_level > kMaxOptimizationLevel) {
    return invalid_argument(str_cat("optimization level ", options.optimization_level, " is out of range: expected 0..",
                                    kMaxOptimizationLevel));
  }
  auto impl = std::make_unique<Session::Impl>();
  impl->model = std::move(model).value();
  impl->options = options;
  Graph& graph = *impl->model.graph;
  const std::map<std::string, int64_t>& opsets = impl->model.opsets;
  auto refresh = [&opsets](Graph& g) { return refresh_value_types(g, opsets); };
  EDGE_RETURN_IF_ERROR(run_passes(graph, options.optimization_level, impl->reference, refresh));
  std::vector<const ExecutionProvider*> providers = {&impl->reference};
  if (options.provider == Provider::kCpu) {
    CpuOptions cpu_options;
    cpu_options.threads = resolve_threads(options.threads);
    cpu_options.max_tensor_bytes = options.max_tensor_bytes;
    cpu_options.conv_algorithm = options.conv_algorithm;
    cpu_options.layout = options.layout;
    impl->cpu = std::make_unique<CpuProvider>(cpu_options);
    providers.insert(providers.begin(), impl->cpu.get());
  }
  impl->control_flow = std::make_unique<ControlFlowProvider>(options.max_tensor_bytes);
  providers.insert(providers.begin(), impl->control_flow.get());
  impl->control_flow->set_body_providers(providers);
  EDGE_ASSIGN_OR_RETURN(impl->plan, ExecutionPlan::create(impl->model.graph, providers, options.max_tensor_bytes));
  impl->inputs = describe(graph.inputs);
  impl->outputs = describe(graph.outputs);
  return impl;
}

Result<std::unique_ptr<Session>> Session::load(const std::string& path, const SessionOptions& options) {
  auto impl = build_impl(import_model_file(path, ImportOptions{options.free_batch}), options);
  if (!impl.is_ok()) {
    const std::string& msg = impl.status().message();
    if (msg.rfind(path, 0) == 0) return impl.status();  // already names the file
    return impl.status().with_context(path);
  }
  return std::unique_ptr<Session>(new Session(std::move(impl).value()));
}

Result<std::unique_ptr<Session>> Session::load_from_bytes(std::string_view bytes, const SessionOptions& options) {
  EDGE_ASSIGN_OR_RETURN(auto impl, build_impl(import_model_bytes(bytes, "", ImportOptions{options.free_batch}), options));
  return std::unique_ptr<Session>(new Session(std::move(impl)));
}

const std::vector<TensorInfo>& Session::inputs() const { return impl_->inputs; }
const std::vector<TensorInfo>& Session::outputs() const { return impl_->outputs; }

static ModelSummary summarize(const Model& m) {
  ModelSummary s;
  s.ir_version = m.ir_version;
  s.producer_name = m.producer_name;
  s.opsets = m.opsets;
  for (const auto& n : m.graph->nodes()) {
    ++s.op_histogram[n->domain.empty() ? n->op_type : n->domain + "." + n->op_type];
  }
  for (const auto& v : m.graph->values()) {
    if (v->constant) s.parameter_count += v->constant->num_elements();
  }
  s.node_count = static_cast<int>(m.graph->nodes().size());
  return s;
}

ModelSummary Session::summary() const { return summarize(impl_->model); }

std::vector<std::string> Session::step_providers() const { return impl_->plan->step_providers(); }

std::vector<Session::PlanStep> Session::plan() const {
  std::vector<PlanStep> steps;
  for (const auto& s : impl_->plan->step_infos()) steps.push_back({s.name, s.provider, s.nodes, s.arena_bytes});
  return steps;
}

Status optimize_model(const std::string& input, const std::string& output, int level) {
  if (level < 0 || level > kMaxOptimizationLevel) {
    return invalid_argument(str_cat("optimization level ", level, " is out of range: expected 0..", kMaxOptimizationLevel));
  }
  EDGE_ASSIGN_OR_RETURN(Model model, import_model_file(input));
  ReferenceProvider evaluator;
  EDGE_RETURN_IF_ERROR(run_passes(*model.graph, level, evaluator).with_context(input));
  return export_model_file(model, output);
}

Result<ModelInfo> inspect_model(const std::string& path, Provider provider) {
  EDGE_ASSIGN_OR_RETURN(Model model, import_model_file(path));
  ReferenceProvider evaluator;
  EDGE_RETURN_IF_ERROR(run_passes(*model.graph, /*level=*/1, evaluator).with_context(path));
  ModelInfo info;
  info.inputs = describe(model.graph->inputs);
  info.outputs = describe(model.graph->outputs);
  info.summary = summarize(model);
  // Every provider falls back to the reference provider per node, so its coverage is what the
  // model needs whatever the chosen provider.
  const ReferenceProvider& reference = evaluator;
  (void)provider;
  std::map<std::string, int> unsupported;
  for (const auto& n : model.graph->nodes()) {
    if (!reference.supports(*n)) ++unsupported[n->domain.empty() ? n->op_type : n->domain + "." + n->op_type];
  }
  for (const auto& [op, count] : unsupported) {
    info.unsupported_ops.push_back(str_cat(op, " (", count, count == 1 ? " node)" : " nodes)"));
  }
  return info;
}

Result<std::vector<Tensor>> Session::run(const std::vector<NamedTensor>& inputs) const {
  return run(inputs, nullptr);
}

Result<std::vector<Tensor>> Session::run(const std::vector<NamedTensor>& inputs, RunProfile* profile) const {
  EDGE_ASSIGN_OR_RETURN(std::vector<Tensor> bound, bind_inputs(*impl_->model.graph, inputs));
  return impl_->plan->run(bound, profile);
}

}  // namespace edgeserve
