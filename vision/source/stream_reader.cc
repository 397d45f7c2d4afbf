// StreamReader: FFmpeg 5.1 demux (libavformat), decode (send_packet / receive_frame) and
// conversion to BGR24 (libswscale). See stream_reader.h.
#include "vision/source/stream_reader.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>
}

#include "common/strings.h"

namespace edgeserve::vision {
namespace {

// A decoder that keeps failing on every call without needing input is broken, not just fed
// a corrupt packet: give up on the connection instead of spinning.
constexpr int kMaxConsecutiveReceiveErrors = 100;
// mpegts over UDP: look at most this long for the stream's parameters (the default, 5 s, would
// hold a reconnect for that long when a stream has a data track that never tells its codec).
constexpr int64_t kLiveAnalyzeDurationUs = 2'000'000;
// udp: the receive ring between FFmpeg's socket thread and the demuxer, in 188-byte packets
// (about 9 MB, a few seconds of a high-rate camera).
constexpr int64_t kUdpFifoPackets = 50'000;

void init_ffmpeg_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    avformat_network_init();
    // FFmpeg logs every damaged macroblock of a lossy stream at warning level; the source
    // reports errors through its Status and counters instead. An application that chose a
    // level already keeps it.
    if (av_log_get_level() == AV_LOG_INFO) av_log_set_level(AV_LOG_ERROR);
  });
}

std::string av_error_text(int av_error) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(av_error, text, sizeof(text));
  return text;
}

// Timeouts and buffering per protocol; FFmpeg leaves options a protocol does not know unused.
AVDictionary* protocol_options(const SourceOptions& options) {
  AVDictionary* dict = nullptr;
  const int64_t timeout_us = static_cast<int64_t>(options.io_timeout_s * 1e6);
  const std::string scheme = uri_scheme(options.uri);
  if (!is_live(options)) {
    // A file may be a playlist or a concat script naming other files or URLs: read only itself.
    av_dict_set(&dict, "protocol_whitelist", "file", 0);
    return dict;
  }
  av_dict_set_int(&dict, "rw_timeout", timeout_us, 0);  // any single avio read or write
  av_dict_set_int(&dict, "analyzeduration", kLiveAnalyzeDurationUs, 0);
  // Guessing the frame rate from 20 frames (the default) holds every (re)connect for 2 s at
  // 10 fps; the codec's own rate or the pts serve us as well.
  av_dict_set_int(&dict, "fpsprobesize", 0, 0);
  if (scheme == "udp" || scheme == "rtp") {
    av_dict_set_int(&dict, "timeout", timeout_us, 0);  // udp: microseconds without data
    av_dict_set_int(&dict, "fifo_size", kUdpFifoPackets, 0);
    av_dict_set_int(&dict, "overrun_nonfatal", 1, 0);  // a full ring drops packets, not the stream
  } else if (scheme == "rtsp" || scheme == "rtsps") {
    av_dict_set(&dict, "rtsp_transport", options.rtsp_transport.c_str(), 0);
    av_dict_set_int(&dict, "timeout", timeout_us, 0);  // rtsp: socket I/O, microseconds
  } else if (scheme == "tcp") {
    av_dict_set_int(&dict, "timeout", timeout_us, 0);
  }
  return dict;
}

double to_seconds(int64_t ts, AVRational time_base) {
  if (ts == AV_NOPTS_VALUE) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(ts) * av_q2d(time_base);
}

}  // namespace

StreamReader::StreamReader(const SourceOptions& options, const std::atomic<bool>& stop)
    : options_(options), uri_for_messages_(redact_uri(options.uri)) {
  interrupt_.stop = &stop;
}

StreamReader::~StreamReader() {
  sws_freeContext(sws_);
  av_frame_free(&bgr_frame_);
  av_frame_free(&frame_);
  av_packet_free(&packet_);
  avcodec_free_context(&codec_);
  avformat_close_input(&format_);
}

Result<std::unique_ptr<StreamReader>> StreamReader::open(const SourceOptions& options,
                                                         const std::atomic<bool>& stop) {
  init_ffmpeg_once();
  std::unique_ptr<StreamReader> reader(new StreamReader(options, stop));
  EDGE_RETURN_IF_ERROR(reader->open_input());
  EDGE_RETURN_IF_ERROR(reader->open_decoder());
  return reader;
}

int StreamReader::interrupt_callback(void* opaque) {
  auto* interrupt = static_cast<Interrupt*>(opaque);
  if (interrupt->stop->load(std::memory_order_relaxed)) return 1;
  if (Clock::now().time_since_epoch().count() <= interrupt->deadline_ns.load(std::memory_order_relaxed)) return 0;
  interrupt->fired.store(interrupt->armed.load());
  return 1;
}

void StreamReader::arm_deadline(std::optional<Clock::time_point> frame_deadline) {
  Clock::time_point deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.io_timeout_s));
  Deadline kind = Deadline::kIo;
  if (frame_deadline && *frame_deadline < deadline) {
    deadline = *frame_deadline;
    kind = Deadline::kStall;
  }
  interrupt_.deadline_ns.store(deadline.time_since_epoch().count(), std::memory_order_relaxed);
  interrupt_.armed.store(kind);
}

Status StreamReader::failure(const std::string& what, int av_error) const {
  if (interrupt_.stop->load()) return unavailable(str_cat(uri_for_messages_, ": ", what, ": stopped"));
  switch (interrupt_.fired.load()) {
    case Deadline::kIo:
      return deadline_exceeded(str_cat(uri_for_messages_, ": ", what, ": no answer within ",
                                       options_.io_timeout_s, " s (io_timeout_s)"));
    case Deadline::kStall: return stalled();
    case Deadline::kNone: break;
  }
  return unavailable(str_cat(uri_for_messages_, ": ", what, ": ", av_error_text(av_error)));
}

Status StreamReader::stalled() const {
  return deadline_exceeded(str_cat(uri_for_messages_, ": no frame for ", options_.stall_timeout_s,
                                   " s (stall_timeout_s)"));
}

Status StreamReader::open_input() {
  format_ = avformat_alloc_context();
  packet_ = av_packet_alloc();
  frame_ = av_frame_alloc();
  bgr_frame_ = av_frame_alloc();
  if (!format_ || !packet_ || !frame_ || !bgr_frame_) return resource_exhausted("out of memory opening " + uri_for_messages_);
  format_->interrupt_callback = {&StreamReader::interrupt_callback, &interrupt_};
  AVDictionary* dict = protocol_options(options_);
  arm_deadline(std::nullopt);
  int rc = avformat_open_input(&format_, ffmpeg_url(options_.uri).c_str(), nullptr, &dict);
  av_dict_free(&dict);
  if (rc < 0) return failure("cannot open", rc);  // format_ was freed and set to null
  arm_deadline(std::nullopt);
  rc = avformat_find_stream_info(format_, nullptr);
  if (rc < 0) return failure("cannot read the stream parameters", rc);
  stream_index_ = av_find_best_stream(format_, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (stream_index_ < 0) return not_found(uri_for_messages_ + ": has no video stream");
  for (unsigned i = 0; i < format_->nb_streams; ++i) {
    if (static_cast<int>(i) != stream_index_) format_->streams[i]->discard = AVDISCARD_ALL;
  }
  return Status::ok();
}

Status StreamReader::open_decoder() {
  const AVStream* stream = format_->streams[stream_index_];
  const AVCodecParameters* par = stream->codecpar;
  if (par->width > kMaxDimension || par->height > kMaxDimension) {
    return out_of_range(str_cat(uri_for_messages_, ": frames of ", par->width, "x", par->height,
                                " exceed the limit of ", kMaxDimension, "x", kMaxDimension));
  }
  const AVCodec* decoder = avcodec_find_decoder(par->codec_id);
  if (!decoder) {
    return unimplemented(str_cat(uri_for_messages_, ": no decoder for codec '", avcodec_get_name(par->codec_id), "'"));
  }
  codec_ = avcodec_alloc_context3(decoder);
  if (!codec_) return resource_exhausted("out of memory opening a decoder for " + uri_for_messages_);
  int rc = avcodec_parameters_to_context(codec_, par);
  if (rc < 0) return failure("bad codec parameters", rc);
  codec_->thread_count = 1;  // the cores are the detector's; one camera is one decode thread
  codec_->max_pixels = static_cast<int64_t>(kMaxDimension) * kMaxDimension;
  codec_->pkt_timebase = stream->time_base;
  rc = avcodec_open2(codec_, decoder, nullptr);
  if (rc < 0) return failure(str_cat("cannot open the '", decoder->name, "' decoder"), rc);
  const AVRational rate = av_guess_frame_rate(format_, const_cast<AVStream*>(stream), nullptr);
  const double fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0;
  if (fps >= 1 && fps <= 1000) frame_interval_s_ = 1 / fps;
  return Status::ok();
}

Result<bool> StreamReader::read_packet(std::optional<Clock::time_point> frame_deadline) {
  for (;;) {
    if (frame_deadline && Clock::now() >= *frame_deadline) return stalled();
    arm_deadline(frame_deadline);
    const int rc = av_read_frame(format_, packet_);
    if (interrupt_.stop->load()) {
      // An interrupted read may hand back a partial packet: do not feed it to the decoder.
      av_packet_unref(packet_);
      return failure("read failed", AVERROR_EXIT);
    }
    if (rc == AVERROR_EOF && interrupt_.fired.load() == Deadline::kNone) return false;
    if (rc < 0) return failure("read failed", rc);
    if (packet_->stream_index == stream_index_) return true;
    av_packet_unref(packet_);
  }
}

Result<StreamReader::Next> StreamReader::next(Picture* picture, std::optional<Clock::time_point> frame_deadline) {
  int receive_errors = 0;
  for (;;) {
    int rc = avcodec_receive_frame(codec_, frame_);
    if (rc == 0) {
      if (frame_->width <= 0 || frame_->height <= 0 || frame_->width > kMaxDimension ||
          frame_->height > kMaxDimension) {
        ++decode_errors_;
        av_frame_unref(frame_);
        continue;
      }
      // Delivered all the same (concealed, as OpenCV would show it), but counted.
      if (frame_->decode_error_flags != 0 || (frame_->flags & AV_FRAME_FLAG_CORRUPT)) ++decode_errors_;
      picture->width = frame_->width;
      picture->height = frame_->height;
      picture->pts_seconds = to_seconds(frame_->best_effort_timestamp, format_->streams[stream_index_]->time_base);
      return Next::kFrame;
    }
    if (rc == AVERROR_EOF) return end_of_input();
    if (rc != AVERROR(EAGAIN)) {
      ++decode_errors_;
      if (++receive_errors > kMaxConsecutiveReceiveErrors) return failure("the decoder keeps failing", rc);
      continue;
    }
    if (draining_) return end_of_input();
    Result<bool> got_packet = read_packet(frame_deadline);
    if (!got_packet.is_ok() && interrupt_.stop->load()) return got_packet.status();
    if (!got_packet.is_ok() || !*got_packet) {
      // The end, or a stall or error: the decoder still holds a picture or two (an MPEG stream
      // without B-frames is decoded one picture late). Hand them out, then report why it ended.
      if (!got_packet.is_ok()) input_error_ = got_packet.status();
      draining_ = true;
      avcodec_send_packet(codec_, nullptr);
      continue;
    }
    rc = avcodec_send_packet(codec_, packet_);
    av_packet_unref(packet_);
    if (rc < 0 && rc != AVERROR(EAGAIN)) ++decode_errors_;  // a corrupt packet; later ones may be fine
  }
}

Result<StreamReader::Next> StreamReader::end_of_input() const {
  if (!input_error_.is_ok()) return input_error_;
  return Next::kEnd;
}

Result<std::shared_ptr<const std::vector<uint8_t>>> StreamReader::to_bgr() {
  const int width = frame_->width;
  const int height = frame_->height;
  // SWS_BICUBIC at equal sizes is a pure colour conversion; it is what OpenCV 4.6's
  // cap_ffmpeg asks for, so the detector sees the pixels it was validated on.
  sws_ = sws_getCachedContext(sws_, width, height, static_cast<AVPixelFormat>(frame_->format), width, height,
                              AV_PIX_FMT_BGR24, SWS_BICUBIC, nullptr, nullptr, nullptr);
  if (!sws_) {
    return unimplemented(str_cat(uri_for_messages_, ": cannot convert pixel format '",
                                 av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame_->format)), "' to BGR24"));
  }
  if (bgr_frame_->width != width || bgr_frame_->height != height) {
    av_frame_unref(bgr_frame_);
    bgr_frame_->format = AV_PIX_FMT_BGR24;
    bgr_frame_->width = width;
    bgr_frame_->height = height;
    // Aligned and padded rows: swscale's SIMD paths may write whole vectors past the last pixel.
    const int rc = av_frame_get_buffer(bgr_frame_, 32);
    if (rc < 0) return failure("cannot allocate a BGR frame", rc);
  }
  sws_scale(sws_, frame_->data, frame_->linesize, 0, height, bgr_frame_->data, bgr_frame_->linesize);
  const size_t row_bytes = static_cast<size_t>(width) * 3;
  auto bgr = std::make_shared<std::vector<uint8_t>>(row_bytes * height);
  for (int y = 0; y < height; ++y) {
    std::memcpy(bgr->data() + y * row_bytes, bgr_frame_->data[0] + static_cast<ptrdiff_t>(y) * bgr_frame_->linesize[0],
                row_bytes);
  }
  return std::shared_ptr<const std::vector<uint8_t>>(std::move(bgr));
}

Status StreamReader::rewind() {
  arm_deadline(std::nullopt);
  const int64_t start = format_->start_time == AV_NOPTS_VALUE ? 0 : format_->start_time;
  const int rc = av_seek_frame(format_, -1, start, AVSEEK_FLAG_BACKWARD);
  if (rc < 0) return failure("cannot seek to the start", rc);
  avcodec_flush_buffers(codec_);
  draining_ = false;
  input_error_ = Status::ok();
  return Status::ok();
}

}  // namespace edgeserve::vision
