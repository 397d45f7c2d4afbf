// Control flow: If, Loop, Scan and SequenceMap run their subgraphs through child execution
// plans built from the session's own providers (so a Loop body's convolutions still run on the
// cpu provider). Outer-scope values arrive as the node's implicit inputs (Node::implicit_inputs).
// Threading: immutable after set_body_providers(); kernels are safe to run concurrently.
#pragma once

#include <vector>

#include "engine/ep/execution_provider.h"

namespace edgeserve {

class ControlFlowProvider final : public ExecutionProvider {
 public:
  explicit ControlFlowProvider(int64_t max_tensor_bytes) : max_tensor_bytes_(max_tensor_bytes) {}
  // The providers subgraphs run on, in priority order; may include this provider (nesting).
  // Call once, before the first create_kernel().
  void set_body_providers(std::vector<const ExecutionProvider*> providers) { body_providers_ = std::move(providers); }

  const char* name() const override { return "control-flow"; }
  bool supports(const Node& node) const override;
  Result<std::unique_ptr<Kernel>> create_kernel(const Node& node) const override;

 private:
  int64_t max_tensor_bytes_;
  std::vector<const ExecutionProvider*> body_providers_;
};

}  // namespace edgeserve
