// Per-signature compilation and the program cache.
#include "engine/ep/cpu/subgraph_kernel.h"

#include <omp.h>

#include <algorithm>

#include "common/strings.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/program_builder.h"

namespace edgeserve::cpu {

SubgraphKernel::SubgraphKernel(Subgraph subgraph, const CpuOptions& options)
    : subgraph_(std::move(subgraph)), options_(options) {}

namespace {

constexpr int kLayoutTimingRounds = 8;
// The blocked layout must win by this much: oneDNN's default stays unless the gain is clear of
// run-to-run noise.
constexpr double kLayoutRequiredGain = 0.97;

// Whether the activation-layout search is worth a second compilation: the subgraph has
// convolutions, and not so much weight data that prepacking it twice costs more load time than
// the search can win back.
bool worth_layout_search(const Subgraph& sg) {
  int64_t weight_bytes = 0;
  bool has_conv = false;
  for (const Node* n : sg.nodes) {
    has_conv = has_conv || n->op_type == "Conv" || n->op_type == "FusedConv" || n->op_type == "QLinearConv";
    for (const Value* in : n->inputs) {
      if (in != nullptr && in->constant) weight_bytes += in->constant->byte_size();
    }
  }
  return has_conv && weight_bytes <= kLayoutSearchMaxWeightBytes;
}

}  // namespace

// Under ActivationLayout::kMeasure: both layouts are compiled and timed, and the faster program
// is kept (the weights are briefly held twice: one reason for the size budget).
Result<std::shared_ptr<const Program>> SubgraphKernel::compile(const std::vector<Dims>& input_dims) const {
  if (options_.layout != ActivationLayout::kMeasure) return compile_with(input_dims, options_.layout);
  if (!worth_layout_search(subgraph_)) return compile_with(input_dims, ActivationLayout::kAuto);
  EDGE_ASSIGN_OR_RETURN(std::shared_ptr<const Program> automatic, compile_with(input_dims, ActivationLayout::kAuto));
  auto blocked = compile_with(input_dims, ActivationLayout::kBlocked16);
  if (!blocked.is_ok()) return automatic;  // the default layout compiled: keep it
  // Alternating single runs, so that a burst of load on the machine hits both alike.
  double t_auto = automatic->time_runs(1);
  double t_blocked = blocked.value()->time_runs(1);
  for (int round = 1; round < kLayoutTimingRounds; ++round) {
    t_auto = std::min(t_auto, automatic->time_runs(1, /*warm_up=*/false));
    t_blocked = std::min(t_blocked, blocked.value()->time_runs(1, /*warm_up=*/false));
  }
  return t_blocked < kLayoutRequiredGain * t_auto ? std::move(blocked).value() : automatic;
}

Result<std::shared_ptr<const Program>> SubgraphKernel::compile_with(const std::vector<Dims>& input_dims,
                                                                     ActivationLayout layout) const {
  // oneDNN sizes its blocking for the thread count it sees when a primitive is created.
  omp_set_num_threads(options_.threads);
  CpuOptions options = options_;
  options.layout = layout;
  ProgramBuilder builder(subgraph_, input_dims, options, &packed_);
  for (const Node* node : subgraph_.nodes) {
    const CpuOp* op = find_cpu_op(*node);
    if (op == nullptr) return internal_error(str_cat(node->describe(), ": not a cpu op"));
    try {
      EDGE_RETURN_IF_ERROR(op->build(*node, builder));
    } catch (const dnnl::error& e) {
      return unimplemented(str_cat(node->describe(), ": oneDNN has no primitive for these shapes (", e.what(), ")"));
    }
  }
  try {
    EDGE_ASSIGN_OR_RETURN(std::unique_ptr<Program> program, builder.finish());
    return std::shared_ptr<const Program>(std::move(program));
  } catch (const dnnl::error& e) {
    return internal_error(str_cat("cpu subgraph: ", e.what()));
  }
}

Result<std::shared_ptr<const Program>> SubgraphKernel::program_for(const std::vector<Dims>& input_dims) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = programs_.begin(); it != programs_.end(); ++it) {
    if (it->first == input_dims) {
      programs_.splice(programs_.begin(), programs_, it);
      return it->second;
    }
  }
  EDGE_ASSIGN_OR_RETURN(std::shared_ptr<const Program> program, compile(input_dims));
  programs_.emplace_front(input_dims, program);
  if (programs_.size() > kMaxCachedPrograms) programs_.pop_back();
  return program;
}

int64_t SubgraphKernel::arena_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return programs_.empty() ? 0 : programs_.front().second->arena_bytes();
}

Status SubgraphKernel::precompile(const std::vector<Dims>& input_dims) const {
  return program_for(input_dims).status();
}

Status SubgraphKernel::run(KernelContext& ctx) const {
  std::vector<Dims> dims;
  dims.reserve(ctx.num_inputs());
  for (size_t i = 0; i < ctx.num_inputs(); ++i) dims.push_back(ctx.input(i).dims());
  EDGE_ASSIGN_OR_RETURN(std::shared_ptr<const Program> program, program_for(dims));
  try {
    return program->run(ctx);
  } catch (const dnnl::error& e) {
    return internal_error(str_cat("cpu subgraph: ", e.what()));
  }
}

}  // namespace edgeserve::cpu
