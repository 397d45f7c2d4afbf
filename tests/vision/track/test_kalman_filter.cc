// Kalman filter sanity: initiation, prediction, convergence on constant velocity.
#include "vision/track/kalman_filter.h"

#include <gtest/gtest.h>

#include <limits>

namespace edgeserve::vision {
namespace {

double cov(const KalmanState& s, int r, int c) { return s.covariance[r * 8 + c]; }

TEST(KalmanFilter, MeasurementRoundTripsThroughTheState) {
  const Box box{10, 20, 50, 120};
  const auto z = box_to_measurement(box);
  EXPECT_DOUBLE_EQ(z[0], 30);
  EXPECT_DOUBLE_EQ(z[1], 70);
  EXPECT_DOUBLE_EQ(z[2], 0.4);
  EXPECT_DOUBLE_EQ(z[3], 100);
  const Box back = state_to_box(KalmanBoxFilter::initiate(z));
  EXPECT_NEAR(back.x1, 10, 1e-4);
  EXPECT_NEAR(back.y1, 20, 1e-4);
  EXPECT_NEAR(back.x2, 50, 1e-4);
  EXPECT_NEAR(back.y2, 120, 1e-4);
}

TEST(KalmanFilter, InitiateHasZeroVelocityAndPositiveVariances) {
  const KalmanState s = KalmanBoxFilter::initiate({30, 70, 0.4, 100});
  for (int i = 4; i < 8; ++i) EXPECT_EQ(s.mean[i], 0);
  for (int i = 0; i < 8; ++i) EXPECT_GT(cov(s, i, i), 0);
}

TEST(KalmanFilter, PredictMovesByVelocityAndGrowsUncertainty) {
  KalmanState s = KalmanBoxFilter::initiate({30, 70, 0.4, 100});
  s.mean[4] = 5;
  s.mean[5] = -2;
  const double var_before = cov(s, 0, 0);
  KalmanBoxFilter::predict(s);
  EXPECT_DOUBLE_EQ(s.mean[0], 35);
  EXPECT_DOUBLE_EQ(s.mean[1], 68);
  EXPECT_GT(cov(s, 0, 0), var_before);
  EXPECT_DOUBLE_EQ(cov(s, 0, 4), cov(s, 4, 0));  // stays symmetric
}

TEST(KalmanFilter, UpdatePullsTowardsTheMeasurementAndShrinksUncertainty) {
  KalmanState s = KalmanBoxFilter::initiate({30, 70, 0.4, 100});
  KalmanBoxFilter::predict(s);
  const double var_before = cov(s, 0, 0);
  ASSERT_TRUE(KalmanBoxFilter::update(s, {40, 70, 0.4, 100}));
  EXPECT_GT(s.mean[0], 30);
  EXPECT_LT(s.mean[0], 40);
  EXPECT_LT(cov(s, 0, 0), var_before);
}

TEST(KalmanFilter, LearnsAConstantVelocity) {
  KalmanState s = KalmanBoxFilter::initiate({0, 100, 0.5, 80});
  for (int frame = 1; frame <= 30; ++frame) {
    KalmanBoxFilter::predict(s);
    ASSERT_TRUE(KalmanBoxFilter::update(s, {5.0 * frame, 100 - 2.0 * frame, 0.5, 80}));
  }
  EXPECT_NEAR(s.mean[4], 5, 0.2);
  EXPECT_NEAR(s.mean[5], -2, 0.2);
  KalmanBoxFilter::predict(s);
  EXPECT_NEAR(s.mean[0], 155, 1.0);
  EXPECT_NEAR(s.mean[1], 38, 1.0);
}

TEST(KalmanFilter, NonFiniteMeasurementReinitiatesInsteadOfPoisoning) {
  KalmanState s = KalmanBoxFilter::initiate({30, 70, 0.4, 100});
  s.covariance[0] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(KalmanBoxFilter::update(s, {31, 70, 0.4, 100}));
  EXPECT_DOUBLE_EQ(s.mean[0], 31);
}

}  // namespace
}  // namespace edgeserve::vision
