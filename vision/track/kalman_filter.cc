// Fixed-size 8-state / 4-measurement Kalman filter; small enough that plain loops are clearer
// than a matrix library.
#include "vision/track/kalman_filter.h"

#include <cmath>

namespace edgeserve::vision {
namespace {

using Mat8 = std::array<double, 64>;

double& at8(Mat8& m, int r, int c) { return m[r * 8 + c]; }
double at8(const Mat8& m, int r, int c) { return m[r * 8 + c]; }

// In-place Cholesky of a 4x4 symmetric matrix (lower triangle). False if not positive definite.
bool cholesky4(std::array<double, 16>& s) {
  for (int j = 0; j < 4; ++j) {
    double d = s[j * 4 + j];
    for (int k = 0; k < j; ++k) d -= s[j * 4 + k] * s[j * 4 + k];
    if (!(d > 0) || !std::isfinite(d)) return false;
    s[j * 4 + j] = std::sqrt(d);
    for (int i = j + 1; i < 4; ++i) {
      double v = s[i * 4 + j];
      for (int k = 0; k < j; ++k) v -= s[i * 4 + k] * s[j * 4 + k];
      s[i * 4 + j] = v / s[j * 4 + j];
    }
  }
  return true;
}

// Solves (L L^T) x = b for one column b, L from cholesky4.
std::array<double, 4> cholesky_solve4(const std::array<double, 16>& l, std::array<double, 4> b) {
  for (int i = 0; i < 4; ++i) {
    for (int k = 0; k < i; ++k) b[i] -= l[i * 4 + k] * b[k];
    b[i] /= l[i * 4 + i];
  }
  for (int i = 3; i >= 0; --i) {
    for (int k = i + 1; k < 4; ++k) b[i] -= l[k * 4 + i] * b[k];
    b[i] /= l[i * 4 + i];
  }
  return b;
}

}  // namespace

std::array<double, 4> box_to_measurement(const Box& box) {
  const Point c = box.center();
  const double h = box.height();
  return {c.x, c.y, h > 0 ? box.width() / h : 0.0, h};
}

Box state_to_box(const KalmanState& state) {
  const double cx = state.mean[0], cy = state.mean[1], a = state.mean[2], h = state.mean[3];
  const double w = a * h;
  return {static_cast<float>(cx - w / 2), static_cast<float>(cy - h / 2), static_cast<float>(cx + w / 2),
          static_cast<float>(cy + h / 2)};
}

KalmanState KalmanBoxFilter::initiate(const std::array<double, 4>& z) {
  KalmanState s;
  for (int i = 0; i < 4; ++i) s.mean[i] = z[i];
  const double h = z[3];
  const std::array<double, 8> std_dev = {
      2 * kStdWeightPosition * h,  2 * kStdWeightPosition * h,  1e-2, 2 * kStdWeightPosition * h,
      10 * kStdWeightVelocity * h, 10 * kStdWeightVelocity * h, 1e-5, 10 * kStdWeightVelocity * h};
  for (int i = 0; i < 8; ++i) at8(s.covariance, i, i) = std_dev[i] * std_dev[i];
  return s;
}

void KalmanBoxFilter::predict(KalmanState& s) {
  for (int i = 0; i < 4; ++i) s.mean[i] += s.mean[i + 4];
  // P' = F P F^T with F = [I I; 0 I]: first rows += velocity rows, then columns likewise.
  Mat8& p = s.covariance;
  for (int i = 0; i < 4; ++i) {
    for (int c = 0; c < 8; ++c) at8(p, i, c) += at8(p, i + 4, c);
  }
  for (int j = 0; j < 4; ++j) {
    for (int r = 0; r < 8; ++r) at8(p, r, j) += at8(p, r, j + 4);
  }
  const double h = s.mean[3];
  const std::array<double, 8> std_dev = {kStdWeightPosition * h, kStdWeightPosition * h, 1e-2,
                                         kStdWeightPosition * h, kStdWeightVelocity * h, kStdWeightVelocity * h,
                                         1e-5, kStdWeightVelocity * h};
  for (int i = 0; i < 8; ++i) at8(p, i, i) += std_dev[i] * std_dev[i];
}

bool KalmanBoxFilter::update(KalmanState& s, const std::array<double, 4>& z) {
  const double h = s.mean[3];
  const std::array<double, 4> r = {kStdWeightPosition * h, kStdWeightPosition * h, 1e-1, kStdWeightPosition * h};
  // S = H P H^T + R: the top-left 4x4 block of P plus measurement noise.
  std::array<double, 16> l{};
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) l[i * 4 + j] = at8(s.covariance, i, j);
    l[i * 4 + i] += r[i] * r[i];
  }
  if (!cholesky4(l)) {
    s = initiate(z);
    return false;
  }
  // K^T = S^-1 (H P): solve column by column (H P is the top 4 rows of P).
  std::array<double, 32> kt{};  // 4x8
  for (int c = 0; c < 8; ++c) {
    std::array<double, 4> col;
    for (int i = 0; i < 4; ++i) col[i] = at8(s.covariance, i, c);
    const std::array<double, 4> x = cholesky_solve4(l, col);
    for (int i = 0; i < 4; ++i) kt[i * 8 + c] = x[i];
  }
  std::array<double, 4> innovation;
  for (int i = 0; i < 4; ++i) innovation[i] = z[i] - s.mean[i];
  for (int r8 = 0; r8 < 8; ++r8) {
    for (int i = 0; i < 4; ++i) s.mean[r8] += kt[i * 8 + r8] * innovation[i];
  }
  // P -= K S K^T = K (H P), since K S = P H^T.
  const Mat8 p = s.covariance;
  for (int r8 = 0; r8 < 8; ++r8) {
    for (int c = 0; c < 8; ++c) {
      double v = 0;
      for (int i = 0; i < 4; ++i) v += kt[i * 8 + r8] * at8(p, i, c);
      at8(s.covariance, r8, c) -= v;
    }
  }
  return true;
}

}  // namespace edgeserve::vision
