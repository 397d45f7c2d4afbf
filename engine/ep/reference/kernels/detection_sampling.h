// The second half of the detection kernel family (detection.cc lists it with its own entries):
// GridSample, MaxUnpool and ReverseSequence, kept apart so each file stays readable.
#pragma once

#include <vector>

#include "engine/ep/reference/kernel_table.h"

namespace edgeserve::ref {

std::vector<KernelEntry> detection_sampling_kernels();

}  // namespace edgeserve::ref
