// SubgraphKernel: runs a cpu subgraph through a Program compiled for the shapes of its inputs.
// Programs are compiled on first use of each input-shape signature (at prepare time when the
// shapes are static) and cached; the cache is bounded so that a stream of new shapes cannot grow
// memory without limit.
// Thread-safe: run() may be called concurrently (the cache is guarded by a mutex; Programs are
// immutable and pool their per-run state).
#pragma once

#include <list>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "engine/ep/cpu/cpu_options.h"
#include "engine/ep/cpu/packed_constants.h"
#include "engine/ep/cpu/program.h"
#include "engine/ep/execution_provider.h"

namespace edgeserve::cpu {

class SubgraphKernel final : public Kernel {
 public:
  SubgraphKernel(Subgraph subgraph, const CpuOptions& options);

  // Compiles for `input_dims` now (used at prepare time for static shapes).
  Status precompile(const std::vector<Dims>& input_dims) const;
  Status run(KernelContext& ctx) const override;
  int64_t arena_bytes() const override;

  static constexpr size_t kMaxCachedPrograms = 8;

 private:
  Result<std::shared_ptr<const Program>> program_for(const std::vector<Dims>& input_dims) const;
  Result<std::shared_ptr<const Program>> compile(const std::vector<Dims>& input_dims) const;
  Result<std::shared_ptr<const Program>> compile_with(const std::vector<Dims>& input_dims,
                                                      ActivationLayout layout) const;

  Subgraph subgraph_;
  CpuOptions options_;
  mutable PackedConstants packed_;  // weights shared by the Programs of every input shape
  mutable std::mutex mu_;
  // Most recently used first; guarded by mu_.
  mutable std::list<std::pair<std::vector<Dims>, std::shared_ptr<const Program>>> programs_;
};

}  // namespace edgeserve::cpu
