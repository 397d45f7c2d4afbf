// A camera or a file as a stream of BGR frames: one decode thread per source that opens the URI,
// decodes, caps the rate, paces files in real time if asked, and hands each frame to a sink.
// Live sources reconnect with backoff forever (until stop) after errors, end of stream, or a
// stall; a file that cannot be opened fails once, naming the path.
//
// Threading and ownership: the source owns its thread. The sink is called on that thread, one
// frame at a time, and may block: that is the backpressure for files; a live stream's sink
// should drop instead (the pipeline's queue does, drop-oldest). stop() and stats() may be called
// from any thread. stop() returns within about 100 ms even while an open or read is blocked,
// unless the sink itself blocks: whoever owns the sink's queue must unblock it (close it) first.
// The sink must not throw, and must not call stop() or destroy the source.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "vision/base/frame.h"
#include "vision/source/rate_meter.h"
#include "vision/source/source_options.h"

namespace edgeserve::vision {

class StreamReader;

using FrameSink = std::function<void(Frame&&)>;

class VideoSource {
 public:
  enum class State { kStarting, kRunning, kReconnecting, kEnded, kFailed };

  struct Stats {
    int64_t frames_decoded = 0;      // pictures out of the decoder
    int64_t frames_delivered = 0;    // handed to the sink
    int64_t frames_skipped_fps = 0;  // decoded but dropped by max_fps
    int64_t reconnects = 0;          // attempts to open again after an error, end or stall
    int64_t decode_errors = 0;       // refused packets, dropped or damaged (concealed) frames
    State state = State::kStarting;
    std::string last_error;          // the latest error, names the URI; kept after recovery
    double fps = 0;                  // recent delivered rate; 0 after 2 s without a frame
    int width = 0;                   // of the latest frame
    int height = 0;
  };

  // Validates the options first; the source is not started.
  static Result<std::unique_ptr<VideoSource>> create(SourceOptions options, FrameSink sink);
  // Invalid options are reported when started: kFailed with validate()'s message.
  VideoSource(SourceOptions options, FrameSink sink);
  ~VideoSource();  // stops
  VideoSource(const VideoSource&) = delete;
  VideoSource& operator=(const VideoSource&) = delete;

  void start();  // starts the decode thread; a second call does nothing
  void stop();   // idempotent; joins the thread
  Stats stats() const;
  // A non-looped file reached its end (kEnded), or a file failed (kFailed, last_error names it).
  bool finished() const { return finished_.load(); }
  const SourceOptions& options() const { return options_; }

 private:
  enum class SessionEnd { kStopped, kFinished, kLost };

  void run();
  // Reads frames from one open reader until stop, the end of a non-looped file, or a failure
  // (returned in *why).
  SessionEnd run_session(StreamReader& reader, Status* why);
  // Caps, paces, converts and hands one decoded frame to the sink. Returns early, OK, when
  // stopped while pacing; an error if the frame cannot be converted.
  Status deliver(StreamReader& reader, int width, int height, double raw_pts);
  // Sleeps until `deadline` or stop(); false if stopped.
  bool sleep_until(std::chrono::steady_clock::time_point deadline);
  void set_state(State state);
  void record_error(const Status& status);
  void finish(State state);

  const SourceOptions options_;
  const bool live_;
  FrameSink sink_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::thread thread_;
  std::mutex wake_mutex_;  // with wake_: lets stop() cut a backoff or pacing sleep short
  std::condition_variable wake_;

  mutable std::mutex stats_mutex_;  // guards stats_ and rate_
  Stats stats_;
  RateMeter rate_;
  int64_t decode_errors_closed_ = 0;  // from readers already closed (decode thread only)
  int64_t next_sequence_ = 0;         // decode thread only

  struct Timing;  // pts line, fps cap, pacer: decode thread only
  std::unique_ptr<Timing> timing_;
};

const char* source_state_name(VideoSource::State state);  // "starting", "running", ...

}  // namespace edgeserve::vision
