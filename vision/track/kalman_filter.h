// Constant-velocity Kalman filter over a box's (cx, cy, aspect = w/h, h), as SORT, DeepSORT and
// ByteTrack use it: state (cx, cy, a, h, vcx, vcy, va, vh), one step per frame, noise scaled by
// the box height so that near (large) and far (small) people are tracked alike.
#pragma once

#include <array>

#include "vision/base/geometry.h"

namespace edgeserve::vision {

struct KalmanState {
  std::array<double, 8> mean{};        // cx, cy, a, h, vcx, vcy, va, vh
  std::array<double, 64> covariance{};  // 8x8 row-major
};

// A box as the filter measures it: (cx, cy, a, h). Requires h > 0.
std::array<double, 4> box_to_measurement(const Box& box);
// The box the state's mean describes (may be empty if the predicted height went negative).
Box state_to_box(const KalmanState& state);

class KalmanBoxFilter {
 public:
  // Noise weights relative to the box height (DeepSORT's values).
  static constexpr double kStdWeightPosition = 1.0 / 20;
  static constexpr double kStdWeightVelocity = 1.0 / 160;

  // New state at the measurement with zero velocity and wide velocity uncertainty.
  static KalmanState initiate(const std::array<double, 4>& measurement);
  // One frame forward: x = F x, P = F P F^T + Q.
  static void predict(KalmanState& state);
  // Correct with a measurement. Returns false (and re-initiates at the measurement) if the
  // innovation covariance is not positive definite, which only non-finite input can cause.
  static bool update(KalmanState& state, const std::array<double, 4>& measurement);
};

}  // namespace edgeserve::vision
