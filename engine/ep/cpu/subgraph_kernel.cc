// Per-signature compilation and the program cache.
#include "engine/ep/cpu/subgraph_kernel.h"

#include <omp.h>

#include "common/strings.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/program_builder.h"

namespace edgeserve::cpu {

SubgraphKernel::SubgraphKernel(Subgraph subgraph, const CpuOptions& options)
    : subgraph_(std::move(subgraph)), options_(options) {}

Result<std::shared_ptr<const Program>> SubgraphKernel::compile(const std::vector<Dims>& input_dims) const {
  // oneDNN sizes its blocking for the thread count it sees when a primitive is created.
  omp_set_num_threads(options_.threads);
  ProgramBuilder builder(subgraph_, input_dims, options_);
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
