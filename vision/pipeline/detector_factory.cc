#include "vision/pipeline/detector_factory.h"

#include <algorithm>

#include "vision/detect/hog_detector.h"
#include "vision/detect/kserve_detector.h"
#include "vision/detect/yolo_detector.h"

namespace edgeserve::vision {

Result<std::unique_ptr<Detector>> make_detector(const DetectorConfig& config, int sources) {
  YoloDetectorOptions yolo = config.yolo;
  yolo.max_batch = std::max(1, std::min(yolo.max_batch, sources));
  switch (config.kind) {
    case DetectorKind::kHog: return make_hog_detector(config.hog);
    case DetectorKind::kEngine: return make_yolo_detector(yolo);
    case DetectorKind::kKServe: {
      KServeDetectorOptions k;
      k.url = config.infer_url;
      k.model = config.infer_model;
      k.family = yolo.family;
      k.input_width = yolo.input_width;
      k.input_height = yolo.input_height;
      k.max_batch = yolo.max_batch;
      k.decode = yolo.decode;
      return make_kserve_detector(k);
    }
  }
  return internal_error("unknown detector kind");
}

}  // namespace edgeserve::vision
