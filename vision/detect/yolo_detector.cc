#include "vision/detect/yolo_detector.h"

#include <map>
#include <mutex>
#include <thread>

#include "common/strings.h"
#include "edgeserve/session.h"

namespace edgeserve::vision {
namespace {

class YoloDetector final : public Detector {
 public:
  YoloDetector(const YoloDetectorOptions& o, std::unique_ptr<Session> session, int max_batch)
      : options_(o), session_(std::move(session)), max_batch_(max_batch),
        letterbox_(family_letterbox(o.family, o.input_width, o.input_height)) {}

  Result<std::vector<std::vector<Detection>>> detect(const std::vector<const Frame*>& frames) override {
    const int64_t n = static_cast<int64_t>(frames.size());
    if (n == 0) return std::vector<std::vector<Detection>>{};
    if (n > max_batch_) return invalid_argument(str_cat("batch of ", n, " frames exceeds the detector's ", max_batch_));
    std::lock_guard lock(mu_);
    EDGE_ASSIGN_OR_RETURN(Tensor input, input_for(n));
    std::vector<LetterboxTransform> transforms(static_cast<size_t>(n));
    const int64_t plane = 3LL * options_.input_height * options_.input_width;
    float* dst = input.mutable_data<float>();
    for (int64_t i = 0; i < n; ++i) transforms[i] = letterbox(*frames[i], letterbox_, dst + i * plane);
    EDGE_ASSIGN_OR_RETURN(auto outputs, session_->run({{session_->inputs()[0].name, input}}));
    const Tensor& out = outputs[0];
    if (out.dtype() != DType::kFloat32) return invalid_argument("the detector's output is not float32");
    std::vector<std::vector<Detection>> result;
    for (int64_t i = 0; i < n; ++i) {
      EDGE_ASSIGN_OR_RETURN(auto dets, decode_yolo(options_.family, out.data<float>(), out.dims(), i,
                                                   options_.input_width, options_.input_height, transforms[i],
                                                   options_.decode));
      result.push_back(std::move(dets));
    }
    return result;
  }

  int max_batch() const override { return max_batch_; }

  // One input tensor per batch size, reused: a fresh 2-8 MB buffer per call costs page faults
  // (the kernel zeroes every page) on the path between frames and the engine.
  Result<Tensor> input_for(int64_t n) {
    auto it = inputs_.find(n);
    if (it != inputs_.end()) return it->second;
    EDGE_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate_uninitialized(
                                        DType::kFloat32, {n, 3, options_.input_height, options_.input_width}));
    inputs_.emplace(n, t);
    return t;
  }

  std::string describe() const override {
    return str_cat(yolo_family_name(options_.family), " ", options_.model_path, " (engine, ", options_.input_width, "x",
                   options_.input_height, ", batch up to ", max_batch_, ")");
  }

 private:
  YoloDetectorOptions options_;
  std::unique_ptr<Session> session_;
  int max_batch_;
  LetterboxSpec letterbox_;
  std::mutex mu_;  // detect() calls are serialized: they share the input tensors
  std::map<int64_t, Tensor> inputs_;
};

// Fills input_width/height from the model's [N, 3, H, W] input and says whether its batch is
// fixed at 1.
Status read_input_geometry(const ModelInfo& info, YoloDetectorOptions& o, bool* fixed_batch_of_one) {
  if (info.inputs.size() != 1 || info.outputs.empty()) {
    return invalid_argument(str_cat("a detector model has one input and at least one output; this one has ",
                                    info.inputs.size(), " inputs"));
  }
  const TensorInfo& in = info.inputs[0];
  if (in.type.dtype != DType::kFloat32 || !in.type.dims || in.type.dims->size() != 4 || (*in.type.dims)[1].value != 3) {
    return invalid_argument(str_cat("input '", in.name, "' is ", in.type.to_string(), "; expected float32 [N, 3, H, W]"));
  }
  const auto& d = *in.type.dims;
  *fixed_batch_of_one = d[0].value == 1;
  if (o.input_height == 0) o.input_height = static_cast<int>(d[2].value);
  if (o.input_width == 0) o.input_width = static_cast<int>(d[3].value);
  if (o.input_height <= 0 || o.input_width <= 0 || o.input_height > 4096 || o.input_width > 4096 ||
      o.input_height % 32 != 0 || o.input_width % 32 != 0) {
    return invalid_argument(str_cat("input '", in.name, "' size ", o.input_width, "x", o.input_height,
                                    ": expected multiples of 32 up to 4096 (give input_width/height for symbolic H/W)"));
  }
  return Status::ok();
}

}  // namespace

namespace {

Result<std::unique_ptr<Detector>> load_and_warm_up(const YoloDetectorOptions& options) {
  YoloDetectorOptions o = options;
  if (o.max_batch < 1 || o.max_batch > 64) return invalid_argument("detector max_batch expects 1..64");
  auto info = inspect_model(o.model_path);
  if (!info.is_ok()) return info.status();
  bool fixed_batch_of_one = false;
  EDGE_RETURN_IF_ERROR(read_input_geometry(*info, o, &fixed_batch_of_one).with_context(o.model_path));
  SessionOptions so;
  so.threads = o.threads;
  so.free_batch = fixed_batch_of_one && o.max_batch > 1;
  EDGE_ASSIGN_OR_RETURN(auto session, Session::load(o.model_path, so));
  const int max_batch = fixed_batch_of_one && !so.free_batch ? 1 : o.max_batch;
  auto detector = std::make_unique<YoloDetector>(o, std::move(session), max_batch);
  // Warm up every batch size the pipeline may send: the cpu provider compiles per shape.
  for (int b = 1; b <= max_batch; ++b) {
    Frame f;
    f.width = o.input_width;
    f.height = o.input_height;
    f.bgr = std::make_shared<const std::vector<uint8_t>>(static_cast<size_t>(f.width) * f.height * 3, 0);
    std::vector<const Frame*> frames(b, &f);
    auto r = detector->detect(frames);
    if (!r.is_ok()) return r.status().with_context(str_cat(o.model_path, ": warm-up at batch ", b));
  }
  return std::unique_ptr<Detector>(std::move(detector));
}

}  // namespace

Result<std::unique_ptr<Detector>> make_yolo_detector(const YoloDetectorOptions& options) {
  // Load and warm up on a thread that then exits: libgomp keeps an OpenMP team per thread that
  // ever ran a parallel region, and an idle team left on the caller's (long-lived) thread makes
  // every parallel region of the pipeline's runs wake its workers by futex (measured in serving:
  // +35% on mobilenet_v2; docs/architecture.md).
  Result<std::unique_ptr<Detector>> result = internal_error("detector not loaded");
  std::thread loader([&] { result = load_and_warm_up(options); });
  loader.join();
  return result;
}

}  // namespace edgeserve::vision
