// Image decoding and preprocessing for calibration (see calibration_images.h).
#include "apps/edgeserve/calibration_images.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/strings.h"

namespace edgeserve::cli {

const std::vector<std::string>& image_extensions() {
  static const std::vector<std::string> kExt = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"};
  return kExt;
}

Result<PreprocessSpec> resolve_spec(const PreprocessSpec& spec, const TensorInfo& input) {
  const auto& dims = input.type.dims;
  const std::string what = str_cat("input '", input.name, "' ", input.type.to_string());
  if (input.type.dtype != DType::kFloat32) return invalid_argument(str_cat(what, ": images need a float32 input"));
  if (!dims || dims->size() != 4) return invalid_argument(str_cat(what, ": images need a rank-4 input"));
  const Dim& c = (*dims)[spec.nhwc ? 3 : 1];
  const Dim& h = (*dims)[spec.nhwc ? 1 : 2];
  const Dim& w = (*dims)[spec.nhwc ? 2 : 3];
  if (c.is_known() && c.value != 3) {
    return invalid_argument(str_cat(what, ": expected 3 channels in ", spec.nhwc ? "nhwc" : "nchw", " layout"));
  }
  if ((*dims)[0].is_known() && (*dims)[0].value != 1) return invalid_argument(str_cat(what, ": the batch must be 1"));
  PreprocessSpec s = spec;
  if (s.width == 0) s.width = w.is_known() ? static_cast<int>(w.value) : 0;
  if (s.height == 0) s.height = h.is_known() ? static_cast<int>(h.value) : 0;
  if (s.width == 0 || s.height == 0) return invalid_argument(str_cat(what, ": dynamic H/W; give size=WxH in --preprocess"));
  if ((w.is_known() && w.value != s.width) || (h.is_known() && h.value != s.height)) {
    return invalid_argument(str_cat("--preprocess size=", s.width, "x", s.height, " does not match ", what));
  }
  return s;
}

namespace {

// The resized, cropped or letterboxed 8-bit BGR image of exactly spec.width x spec.height.
cv::Mat fit(const cv::Mat& src, const PreprocessSpec& s) {
  const cv::Size out(s.width, s.height);
  cv::Mat dst;
  if (s.resize == ResizeMode::kStretch) {
    cv::resize(src, dst, out, 0, 0, cv::INTER_LINEAR);
    return dst;
  }
  if (s.resize == ResizeMode::kCrop) {
    const int side = s.shorter_side > 0 ? s.shorter_side : std::max(s.width, s.height);
    const double r = std::max({static_cast<double>(side) / std::min(src.cols, src.rows),
                               static_cast<double>(s.width) / src.cols, static_cast<double>(s.height) / src.rows});
    cv::Mat resized;
    cv::resize(src, resized, cv::Size(std::max(s.width, static_cast<int>(std::lround(src.cols * r))),
                                      std::max(s.height, static_cast<int>(std::lround(src.rows * r)))),
               0, 0, cv::INTER_LINEAR);
    const int x0 = (resized.cols - s.width) / 2, y0 = (resized.rows - s.height) / 2;
    return resized(cv::Rect(x0, y0, s.width, s.height)).clone();
  }
  const double r = std::min(static_cast<double>(s.width) / src.cols, static_cast<double>(s.height) / src.rows);
  const int rw = std::clamp(static_cast<int>(std::lround(src.cols * r)), 1, s.width);
  const int rh = std::clamp(static_cast<int>(std::lround(src.rows * r)), 1, s.height);
  cv::Mat resized;
  cv::resize(src, resized, cv::Size(rw, rh), 0, 0, cv::INTER_LINEAR);
  const double pad = std::clamp<double>(s.pad_value, 0, 255);
  dst = cv::Mat(out, CV_8UC3, cv::Scalar(pad, pad, pad));
  const int x0 = s.pad_center ? (s.width - rw) / 2 : 0, y0 = s.pad_center ? (s.height - rh) / 2 : 0;
  resized.copyTo(dst(cv::Rect(x0, y0, rw, rh)));
  return dst;
}

}  // namespace

Result<Tensor> preprocess_bgr(const uint8_t* bgr, int width, int height, const PreprocessSpec& s) {
  if (width <= 0 || height <= 0 || s.width <= 0 || s.height <= 0) return invalid_argument("empty image or size");
  const cv::Mat src(height, width, CV_8UC3, const_cast<uint8_t*>(bgr));
  const cv::Mat img = fit(src, s);
  const Dims dims = s.nhwc ? Dims{1, s.height, s.width, 3} : Dims{1, 3, s.height, s.width};
  EDGE_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate_uninitialized(DType::kFloat32, dims));
  float* out = t.mutable_data<float>();
  const int64_t plane = int64_t{s.width} * s.height;
  for (int y = 0; y < s.height; ++y) {
    const uint8_t* row = img.ptr<uint8_t>(y);
    for (int x = 0; x < s.width; ++x) {
      for (int c = 0; c < 3; ++c) {
        const int src_c = s.rgb ? 2 - c : c;  // OpenCV rows are BGR
        const float v = (row[x * 3 + src_c] * s.scale - s.mean[static_cast<size_t>(c)]) / s.std[static_cast<size_t>(c)];
        const int64_t pixel = int64_t{y} * s.width + x;
        out[s.nhwc ? pixel * 3 + c : c * plane + pixel] = v;
      }
    }
  }
  return t;
}

Result<Tensor> load_image_tensor(const std::string& path, const PreprocessSpec& spec) {
  const cv::Mat img = cv::imread(path, cv::IMREAD_COLOR);
  if (img.empty()) return invalid_argument(str_cat(path, ": cannot be read or decoded as an image"));
  const cv::Mat packed = img.isContinuous() ? img : img.clone();
  auto t = preprocess_bgr(packed.ptr<uint8_t>(0), packed.cols, packed.rows, spec);
  if (!t.is_ok()) return t.status().with_context(path);
  return t;
}

namespace {

class ImageSamples final : public quant::SampleSource {
 public:
  ImageSamples(std::vector<std::string> paths, PreprocessSpec spec, std::string input)
      : paths_(std::move(paths)), spec_(spec), input_(std::move(input)) {}
  int size() const override { return static_cast<int>(paths_.size()); }
  Result<std::vector<NamedTensor>> get(int i) const override {
    EDGE_ASSIGN_OR_RETURN(Tensor t, load_image_tensor(paths_[static_cast<size_t>(i)], spec_));
    return std::vector<NamedTensor>{{input_, std::move(t)}};
  }

 private:
  std::vector<std::string> paths_;
  PreprocessSpec spec_;
  std::string input_;
};

}  // namespace

std::unique_ptr<quant::SampleSource> image_samples(std::vector<std::string> paths, PreprocessSpec spec,
                                                   std::string input_name) {
  return std::make_unique<ImageSamples>(std::move(paths), spec, std::move(input_name));
}

}  // namespace edgeserve::cli
