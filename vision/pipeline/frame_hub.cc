#include "vision/pipeline/frame_hub.h"

namespace edgeserve::vision {

FrameHub::FrameHub(std::vector<Camera> cameras, size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {
  for (const Camera& c : cameras) queues_.push_back(Queue{c, {}, 0, 0});
}

bool FrameHub::push(size_t index, Frame&& frame) {
  std::unique_lock lock(mu_);
  Queue& q = queues_.at(index);
  if (q.camera.block_when_full) {
    space_ready_.wait(lock, [&] { return closed_ || q.frames.size() < capacity_; });
  } else if (q.frames.size() >= capacity_) {
    q.frames.pop_front();
    ++q.dropped;
  }
  if (closed_) return false;
  q.frames.push_back(std::move(frame));
  ++q.pushed;
  frames_ready_.notify_one();
  return true;
}

size_t FrameHub::ready_cameras_locked() const {
  size_t n = 0;
  for (const Queue& q : queues_) n += q.frames.empty() ? 0 : 1;
  return n;
}

std::vector<std::pair<size_t, Frame>> FrameHub::take_batch(size_t max_frames, size_t want,
                                                            std::chrono::microseconds first_wait,
                                                            std::chrono::microseconds fill_wait) {
  std::unique_lock lock(mu_);
  frames_ready_.wait_for(lock, first_wait, [&] { return closed_ || ready_cameras_locked() > 0; });
  if (ready_cameras_locked() > 0 && ready_cameras_locked() < std::min(want, max_frames)) {
    frames_ready_.wait_for(lock, fill_wait, [&] { return closed_ || ready_cameras_locked() >= std::min(want, max_frames); });
  }
  std::vector<std::pair<size_t, Frame>> batch;
  const size_t n = queues_.size();
  for (size_t k = 0; k < n && batch.size() < max_frames; ++k) {
    const size_t i = (next_first_ + k) % n;
    if (queues_[i].frames.empty()) continue;
    batch.emplace_back(i, std::move(queues_[i].frames.front()));
    queues_[i].frames.pop_front();
  }
  if (n > 0) next_first_ = (next_first_ + 1) % n;
  if (!batch.empty()) space_ready_.notify_all();
  return batch;
}

void FrameHub::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  frames_ready_.notify_all();
  space_ready_.notify_all();
}

std::vector<FrameHub::CameraStats> FrameHub::stats() const {
  std::lock_guard lock(mu_);
  std::vector<CameraStats> out;
  for (const Queue& q : queues_) out.push_back({static_cast<int64_t>(q.frames.size()), q.pushed, q.dropped});
  return out;
}

}  // namespace edgeserve::vision
