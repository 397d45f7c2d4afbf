// Where decoded frames wait for the detector: one bounded queue per camera under one lock, so
// the batcher can take one frame from each camera with a single wait. Policy when a queue is
// full: a file source waits (a file is not live; dropping would change its counts), a live
// source drops its oldest queued frame (the newest is worth most) and the drop is counted.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include "vision/base/frame.h"

namespace edgeserve::vision {

class FrameHub {
 public:
  struct Camera {
    bool block_when_full = false;  // files: true
  };
  FrameHub(std::vector<Camera> cameras, size_t capacity);

  // Called by camera `index`'s decode thread. Returns false once closed.
  bool push(size_t index, Frame&& frame);
  // Up to `max_frames`, at most one per camera, rotating which camera goes first. Waits up to
  // `first_wait` for any frame, then up to `fill_wait` more while fewer than `want` are ready.
  std::vector<std::pair<size_t, Frame>> take_batch(size_t max_frames, size_t want,
                                                   std::chrono::microseconds first_wait,
                                                   std::chrono::microseconds fill_wait);
  void close();  // wakes every waiter; pushes fail from now on

  struct CameraStats {
    int64_t queued = 0;   // frames waiting now
    int64_t pushed = 0;   // accepted
    int64_t dropped = 0;  // dropped by the live policy
  };
  std::vector<CameraStats> stats() const;

 private:
  size_t ready_cameras_locked() const;

  struct Queue {
    Camera camera;
    std::deque<Frame> frames;
    int64_t pushed = 0;
    int64_t dropped = 0;
  };
  mutable std::mutex mu_;
  std::condition_variable frames_ready_;
  std::condition_variable space_ready_;
  std::vector<Queue> queues_;
  size_t capacity_;
  size_t next_first_ = 0;
  bool closed_ = false;
};

}  // namespace edgeserve::vision
