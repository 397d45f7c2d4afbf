// Builds the detector a configuration names: OpenCV HOG (built in), a YOLO model run by the
// engine in-process, or a KServe v2 endpoint.
#pragma once

#include <memory>

#include "vision/detect/detector.h"
#include "vision/pipeline/count_config.h"

namespace edgeserve::vision {

// `sources` caps the batch: the pipeline never batches more than one frame per source, and each
// batch size the engine may see is compiled and warmed up at load.
Result<std::unique_ptr<Detector>> make_detector(const DetectorConfig& config, int sources);

}  // namespace edgeserve::vision
