#include "vision/detect/hog_detector.h"

#include <cmath>
#include <opencv2/objdetect.hpp>

namespace edgeserve::vision {
namespace {

class HogDetector final : public Detector {
 public:
  explicit HogDetector(const HogOptions& o)
      : options_(o), hog_(cv::Size(48, 96), cv::Size(16, 16), cv::Size(8, 8), cv::Size(8, 8), 9) {
    hog_.setSVMDetector(cv::HOGDescriptor::getDaimlerPeopleDetector());
  }

  Result<std::vector<std::vector<Detection>>> detect(const std::vector<const Frame*>& frames) override {
    std::vector<std::vector<Detection>> out;
    for (const Frame* f : frames) out.push_back(detect_one(*f));
    return out;
  }
  int max_batch() const override { return 1; }
  std::string describe() const override { return "hog (OpenCV Daimler people detector, built in)"; }

 private:
  std::vector<Detection> detect_one(const Frame& f) const {
    const cv::Mat img(f.height, f.width, CV_8UC3, const_cast<uint8_t*>(f.bgr->data()));
    std::vector<cv::Rect> rects;
    std::vector<double> weights;
    hog_.detectMultiScale(img, rects, weights, 0, cv::Size(options_.stride, options_.stride), cv::Size(0, 0),
                          options_.scale_step, 2);
    std::vector<Detection> dets;
    for (size_t i = 0; i < rects.size() && i < weights.size(); ++i) {
      if (weights[i] < options_.min_weight) continue;
      const cv::Rect& r = rects[i];
      // The SVM margin mapped onto 0..1 so the tracker's score thresholds mean the same for all
      // detectors: margin 0.5 -> 0.39, 1 -> 0.63, 2 -> 0.86.
      const float score = static_cast<float>(1.0 - std::exp(-weights[i]));
      dets.push_back({{static_cast<float>(r.x), static_cast<float>(r.y), static_cast<float>(r.x + r.width),
                       static_cast<float>(r.y + r.height)},
                      score, 0});
    }
    return dets;
  }

  HogOptions options_;
  cv::HOGDescriptor hog_;
};

}  // namespace

std::unique_ptr<Detector> make_hog_detector(const HogOptions& options) {
  return std::make_unique<HogDetector>(options);
}

}  // namespace edgeserve::vision
