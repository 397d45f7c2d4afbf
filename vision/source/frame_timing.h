// Pure decisions about a frame's time: a continuous pts line across loops and reconnects, which
// frames an fps cap keeps, and when a file frame is due in real time. No clocks are read here;
// `now` is passed in, so each rule is tested with made-up times.
#pragma once

#include <chrono>

namespace edgeserve::vision {

// Maps the raw pts of each session (a file pass, a connection) onto one line that never goes
// back: the first session keeps its own times (file time for files); a later one, or a jump
// backwards inside one (mpegts restart, wrap), continues one frame interval after the last pts.
class PtsTimeline {
 public:
  // The next raw pts may start anywhere (after open, seek to start, reconnect).
  void start_segment() { new_segment_ = true; }
  // raw_pts is NaN when the stream has none; the frame then gets last + interval.
  double map(double raw_pts, double frame_interval_s);

 private:
  bool have_last_ = false;
  bool new_segment_ = true;
  double last_out_ = 0;
  double offset_ = 0;
};

// Keeps at most max_fps frames per second of stream time, spread evenly: each kept frame books
// the next slot one interval later, so 10 fps capped to 3 keeps 0, 0.4, 0.7, 1.0, ... After a
// gap longer than an interval it restarts from the frame instead of letting a burst through.
class FpsLimiter {
 public:
  explicit FpsLimiter(double max_fps) : interval_s_(max_fps > 0 ? 1.0 / max_fps : 0) {}
  bool admit(double pts_seconds);

 private:
  double interval_s_;
  bool started_ = false;
  double next_s_ = 0;
};

// When a file frame should go out so that the file plays at its own rate, anchored at the
// first frame. Re-anchors when delivery fell more than kMaxLag behind (a slow consumer, the
// sink blocked) or a pts jump would mean waiting more than kMaxWait, so it never bursts or hangs.
class RealtimePacer {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kMaxLag{500};
  static constexpr std::chrono::milliseconds kMaxWait{2000};

  void reset() { anchored_ = false; }
  Clock::time_point due(double pts_seconds, Clock::time_point now);

 private:
  bool anchored_ = false;
  double anchor_pts_ = 0;
  Clock::time_point anchor_time_;
};

}  // namespace edgeserve::vision
