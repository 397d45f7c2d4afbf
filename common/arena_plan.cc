// Greedy-by-size arena placement.
#include "common/arena_plan.h"

#include <algorithm>
#include <numeric>

namespace edgeserve {

namespace {

int64_t align_up(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

bool lifetimes_overlap(const ArenaRequest& a, const ArenaRequest& b) {
  return a.first_use <= b.last_use && b.first_use <= a.last_use;
}

}  // namespace

ArenaPlan plan_arena(const std::vector<ArenaRequest>& requests, int64_t alignment) {
  ArenaPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return requests[a].bytes > requests[b].bytes; });
  std::vector<size_t> placed;
  for (size_t r : order) {
    // Intervals [offset, end) of placed buffers that are alive together with r, by offset.
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (size_t p : placed) {
      if (lifetimes_overlap(requests[r], requests[p])) {
        busy.emplace_back(plan.offsets[p], plan.offsets[p] + align_up(requests[p].bytes, alignment));
      }
    }
    std::sort(busy.begin(), busy.end());
    const int64_t size = align_up(requests[r].bytes, alignment);
    int64_t offset = 0;
    for (const auto& [begin, end] : busy) {
      if (offset + size <= begin) break;  // fits in the gap before this interval
      offset = std::max(offset, end);
    }
    plan.offsets[r] = offset;
    plan.total_bytes = std::max(plan.total_bytes, offset + size);
    placed.push_back(r);
  }
  return plan;
}

}  // namespace edgeserve
