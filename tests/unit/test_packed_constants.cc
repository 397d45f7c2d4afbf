// PackedConstants: Programs of one subgraph share a prepacked weight while one of them holds it.
#include <gtest/gtest.h>

#include "engine/ep/cpu/packed_constants.h"
#include "engine/ir/graph.h"

namespace edgeserve::cpu {
namespace {

using dnnl::memory;

TEST(PackedConstants, SharesWhileAliveAndForgetsAfter) {
  PackedConstants cache;
  Value w;
  const memory::desc plain({16, 16, 3, 3}, memory::data_type::f32, memory::format_tag::oihw);
  const memory::desc blocked({16, 16, 3, 3}, memory::data_type::f32, memory::format_tag::OIhw16i16o);
  EXPECT_EQ(cache.find(&w, blocked, plain), nullptr);
  auto bytes = std::make_shared<int>(7);
  cache.add(&w, blocked, plain, bytes);
  EXPECT_EQ(cache.find(&w, blocked, plain), bytes);
  EXPECT_EQ(cache.find(&w, plain, plain), nullptr);  // another layout is another copy
  Value other;
  EXPECT_EQ(cache.find(&other, blocked, plain), nullptr);
  bytes.reset();  // the last Program using it is gone
  EXPECT_EQ(cache.find(&w, blocked, plain), nullptr);
}

}  // namespace
}  // namespace edgeserve::cpu
