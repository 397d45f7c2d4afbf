// Kernel lookup and the float16 adapter.
#include "engine/ep/reference/reference_provider.h"

#include <string>

#include "common/strings.h"
#include "engine/ep/reference/half_adapter.h"
#include "engine/ep/reference/kernel_table.h"

namespace edgeserve {

namespace {

const ref::KernelEntry* find_entry(const Node& node) {
  for (const ref::KernelEntry& e : ref::all_kernels()) {
    if (node.op_type == e.op_type && node.domain == e.domain && node.opset >= e.min_opset) return &e;
  }
  return nullptr;
}

}  // namespace

bool ReferenceProvider::supports(const Node& node) const { return find_entry(node) != nullptr; }

Result<std::unique_ptr<Kernel>> ReferenceProvider::create_kernel(const Node& node) const {
  const ref::KernelEntry* e = find_entry(node);
  if (e == nullptr) return unimplemented(str_cat(node.describe(), ": no reference kernel"));
  EDGE_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, e->create(node));
  if (e->half == ref::HalfMode::kAsFloat) return ref::wrap_half_as_float(std::move(kernel));
  return kernel;
}

}  // namespace edgeserve
