// The reference execution provider: plain, readable loops for every supported operator. It is
// the correctness oracle for faster providers and the fallback for ops they do not claim.
// Stateless and thread-safe.
#pragma once

#include "engine/ep/execution_provider.h"

namespace edgeserve {

class ReferenceProvider final : public ExecutionProvider {
 public:
  const char* name() const override { return "reference"; }
  bool supports(const Node& node) const override;
  Result<std::unique_ptr<Kernel>> create_kernel(const Node& node) const override;
};

}  // namespace edgeserve
