#include "vision/pipeline/count_pipeline.h"

#include "common/strings.h"

namespace edgeserve::vision {
namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A camera with no zones or lines counts the whole frame as one zone, so a bare
// `edgeserve count --source X` still reports people in view, entries and exits.
SceneSpec whole_frame_scene() {
  constexpr float kBig = 1e6f;
  return SceneSpec{{ZoneSpec{"frame", {{-1, -1}, {kBig, -1}, {kBig, kBig}, {-1, kBig}}}}, {}};
}

}  // namespace

struct CountPipeline::Camera {
  CameraConfig config;
  std::unique_ptr<VideoSource> source;
  // Tracker and counter: used by the detector thread; the mutex is for set_scene and reports.
  mutable std::mutex mu;
  ByteTracker tracker;
  Counter counter;
  SceneSpec scene;
  int64_t frames_processed = 0;
  // Event time: a file's own clock from when it started (processing faster than real time must
  // not shorten dwell times); a live stream's wall clock at decode.
  bool live = false;
  bool clock_started = false;
  double unix_at_first_pts = 0;
  double first_pts = 0;

  Camera(CameraConfig c, const TrackerOptions& t, const CounterOptions& o)
      : config(std::move(c)), tracker(t), counter(config.source.id, config.scene, o), scene(config.scene) {}
};

CountPipeline::CountPipeline(CountConfig config, std::unique_ptr<Detector> detector)
    : config_(std::move(config)), detector_(std::move(detector)), detector_description_(detector_->describe()) {}

CountPipeline::~CountPipeline() { stop(std::chrono::milliseconds(0)); }

Result<std::unique_ptr<CountPipeline>> CountPipeline::create(CountConfig config, std::unique_ptr<Detector> detector) {
  for (auto& cam : config.cameras) {
    if (cam.scene.zones.empty() && cam.scene.lines.empty()) cam.scene = whole_frame_scene();
  }
  std::unique_ptr<CountPipeline> p(new CountPipeline(std::move(config), std::move(detector)));
  EDGE_RETURN_IF_ERROR(p->open_events());
  std::vector<FrameHub::Camera> hub_cameras;
  for (const CameraConfig& c : p->config_.cameras) {
    auto cam = std::make_unique<Camera>(c, p->config_.tracker, p->config_.counting);
    cam->live = is_live(c.source) || c.source.realtime;
    hub_cameras.push_back({/*block_when_full=*/!cam->live});
    p->cameras_.push_back(std::move(cam));
  }
  p->hub_ = std::make_unique<FrameHub>(hub_cameras, static_cast<size_t>(p->config_.pipeline.queue_frames));
  for (size_t i = 0; i < p->cameras_.size(); ++i) {
    FrameHub* hub = p->hub_.get();
    auto source = VideoSource::create(p->cameras_[i]->config.source, [hub, i](Frame&& f) { hub->push(i, std::move(f)); });
    if (!source.is_ok()) return source.status();
    p->cameras_[i]->source = std::move(source).value();
  }
  return p;
}

Status CountPipeline::open_events() {
  const OutputConfig& out = config_.output;
  std::string outbox_path = out.outbox_path;
  if (outbox_path.empty() && !out.mqtt.uri.empty()) outbox_path = "edgeserve-outbox.db";
  if (!outbox_path.empty()) {
    OutboxOptions o;
    o.path = outbox_path;
    EDGE_ASSIGN_OR_RETURN(outbox_, Outbox::open(o));
  }
  if (!out.mqtt.uri.empty()) {
    EDGE_ASSIGN_OR_RETURN(publisher_, EventPublisher::start(out.mqtt, outbox_.get()));
  }
  EDGE_ASSIGN_OR_RETURN(sink_, EventSink::create(outbox_.get(), publisher_.get(), out.mqtt.topic_prefix, out.events_file));
  return Status::ok();
}

void CountPipeline::start() {
  started_ = Clock::now();
  detector_thread_ = std::thread([this] { detector_loop(); });
  for (auto& cam : cameras_) cam->source->start();
}

bool CountPipeline::all_sources_done() const {
  for (const auto& cam : cameras_) {
    if (!cam->source->finished()) return false;
  }
  return true;
}

void CountPipeline::detector_loop() {
  const size_t max_batch = static_cast<size_t>(std::max(1, detector_->max_batch()));
  const auto fill_wait = std::chrono::microseconds(static_cast<int64_t>(config_.pipeline.batch_wait_ms * 1000));
  while (!stopping_) {
    // Sources are checked before taking: a source that finished has pushed its last frame.
    const bool sources_done = all_sources_done();
    auto batch = hub_->take_batch(max_batch, cameras_.size(), std::chrono::milliseconds(100), fill_wait);
    if (batch.empty()) {
      if (sources_done) break;
      continue;
    }
    process_batch(batch);
  }
  finished_ns_ = Clock::now().time_since_epoch().count();
  detector_done_ = true;
  std::lock_guard lock(done_mu_);
  done_cv_.notify_all();
}

double CountPipeline::frame_timestamp(Camera& cam, const Frame& f) {
  const double captured_unix = unix_now() - std::chrono::duration<double>(Clock::now() - f.captured).count();
  if (cam.live) return captured_unix;
  if (!cam.clock_started) {
    cam.clock_started = true;
    cam.unix_at_first_pts = captured_unix;
    cam.first_pts = f.pts_seconds;
  }
  return cam.unix_at_first_pts + (f.pts_seconds - cam.first_pts);
}

void CountPipeline::process_batch(std::vector<std::pair<size_t, Frame>>& batch) {
  std::vector<const Frame*> frames;
  const auto t0 = Clock::now();
  for (const auto& [index, frame] : batch) {
    frames.push_back(&frame);
    queue_wait_ms_.add(ms_between(frame.captured, t0));
  }
  auto detections = detector_->detect(frames);
  const auto t1 = Clock::now();
  detect_ms_.add(ms_between(t0, t1));
  ++batches_;
  if (!detections.is_ok()) {
    ++detector_errors_;
    std::lock_guard lock(error_mu_);
    last_detector_error_ = detections.status().to_string();
    return;
  }
  std::vector<CountEvent> events;
  std::vector<Clock::time_point> event_frames;
  for (size_t k = 0; k < batch.size(); ++k) {
    Camera& cam = *cameras_[batch[k].first];
    const Frame& frame = batch[k].second;
    std::lock_guard lock(cam.mu);
    const TrackerUpdate tracks = cam.tracker.update((*detections)[k]);
    auto frame_events = cam.counter.update(frame_timestamp(cam, frame), tracks);
    ++cam.frames_processed;
    frame_to_result_ms_.add(ms_between(frame.captured, Clock::now()));
    for (auto& e : frame_events) {
      events.push_back(std::move(e));
      event_frames.push_back(frame.captured);
    }
  }
  frames_processed_ += static_cast<int64_t>(batch.size());
  if (events.empty()) return;
  const Status s = sink_->publish(events);
  const auto published = Clock::now();
  if (s.is_ok()) {
    for (const auto& captured : event_frames) frame_to_event_ms_.add(ms_between(captured, published));
  }
}

bool CountPipeline::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(done_mu_);
  return done_cv_.wait_for(lock, timeout, [&] { return detector_done_.load(); });
}

void CountPipeline::stop(std::chrono::milliseconds drain) {
  {
    std::lock_guard lock(done_mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  stopping_ = true;
  if (hub_) hub_->close();  // unblocks sources waiting for queue space
  for (auto& cam : cameras_) {
    if (cam->source) cam->source->stop();
  }
  if (detector_thread_.joinable()) detector_thread_.join();
  if (publisher_) publisher_->stop(drain);
}

Status CountPipeline::set_scene(const std::string& camera, SceneSpec scene) {
  EDGE_RETURN_IF_ERROR(validate(scene, "camera '" + camera + "'"));
  for (auto& cam : cameras_) {
    if (cam->config.source.id != camera) continue;
    std::lock_guard lock(cam->mu);
    cam->scene = scene;
    cam->counter.set_scene(std::move(scene));
    return Status::ok();
  }
  return not_found("no source with id '" + camera + "'");
}

Result<SceneSpec> CountPipeline::scene(const std::string& camera) const {
  for (const auto& cam : cameras_) {
    if (cam->config.source.id != camera) continue;
    std::lock_guard lock(cam->mu);
    return cam->scene;
  }
  return not_found("no source with id '" + camera + "'");
}

CountPipeline::Report CountPipeline::report() const {
  Report r;
  // Until the last frame was counted, not until now: the report is often read after stop()'s drain.
  const int64_t finished = finished_ns_;
  const auto end = finished != 0 ? Clock::time_point(Clock::duration(finished)) : Clock::now();
  r.elapsed_s = std::chrono::duration<double>(end - started_).count();
  const auto queues = hub_->stats();
  for (size_t i = 0; i < cameras_.size(); ++i) {
    const Camera& cam = *cameras_[i];
    CameraReport c;
    c.id = cam.config.source.id;
    c.source = cam.source->stats();
    c.queue = queues[i];
    std::lock_guard lock(cam.mu);
    c.frames_processed = cam.frames_processed;
    c.counts = cam.counter.snapshot();
    r.cameras.push_back(std::move(c));
  }
  r.frames_processed = frames_processed_;
  r.batches = batches_;
  r.detector_errors = detector_errors_;
  {
    std::lock_guard lock(error_mu_);
    r.last_detector_error = last_detector_error_;
  }
  r.queue_wait = queue_wait_ms_.summary();
  r.detect = detect_ms_.summary();
  r.frame_to_result = frame_to_result_ms_.summary();
  r.frame_to_event = frame_to_event_ms_.summary();
  r.events = sink_->published_events();
  r.events_dropped = sink_->dropped_events();
  r.mqtt_configured = publisher_ != nullptr;
  if (publisher_) r.mqtt = publisher_->stats();
  r.outbox_depth = outbox_ ? outbox_->depth() : 0;
  return r;
}

}  // namespace edgeserve::vision
