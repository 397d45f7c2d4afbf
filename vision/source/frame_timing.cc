// PtsTimeline, FpsLimiter and RealtimePacer: see frame_timing.h.
#include "vision/source/frame_timing.h"

#include <cmath>

namespace edgeserve::vision {
namespace {

// Pts are exact rationals turned into doubles; 10 fps pts of 0.3 may come out as 0.29999999.
constexpr double kPtsSlackS = 1e-6;

}  // namespace

double PtsTimeline::map(double raw_pts, double frame_interval_s) {
  const double next_expected = have_last_ ? last_out_ + frame_interval_s : 0;
  double out;
  if (std::isnan(raw_pts)) {
    out = next_expected;
  } else {
    if (new_segment_ || (have_last_ && raw_pts + offset_ < last_out_)) {
      offset_ = have_last_ ? next_expected - raw_pts : 0;
    }
    out = raw_pts + offset_;
  }
  new_segment_ = false;
  have_last_ = true;
  last_out_ = out;
  return out;
}

bool FpsLimiter::admit(double pts_seconds) {
  if (interval_s_ <= 0) return true;
  if (!started_ || pts_seconds > next_s_ + interval_s_ || pts_seconds < next_s_ - 2 * interval_s_) {
    // First frame, a gap, or pts went back (a new segment the timeline did not smooth): restart.
    started_ = true;
    next_s_ = pts_seconds + interval_s_;
    return true;
  }
  if (pts_seconds + kPtsSlackS < next_s_) return false;
  next_s_ += interval_s_;
  return true;
}

RealtimePacer::Clock::time_point RealtimePacer::due(double pts_seconds, Clock::time_point now) {
  auto at = [&] {
    return anchor_time_ + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(pts_seconds - anchor_pts_));
  };
  if (anchored_) {
    const Clock::time_point when = at();
    if (when >= now - kMaxLag && when <= now + kMaxWait) return when;
  }
  anchored_ = true;
  anchor_pts_ = pts_seconds;
  anchor_time_ = now;
  return now;
}

}  // namespace edgeserve::vision
