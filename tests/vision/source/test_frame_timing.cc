#include <gtest/gtest.h>

#include <cmath>

#include "vision/source/backoff.h"
#include "vision/source/frame_timing.h"
#include "vision/source/rate_meter.h"

namespace edgeserve::vision {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

TEST(PtsTimeline, FirstSegmentKeepsFileTimeLaterOnesContinue) {
  PtsTimeline t;
  EXPECT_DOUBLE_EQ(t.map(0.0, 0.1), 0.0);
  EXPECT_DOUBLE_EQ(t.map(0.1, 0.1), 0.1);
  EXPECT_DOUBLE_EQ(t.map(0.2, 0.1), 0.2);
  t.start_segment();  // a loop: the file starts again at 0
  EXPECT_NEAR(t.map(0.0, 0.1), 0.3, 1e-12);
  EXPECT_NEAR(t.map(0.1, 0.1), 0.4, 1e-12);
}

TEST(PtsTimeline, ReconnectAndBackwardJumpsStayMonotonic) {
  PtsTimeline t;
  EXPECT_DOUBLE_EQ(t.map(1.4, 0.1), 1.4);  // mpegts streams start anywhere
  EXPECT_DOUBLE_EQ(t.map(1.5, 0.1), 1.5);
  EXPECT_NEAR(t.map(1.0, 0.1), 1.6, 1e-12);  // the sender restarted without a new segment
  EXPECT_NEAR(t.map(1.1, 0.1), 1.7, 1e-12);
  t.start_segment();  // reconnect to a stream far ahead: continues, does not jump
  EXPECT_NEAR(t.map(500.0, 0.1), 1.8, 1e-12);
  EXPECT_NEAR(t.map(NAN, 0.1), 1.9, 1e-12);  // no pts: one interval on
}

TEST(FpsLimiter, HalvesTenFpsAtFiveAndSpreadsThree) {
  FpsLimiter five(5);
  FpsLimiter three(3);
  FpsLimiter off(0);
  int kept5 = 0, kept3 = 0, kept_off = 0;
  for (int i = 0; i < 100; ++i) {  // 10 s at 10 fps
    kept5 += five.admit(i * 0.1);
    kept3 += three.admit(i * 0.1);
    kept_off += off.admit(i * 0.1);
  }
  EXPECT_EQ(kept5, 50);
  EXPECT_NEAR(kept3, 30, 1);
  EXPECT_EQ(kept_off, 100);
}

TEST(FpsLimiter, AGapDoesNotLetABurstThrough) {
  FpsLimiter two(2);
  EXPECT_TRUE(two.admit(0.0));
  EXPECT_FALSE(two.admit(0.1));
  EXPECT_TRUE(two.admit(10.0));  // after a 10 s gap: the next slot is 10.5, not 0.5
  EXPECT_FALSE(two.admit(10.1));
  EXPECT_FALSE(two.admit(10.4));
  EXPECT_TRUE(two.admit(10.5));
}

// Milliseconds from a to b; pts differences such as 5.1 - 5.0 are not exact in binary.
double ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

TEST(RealtimePacer, SpacesByPtsAndReanchorsWhenLate) {
  RealtimePacer pacer;
  const Clock::time_point t0 = Clock::now();
  EXPECT_EQ(pacer.due(5.0, t0), t0);
  EXPECT_NEAR(ms(t0, pacer.due(5.1, t0 + milliseconds(10))), 100, 1e-3);
  EXPECT_NEAR(ms(t0, pacer.due(6.0, t0 + milliseconds(20))), 1000, 1e-3);
  // The consumer held us up for 3 s: no burst of catch-up frames, start again from now.
  const Clock::time_point late = t0 + milliseconds(4000);
  EXPECT_EQ(pacer.due(6.1, late), late);
  EXPECT_NEAR(ms(late, pacer.due(6.2, late)), 100, 1e-3);
  // A pts jump of an hour does not mean an hour's wait.
  EXPECT_EQ(pacer.due(3600.0, late), late);
}

TEST(Backoff, DoublesToTheCapAndResets) {
  Backoff b(0.25, 5);
  EXPECT_DOUBLE_EQ(b.next_delay_s(), 0.25);
  EXPECT_DOUBLE_EQ(b.next_delay_s(), 0.5);
  EXPECT_DOUBLE_EQ(b.next_delay_s(), 1);
  EXPECT_DOUBLE_EQ(b.next_delay_s(), 2);
  EXPECT_DOUBLE_EQ(b.next_delay_s(), 4);
  EXPECT_DOUBLE_EQ(b.next_delay_s(), 5);
  EXPECT_DOUBLE_EQ(b.next_delay_s(), 5);
  b.reset();
  EXPECT_DOUBLE_EQ(b.next_delay_s(), 0.25);
}

TEST(RateMeter, RecentRateAndZeroWhenIdle) {
  RateMeter m;
  const Clock::time_point t0 = Clock::now();
  EXPECT_EQ(m.rate_per_s(t0), 0);
  for (int i = 0; i < 100; ++i) m.record(t0 + milliseconds(100 * i));  // 10/s
  const Clock::time_point last = t0 + milliseconds(9900);
  EXPECT_NEAR(m.rate_per_s(last), 10, 1e-9);
  for (int i = 1; i <= 40; ++i) m.record(last + milliseconds(50 * i));  // now 20/s
  EXPECT_NEAR(m.rate_per_s(last + milliseconds(2000)), 20, 1e-9);
  EXPECT_EQ(m.rate_per_s(last + milliseconds(5000)), 0);
}

}  // namespace
}  // namespace edgeserve::vision
