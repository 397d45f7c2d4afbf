// One open connection to a video URI through FFmpeg: demuxes the best video stream, decodes it
// with one codec thread (the cores belong to the detector) and converts frames to packed BGR24
// the way OpenCV's VideoCapture does (swscale, SWS_BICUBIC), so pixels match frame for frame.
//
// Threading: one thread uses a reader (the source's decode thread). `stop` is read by FFmpeg's
// interrupt callback, so another thread setting it aborts a blocked open or read within about
// 100 ms; every blocking call also has a deadline (io_timeout_s) through the same callback.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "vision/source/source_options.h"

struct AVFormatContext;
struct AVCodecContext;
struct AVFrame;
struct AVPacket;
struct SwsContext;

namespace edgeserve::vision {

class StreamReader {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int kMaxDimension = 8192;  // larger frames are refused: bounded memory

  struct Picture {
    int width = 0;
    int height = 0;
    double pts_seconds = 0;  // the stream's own time; NaN when the frame has none
  };
  enum class Next { kFrame, kEnd };

  // Opens the URI and its video decoder, waiting at most io_timeout_s per blocking step.
  // Errors name the URI (credentials redacted) and FFmpeg's reason.
  static Result<std::unique_ptr<StreamReader>> open(const SourceOptions& options,
                                                    const std::atomic<bool>& stop);
  ~StreamReader();
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;

  // Decodes the next frame. kEnd at the end of the input, after the decoder is drained.
  // If `frame_deadline` is set and passes before a frame is decoded: DeadlineExceeded (a live
  // stream that still sends packets, but no pictures, is as stalled as a silent one). A read
  // error or a stall is returned once the pictures the decoder still holds are handed out.
  Result<Next> next(Picture* picture, std::optional<Clock::time_point> frame_deadline);
  // The frame from the last kFrame as packed BGR24 (width * height * 3 bytes).
  Result<std::shared_ptr<const std::vector<uint8_t>>> to_bgr();
  // Back to the first frame, for looping files.
  Status rewind();

  double frame_interval_s() const { return frame_interval_s_; }
  // Packets the decoder refused, frames dropped, frames it marked damaged (and concealed).
  int64_t decode_errors() const { return decode_errors_; }

 private:
  // What FFmpeg's interrupt callback reads: stop from the owner, a deadline from this reader.
  enum class Deadline { kNone, kIo, kStall };
  struct Interrupt {
    const std::atomic<bool>* stop = nullptr;
    std::atomic<int64_t> deadline_ns{0};           // steady_clock ticks
    std::atomic<Deadline> armed{Deadline::kNone};  // what deadline_ns stands for
    // Which deadline aborted a call. FFmpeg keeps an aborted read's error and may return it
    // only on a later call, so this is remembered for the rest of the connection.
    std::atomic<Deadline> fired{Deadline::kNone};
  };
  static int interrupt_callback(void* opaque);

  StreamReader(const SourceOptions& options, const std::atomic<bool>& stop);
  Status open_input();
  Status open_decoder();
  // Reads the next packet of the video stream; false at the end of the input.
  Result<bool> read_packet(std::optional<Clock::time_point> frame_deadline);
  // The interrupt deadline for the next call: io_timeout_s from now, or frame_deadline if sooner.
  void arm_deadline(std::optional<Clock::time_point> frame_deadline);
  // The Status for a failed FFmpeg call: stopped, timed out, or FFmpeg's reason.
  Status failure(const std::string& what, int av_error) const;
  Status stalled() const;
  // After the decoder is drained: kEnd, or the error that ended the input.
  Result<Next> end_of_input() const;

  SourceOptions options_;
  std::string uri_for_messages_;
  Interrupt interrupt_;
  AVFormatContext* format_ = nullptr;
  AVCodecContext* codec_ = nullptr;
  AVPacket* packet_ = nullptr;
  AVFrame* frame_ = nullptr;      // the decoded frame, valid after kFrame
  AVFrame* bgr_frame_ = nullptr;  // aligned, padded swscale output (what OpenCV converts into)
  SwsContext* sws_ = nullptr;
  int stream_index_ = -1;
  bool draining_ = false;
  Status input_error_;  // why the input ended, when it was not the end of the stream
  double frame_interval_s_ = 0.04;
  int64_t decode_errors_ = 0;
};

}  // namespace edgeserve::vision
