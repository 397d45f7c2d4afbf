// OpenCV's HOG + linear SVM pedestrian detector (Daimler's 48x96 window: the people in a mall or
// street camera are often under the 128 px the 64x128 default needs). Built into Debian's
// libopencv-objdetect, so `edgeserve count` works on a fresh machine with no model to download.
// Far less accurate than a CNN; it is the out-of-the-box default, not the recommended detector.
#pragma once

#include <memory>

#include "vision/detect/detector.h"

namespace edgeserve::vision {

struct HogOptions {
  double min_weight = 0.5;   // SVM margin below which a window is dropped
  double scale_step = 1.05;  // image pyramid factor
  int stride = 8;            // window stride, px
};

std::unique_ptr<Detector> make_hog_detector(const HogOptions& options = {});

}  // namespace edgeserve::vision
