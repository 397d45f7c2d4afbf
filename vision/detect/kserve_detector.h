// A YOLO-family detector served by any KServe v2 endpoint (another edgeserve, Triton, OVMS): the
// frames are letterboxed here, sent as one binary FP32 tensor, and the output decoded here, so it
// gives the same boxes as the in-process engine detector (yolo_detector.h) on the same model.
#pragma once

#include <memory>
#include <string>

#include "vision/detect/detector.h"
#include "vision/detect/yolo_decode.h"

namespace edgeserve::vision {

struct KServeDetectorOptions {
  std::string url;       // http://HOST:PORT (no TLS); every error names it
  std::string model;     // the model's name on the server
  std::string version;   // optional; empty: the server's newest ready version
  YoloFamily family = YoloFamily::kYolox;
  int input_width = 0;   // 0: from the server's model metadata (required when its H/W are -1)
  int input_height = 0;
  // Frames per detect() call. Frames per request are capped by the server: its config's
  // max_batch_size when it reports one (> 0), else the metadata's batch dim (-1: any; fixed 1: 1).
  // A larger detect() batch is sent as several requests in sequence.
  int max_batch = 4;
  double timeout_s = 10; // per request: connect + send + receive
  DecodeOptions decode;
};

// Reads the model's metadata (and config) and checks its input is FP32 [N, 3, H, W], then sends
// one probe frame so that a server that cannot run it, or an output that is not the family's
// layout, fails here rather than at the first frame. Errors name the URL, model and what was
// wrong. The detector holds one keep-alive connection; detect() calls are serialized.
Result<std::unique_ptr<Detector>> make_kserve_detector(const KServeDetectorOptions& options);

}  // namespace edgeserve::vision
