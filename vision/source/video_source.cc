// VideoSource: the decode thread's loop (open, read, deliver; reconnect or finish) and its stats.
#include "vision/source/video_source.h"

#include <cmath>
#include <utility>

#include "common/strings.h"
#include "vision/source/backoff.h"
#include "vision/source/frame_timing.h"
#include "vision/source/stream_reader.h"

namespace edgeserve::vision {

using Clock = std::chrono::steady_clock;

struct VideoSource::Timing {
  explicit Timing(const SourceOptions& options)
      : limiter(options.max_fps), backoff(options.reconnect_min_s, options.reconnect_max_s) {}
  PtsTimeline timeline;
  FpsLimiter limiter;
  RealtimePacer pacer;
  Backoff backoff;
};

namespace {

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace

const char* source_state_name(VideoSource::State state) {
  switch (state) {
    case VideoSource::State::kStarting: return "starting";
    case VideoSource::State::kRunning: return "running";
    case VideoSource::State::kReconnecting: return "reconnecting";
    case VideoSource::State::kEnded: return "ended";
    case VideoSource::State::kFailed: return "failed";
  }
  return "unknown";
}

Result<std::unique_ptr<VideoSource>> VideoSource::create(SourceOptions options, FrameSink sink) {
  EDGE_RETURN_IF_ERROR(validate(options));
  return std::make_unique<VideoSource>(std::move(options), std::move(sink));
}

VideoSource::VideoSource(SourceOptions options, FrameSink sink)
    : options_(std::move(options)),
      live_(is_live(options_)),
      sink_(std::move(sink)),
      timing_(std::make_unique<Timing>(options_)) {}

VideoSource::~VideoSource() { stop(); }

void VideoSource::start() {
  if (thread_.joinable() || stop_.load()) return;
  thread_ = std::thread([this] { run(); });
}

void VideoSource::stop() {
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    stop_.store(true);
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

VideoSource::Stats VideoSource::stats() const {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  Stats copy = stats_;
  copy.fps = rate_.rate_per_s(Clock::now());
  return copy;
}

bool VideoSource::sleep_until(Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(wake_mutex_);
  return !wake_.wait_until(lock, deadline, [this] { return stop_.load(); });
}

void VideoSource::set_state(State state) {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  stats_.state = state;
}

void VideoSource::record_error(const Status& status) {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  stats_.last_error = status.message();
}

void VideoSource::finish(State state) {
  set_state(state);
  finished_.store(true);
}

void VideoSource::run() {
  const Status valid = validate(options_);
  if (!valid.is_ok()) {
    record_error(valid);
    return finish(State::kFailed);
  }
  bool first_attempt = true;
  while (!stop_.load()) {
    if (!first_attempt) {
      std::lock_guard<std::mutex> lock(stats_mutex_);
      ++stats_.reconnects;
    }
    Status why;
    bool progressed = false;  // the session delivered or decoded frames before it ended
    Result<std::unique_ptr<StreamReader>> reader = StreamReader::open(options_, stop_);
    if (reader.is_ok()) {
      const int64_t decoded_before = stats().frames_decoded;
      const SessionEnd end = run_session(**reader, &why);
      decode_errors_closed_ += (*reader)->decode_errors();
      if (end == SessionEnd::kStopped) return;
      if (end == SessionEnd::kFinished) return finish(State::kEnded);
      progressed = stats().frames_decoded > decoded_before;
    } else {
      why = reader.status();
    }
    if (stop_.load()) return;
    record_error(why);
    // A file fails once: reopening a file that cannot be read only repeats the error. A looped
    // file that played frames before failing (a seek that did not work) is opened again.
    if (!live_ && !(options_.loop && progressed)) return finish(State::kFailed);
    set_state(State::kReconnecting);
    first_attempt = false;
    if (!sleep_until(Clock::now() + seconds(timing_->backoff.next_delay_s()))) return;
  }
}

VideoSource::SessionEnd VideoSource::run_session(StreamReader& reader, Status* why) {
  timing_->timeline.start_segment();
  Clock::time_point last_frame = Clock::now();
  int64_t frames_this_pass = 0;
  for (;;) {
    std::optional<Clock::time_point> frame_deadline;
    if (live_) frame_deadline = last_frame + seconds(options_.stall_timeout_s);
    StreamReader::Picture picture;
    Result<StreamReader::Next> next = reader.next(&picture, frame_deadline);
    {
      std::lock_guard<std::mutex> lock(stats_mutex_);
      stats_.decode_errors = decode_errors_closed_ + reader.decode_errors();
      if (next.is_ok() && *next == StreamReader::Next::kFrame) ++stats_.frames_decoded;
    }
    if (stop_.load()) return SessionEnd::kStopped;
    if (!next.is_ok()) {
      *why = next.status();
      return SessionEnd::kLost;
    }
    if (*next == StreamReader::Next::kEnd) {
      if (live_) {
        *why = unavailable(redact_uri(options_.uri) + ": the stream ended");
        return SessionEnd::kLost;
      }
      if (!options_.loop) return SessionEnd::kFinished;
      if (frames_this_pass == 0) {
        *why = unavailable(options_.uri + ": a pass through the file gave no frame");
        return SessionEnd::kLost;
      }
      *why = reader.rewind();
      if (!why->is_ok()) return SessionEnd::kLost;
      timing_->timeline.start_segment();
      frames_this_pass = 0;
      continue;
    }
    ++frames_this_pass;
    *why = deliver(reader, picture.width, picture.height, picture.pts_seconds);
    if (!why->is_ok()) return SessionEnd::kLost;
    last_frame = Clock::now();
  }
}

Status VideoSource::deliver(StreamReader& reader, int width, int height, double raw_pts) {
  const double pts = timing_->timeline.map(raw_pts, reader.frame_interval_s());
  if (!timing_->limiter.admit(pts)) {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    ++stats_.frames_skipped_fps;
    return Status::ok();
  }
  if (!live_ && options_.realtime && !sleep_until(timing_->pacer.due(pts, Clock::now()))) return Status::ok();
  EDGE_ASSIGN_OR_RETURN(std::shared_ptr<const std::vector<uint8_t>> bgr, reader.to_bgr());
  Frame frame;
  frame.source_id = options_.id;
  frame.sequence = next_sequence_++;
  frame.pts_seconds = pts;
  frame.captured = Clock::now();
  frame.width = width;
  frame.height = height;
  frame.bgr = std::move(bgr);
  sink_(std::move(frame));
  timing_->backoff.reset();
  std::lock_guard<std::mutex> lock(stats_mutex_);
  ++stats_.frames_delivered;
  rate_.record(Clock::now());
  stats_.width = width;
  stats_.height = height;
  stats_.state = State::kRunning;
  return Status::ok();
}

}  // namespace edgeserve::vision
