// Aligned heap buffers for tensors, prepacked weights and arenas.
// Buffers of kHugePageThreshold bytes and more are aligned to 2 MiB and advised as transparent
// huge pages (madvise; the kernel's default "madvise" THP mode honours it): a page fault costs
// microseconds on a virtual machine, and every copy of a 100 MB model touches 25,000 4-KiB pages
// but only 50 huge ones. Measured: resnet50 load time (see docs/architecture.md).
#pragma once

#include <cstddef>
#include <memory>

namespace edgeserve {

inline constexpr size_t kHugePageThreshold = size_t{4} << 20;

// At least `bytes` (>= 1) bytes, 64-byte aligned, zero-filled when `zero`; null when out of memory.
std::shared_ptr<void> aligned_buffer(size_t bytes, bool zero);

}  // namespace edgeserve
