// ExecutionProvider: a set of kernels for one kind of hardware or implementation strategy.
// The runtime asks providers, in priority order, which nodes they support. A provider that keeps
// tensors in its own layouts between nodes (the cpu provider's blocked formats) compiles each
// maximal run of consecutive nodes it supports into one kernel, so that layout conversions
// happen only at the run's boundary; the others build one kernel per node.
// Providers are immutable after construction and thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "common/status.h"
#include "common/strings.h"
#include "engine/ep/kernel.h"
#include "engine/ir/graph.h"

namespace edgeserve {

// Consecutive nodes (in the graph's topological order) given to one provider as a unit.
// The kernel built from it reads `inputs` and writes `outputs`, both in plain row-major layout.
struct Subgraph {
  std::vector<const Node*> nodes;     // topological order
  std::vector<const Value*> inputs;   // non-constant values read but not produced inside
  std::vector<const Value*> outputs;  // values produced inside and read outside (or graph outputs)
};

class ExecutionProvider {
 public:
  virtual ~ExecutionProvider() = default;
  // Short stable name used in options and logs ("reference", "cpu").
  virtual const char* name() const = 0;
  // Required: whether this provider has a kernel for the node (op, domain, opset, static types).
  virtual bool supports(const Node& node) const = 0;
  // Required: prepare. Validates attributes and builds the kernel for one node.
  virtual Result<std::unique_ptr<Kernel>> create_kernel(const Node& node) const = 0;
  // Optional: true if the runtime should hand runs of supported nodes to compile_subgraph().
  virtual bool compiles_subgraphs() const { return false; }
  // Optional (required when compiles_subgraphs()): one kernel for the whole subgraph; its
  // KernelContext inputs/outputs follow Subgraph::inputs/outputs.
  virtual Result<std::unique_ptr<Kernel>> compile_subgraph(const Subgraph& subgraph) const {
    return unimplemented(str_cat(name(), " provider does not compile subgraphs"));
  }
};

}  // namespace edgeserve
