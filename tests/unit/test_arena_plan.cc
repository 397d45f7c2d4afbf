// Arena planner: buffers alive together never overlap; disjoint lifetimes share memory.
#include "common/arena_plan.h"

#include <gtest/gtest.h>

#include <random>

namespace edgeserve {
namespace {

TEST(ArenaPlan, ChainReusesMemory) {
  // a -> b -> c: a and c never live together, so c can take a's place.
  std::vector<ArenaRequest> reqs = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}};
  ArenaPlan plan = plan_arena(reqs);
  EXPECT_EQ(plan.total_bytes, 2 * 1024);
  EXPECT_EQ(plan.offsets[0], plan.offsets[2]);
  EXPECT_NE(plan.offsets[0], plan.offsets[1]);
}

TEST(ArenaPlan, OffsetsAreAligned) {
  ArenaPlan plan = plan_arena({{3, 0, 5}, {5, 0, 5}, {7, 0, 5}}, 64);
  for (int64_t off : plan.offsets) EXPECT_EQ(off % 64, 0);
  EXPECT_EQ(plan.total_bytes, 3 * 64);
}

TEST(ArenaPlan, RandomLifetimesNeverOverlap) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<ArenaRequest> reqs;
    for (int i = 0; i < 40; ++i) {
      int first = static_cast<int>(rng() % 30);
      reqs.push_back({static_cast<int64_t>(1 + rng() % 5000), first, first + static_cast<int>(rng() % 6)});
    }
    ArenaPlan plan = plan_arena(reqs, 64);
    int64_t sum = 0;
    for (size_t i = 0; i < reqs.size(); ++i) {
      sum += (reqs[i].bytes + 63) / 64 * 64;
      EXPECT_LE(plan.offsets[i] + reqs[i].bytes, plan.total_bytes);
      for (size_t j = i + 1; j < reqs.size(); ++j) {
        bool live_together = reqs[i].first_use <= reqs[j].last_use && reqs[j].first_use <= reqs[i].last_use;
        bool disjoint = plan.offsets[i] + reqs[i].bytes <= plan.offsets[j] ||
                        plan.offsets[j] + reqs[j].bytes <= plan.offsets[i];
        if (live_together) {
          EXPECT_TRUE(disjoint) << "trial " << trial << " buffers " << i << "," << j;
        }
      }
    }
    EXPECT_LE(plan.total_bytes, sum);
  }
}

}  // namespace
}  // namespace edgeserve
