// A decoded video frame as it travels from a source to the detector: packed BGR24 pixels
// (OpenCV's order, what the YOLO families were trained on) plus where and when it came from.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace edgeserve::vision {

struct Frame {
  std::string source_id;
  int64_t sequence = 0;        // 0, 1, 2, ... per source, across reconnects
  double pts_seconds = 0;      // presentation time in the stream (file time for files)
  std::chrono::steady_clock::time_point captured;  // when the decoder delivered it
  int width = 0;
  int height = 0;
  // width * height * 3 bytes, rows packed (stride = width * 3). Shared so that queues and the
  // batcher pass frames without copying pixels.
  std::shared_ptr<const std::vector<uint8_t>> bgr;
};

}  // namespace edgeserve::vision
