#include "common/aligned_buffer.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

namespace edgeserve {

namespace {
constexpr size_t kAlignment = 64;
constexpr size_t kHugePage = size_t{2} << 20;
}  // namespace

std::shared_ptr<void> aligned_buffer(size_t bytes, bool zero) {
  const bool huge = bytes >= kHugePageThreshold;
  const size_t alignment = huge ? kHugePage : kAlignment;
  if (bytes > SIZE_MAX - alignment) return nullptr;
  const size_t rounded = (bytes == 0 ? 1 : bytes + alignment - 1) / alignment * alignment;
  void* p = std::aligned_alloc(alignment, rounded);
  if (p == nullptr) return nullptr;
  if (huge) madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure leaves 4 KiB pages
  if (zero) std::memset(p, 0, rounded);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

}  // namespace edgeserve
