// The cpu execution provider: oneDNN primitives with blocked layouts for the ops in
// ops/op_table.h. Each run of consecutive supported nodes is compiled into one SubgraphKernel,
// so tensors stay in oneDNN's layouts between nodes and are converted only at the run's
// boundary. Nodes it does not claim run on the reference provider.
// Immutable after construction; thread-safe.
#pragma once

#include <cstdint>

#include "engine/ep/cpu/cpu_options.h"
#include "engine/ep/execution_provider.h"

namespace edgeserve {

class CpuProvider final : public ExecutionProvider {
 public:
  explicit CpuProvider(const CpuOptions& options);

  const char* name() const override { return "cpu"; }
  bool supports(const Node& node) const override;
  Result<std::unique_ptr<Kernel>> create_kernel(const Node& node) const override;
  bool compiles_subgraphs() const override { return true; }
  Result<std::unique_ptr<Kernel>> compile_subgraph(const Subgraph& subgraph) const override;

 private:
  CpuOptions options_;
};

}  // namespace edgeserve
