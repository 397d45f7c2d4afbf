// FrameHub: bounded per-source queues. Live sources drop their oldest frame and count it; file
// sources wait for space; a batch takes at most one frame per source; close() wakes everyone.
#include <gtest/gtest.h>

#include <thread>

#include "vision/pipeline/frame_hub.h"

namespace edgeserve::vision {
namespace {

using std::chrono::milliseconds;

Frame frame(int64_t seq) {
  Frame f;
  f.sequence = seq;
  return f;
}

TEST(FrameHub, ALiveSourceDropsItsOldestFramesAndCountsThem) {
  FrameHub hub({{/*block_when_full=*/false}}, 2);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(hub.push(0, frame(i)));
  EXPECT_EQ(hub.stats()[0].dropped, 3);
  EXPECT_EQ(hub.stats()[0].queued, 2);
  auto a = hub.take_batch(4, 1, milliseconds(0), milliseconds(0));
  auto b = hub.take_batch(4, 1, milliseconds(0), milliseconds(0));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].second.sequence, 3);  // the newest frames are kept, in order
  EXPECT_EQ(b[0].second.sequence, 4);
}

TEST(FrameHub, AFileSourceWaitsForSpaceInsteadOfDropping) {
  FrameHub hub({{/*block_when_full=*/true}}, 1);
  ASSERT_TRUE(hub.push(0, frame(0)));
  std::atomic<bool> second_pushed{false};
  std::thread producer([&] {
    hub.push(0, frame(1));
    second_pushed = true;
  });
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_FALSE(second_pushed);
  auto batch = hub.take_batch(1, 1, milliseconds(100), milliseconds(0));
  producer.join();
  EXPECT_TRUE(second_pushed);
  EXPECT_EQ(batch[0].second.sequence, 0);
  EXPECT_EQ(hub.stats()[0].dropped, 0);
}

TEST(FrameHub, ABatchTakesOneFramePerSourceAndRotatesWhoGoesFirst) {
  FrameHub hub({{false}, {false}, {false}}, 4);
  for (size_t cam = 0; cam < 3; ++cam) {
    for (int i = 0; i < 2; ++i) hub.push(cam, frame(static_cast<int64_t>(cam * 10 + i)));
  }
  auto first = hub.take_batch(2, 3, milliseconds(0), milliseconds(0));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_NE(first[0].first, first[1].first);
  auto second = hub.take_batch(8, 3, milliseconds(0), milliseconds(0));
  EXPECT_EQ(second.size(), 3u);  // one per source even with room for more
  EXPECT_NE(first[0].first, second[0].first) << "a different source goes first each batch";
}

TEST(FrameHub, CloseWakesABlockedProducerAndAWaitingBatcher) {
  FrameHub hub({{true}}, 1);
  hub.push(0, frame(0));
  std::atomic<int> result{-1};
  std::thread producer([&] { result = hub.push(0, frame(1)) ? 1 : 0; });
  std::this_thread::sleep_for(milliseconds(20));
  hub.close();
  producer.join();
  EXPECT_EQ(result, 0);
  FrameHub empty({{false}}, 1);
  std::thread closer([&] {
    std::this_thread::sleep_for(milliseconds(20));
    empty.close();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(empty.take_batch(1, 1, milliseconds(5000), milliseconds(0)).empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  closer.join();
}

}  // namespace
}  // namespace edgeserve::vision
