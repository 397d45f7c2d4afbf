// ExecutionProvider: a set of kernels for one kind of hardware or implementation strategy.
// The runtime asks providers, in priority order, which nodes they support and has the chosen one
// build a Kernel for each node. Providers are stateless after construction and thread-safe.
#pragma once

#include <memory>

#include "common/status.h"
#include "engine/ep/kernel.h"
#include "engine/ir/graph.h"

namespace edgeserve {

class ExecutionProvider {
 public:
  virtual ~ExecutionProvider() = default;
  // Short stable name used in options and logs ("reference", "cpu").
  virtual const char* name() const = 0;
  // Required: whether this provider has a kernel for the node's op, domain and opset.
  virtual bool supports(const Node& node) const = 0;
  // Required: prepare. Validates attributes and builds the kernel; called once per node.
  virtual Result<std::unique_ptr<Kernel>> create_kernel(const Node& node) const = 0;
};

}  // namespace edgeserve
