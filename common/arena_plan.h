// Memory planning: places buffers with known lifetimes in one arena so that buffers alive at the
// same time never overlap. Computed once per input-shape signature; a run then only adds offsets
// to the arena's base pointer.
#pragma once

#include <cstdint>
#include <vector>

namespace edgeserve {

struct ArenaRequest {
  int64_t bytes = 0;
  int first_use = 0;  // step index of the first write
  int last_use = 0;   // step index of the last read (inclusive)
};

struct ArenaPlan {
  std::vector<int64_t> offsets;  // one per request, multiples of the alignment
  int64_t total_bytes = 0;
};

// Greedy by size: the largest buffers are placed first, each at the lowest aligned offset that
// does not overlap a placed buffer whose lifetime intersects its own. Simple, deterministic and
// close to optimal on the chain-like lifetimes of inference graphs.
ArenaPlan plan_arena(const std::vector<ArenaRequest>& requests, int64_t alignment = 64);

}  // namespace edgeserve
