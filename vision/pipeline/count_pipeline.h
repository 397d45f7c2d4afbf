// `edgeserve count` as a running thing: a decode thread per camera feeding bounded queues
// (FrameHub), one detector thread that batches frames across cameras into one detector call,
// then per camera the tracker and the zone/line counter, and the events to the outbox and MQTT.
//
//   VideoSource x N --FrameHub (bounded)--> batch --Detector--> ByteTracker[cam] -> Counter[cam]
//     -> EventSink -> Outbox (SQLite) -> EventPublisher (MQTT)
//
// Tracking and counting run on the detector thread: they take microseconds per frame, and a
// single thread keeps each camera's frames in order without locks on the hot path.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "vision/count/counter.h"
#include "vision/detect/detector.h"
#include "vision/events/event_sink.h"
#include "vision/events/mqtt_publisher.h"
#include "vision/events/outbox.h"
#include "vision/pipeline/count_config.h"
#include "vision/pipeline/frame_hub.h"
#include "vision/pipeline/latency_stats.h"
#include "vision/source/video_source.h"
#include "vision/track/byte_tracker.h"

namespace edgeserve::vision {

class CountPipeline {
 public:
  // Opens the outbox (and connects to MQTT in the background) and creates the sources; starts
  // nothing. `config` must pass validate().
  static Result<std::unique_ptr<CountPipeline>> create(CountConfig config, std::unique_ptr<Detector> detector);
  ~CountPipeline();
  CountPipeline(const CountPipeline&) = delete;
  CountPipeline& operator=(const CountPipeline&) = delete;

  void start();
  // Waits up to `timeout` for every camera to end (non-looped files) with its frames counted;
  // true when they have. Live and looped sources never end: stop() them.
  bool wait_for(std::chrono::milliseconds timeout);
  // Stops the sources and the detector thread, then gives the publisher up to `drain` to send
  // what the outbox holds. Idempotent.
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(3000));

  // Replaces a camera's zones and lines while running; counts of kept names stay.
  Status set_scene(const std::string& camera, SceneSpec scene);
  Result<SceneSpec> scene(const std::string& camera) const;

  struct CameraReport {
    std::string id;
    VideoSource::Stats source;
    FrameHub::CameraStats queue;
    int64_t frames_processed = 0;
    CountSnapshot counts;
  };
  struct Report {
    double elapsed_s = 0;
    std::vector<CameraReport> cameras;
    int64_t frames_processed = 0;
    int64_t batches = 0;
    int64_t detector_errors = 0;
    std::string last_detector_error;
    LatencyStats::Summary queue_wait;       // decoded -> taken into a detector batch
    LatencyStats::Summary detect;           // one detector call
    LatencyStats::Summary frame_to_result;  // decoded -> tracked and counted
    LatencyStats::Summary frame_to_event;   // decoded -> its events in the outbox
    int64_t events = 0;
    int64_t events_dropped = 0;
    bool mqtt_configured = false;
    EventPublisher::Stats mqtt;
    int64_t outbox_depth = 0;
  };
  Report report() const;
  const std::string& detector_description() const { return detector_description_; }

 private:
  struct Camera;
  CountPipeline(CountConfig config, std::unique_ptr<Detector> detector);
  Status open_events();
  void detector_loop();
  void process_batch(std::vector<std::pair<size_t, Frame>>& batch);
  double frame_timestamp(Camera& cam, const Frame& frame);
  bool all_sources_done() const;

  CountConfig config_;
  std::unique_ptr<Detector> detector_;
  std::string detector_description_;
  std::vector<std::unique_ptr<Camera>> cameras_;
  std::unique_ptr<FrameHub> hub_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<EventPublisher> publisher_;
  std::unique_ptr<EventSink> sink_;

  std::thread detector_thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> detector_done_{false};
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  bool stopped_ = false;
  std::chrono::steady_clock::time_point started_;
  std::atomic<int64_t> finished_ns_{0};  // steady-clock time the detector thread ended; 0 while running

  std::atomic<int64_t> frames_processed_{0};
  std::atomic<int64_t> batches_{0};
  std::atomic<int64_t> detector_errors_{0};
  mutable std::mutex error_mu_;
  std::string last_detector_error_;
  LatencyStats queue_wait_ms_, detect_ms_, frame_to_result_ms_, frame_to_event_ms_;
};

}  // namespace edgeserve::vision
