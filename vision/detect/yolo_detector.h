// A YOLO-family ONNX detector run by the engine in-process. Models exported with a fixed batch
// of 1 (YOLOX's export, most Ultralytics exports) are loaded with SessionOptions::free_batch so
// that frames from several cameras run as one batch.
#pragma once

#include <memory>
#include <string>

#include "vision/detect/detector.h"
#include "vision/detect/yolo_decode.h"

namespace edgeserve::vision {

struct YoloDetectorOptions {
  std::string model_path;
  YoloFamily family = YoloFamily::kYolox;
  int input_width = 0;   // 0: from the model's input (required when its H/W are symbolic)
  int input_height = 0;
  int max_batch = 4;     // frames per engine call
  int threads = 0;       // engine threads; 0 = the cores available
  DecodeOptions decode;
};

// Loads and warms up the model; errors name the file and what about its input/output is not
// a YOLO detector's.
Result<std::unique_ptr<Detector>> make_yolo_detector(const YoloDetectorOptions& options);

}  // namespace edgeserve::vision
