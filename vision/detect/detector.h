// The detector stage's one interface: frames in, person boxes (frame pixels) out. Implemented by
// the engine in-process (YOLO families), a remote KServe v2 endpoint, and OpenCV's HOG people
// detector (the built-in default that needs no model file).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "vision/base/frame.h"
#include "vision/base/geometry.h"

namespace edgeserve::vision {

class Detector {
 public:
  virtual ~Detector() = default;
  // One result per frame, in order. Frames may differ in size. At most max_batch() frames.
  virtual Result<std::vector<std::vector<Detection>>> detect(const std::vector<const Frame*>& frames) = 0;
  // The largest batch one detect() call takes (the pipeline batches across cameras up to it).
  virtual int max_batch() const = 0;
  // For logs and metrics: "yolox /path/model.onnx (engine, batch 4)".
  virtual std::string describe() const = 0;
};

}  // namespace edgeserve::vision
