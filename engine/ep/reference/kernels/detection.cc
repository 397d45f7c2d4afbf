// NonMaxSuppression, RoiAlign, MaxUnpool, GridSample, ReverseSequence.
#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

std::vector<KernelEntry> detection_kernels() {
  return {};
}

}  // namespace edgeserve::ref
