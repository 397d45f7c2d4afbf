// conv kernels (placeholder: entries are added as kernels land).
#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

std::vector<KernelEntry> conv_kernels() { return {}; }

}  // namespace edgeserve::ref
