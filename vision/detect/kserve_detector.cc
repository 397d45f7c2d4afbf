// The remote detector: letterbox here, infer on a KServe v2 server, decode here.
#include "vision/detect/kserve_detector.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "common/strings.h"
#include "vision/detect/kserve_client.h"

namespace edgeserve::vision {
namespace {

// What creation learnt from the server: names, input size, frames per request.
struct RemoteModel {
  std::string input_name;
  std::string output_name;
  int input_width = 0;
  int input_height = 0;
  int request_batch = 1;
};

class KServeDetector final : public Detector {
 public:
  KServeDetector(const KServeDetectorOptions& o, std::unique_ptr<KServeClient> client, const RemoteModel& model)
      : options_(o), client_(std::move(client)), model_(model),
        letterbox_(family_letterbox(o.family, model.input_width, model.input_height)) {}

  Result<std::vector<std::vector<Detection>>> detect(const std::vector<const Frame*>& frames) override {
    const int n = static_cast<int>(frames.size());
    if (n > options_.max_batch) {
      return invalid_argument(str_cat("batch of ", n, " frames exceeds the detector's ", options_.max_batch));
    }
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::vector<Detection>> result;
    for (int first = 0; first < n; first += model_.request_batch) {
      const int count = std::min(model_.request_batch, n - first);
      EDGE_RETURN_IF_ERROR(detect_request(&frames[first], count, &result));
    }
    return result;
  }

  int max_batch() const override { return options_.max_batch; }
  std::string describe() const override {
    return str_cat(yolo_family_name(options_.family), " ", client_->where(), " (kserve, ", model_.input_width, "x",
                   model_.input_height, ", batch up to ", options_.max_batch, ", ", model_.request_batch,
                   " per request)");
  }

 private:
  // One infer request for `count` frames; appends their detections to `result`.
  Status detect_request(const Frame* const* frames, int count, std::vector<std::vector<Detection>>* result) {
    const size_t plane = 3ULL * model_.input_height * model_.input_width;
    input_.resize(plane * count);  // kept between calls: no allocation once the largest batch was seen
    std::vector<LetterboxTransform> transforms;
    for (int i = 0; i < count; ++i) transforms.push_back(letterbox(*frames[i], letterbox_, input_.data() + i * plane));
    const std::vector<int64_t> shape = {count, 3, model_.input_height, model_.input_width};
    EDGE_ASSIGN_OR_RETURN(KServeFloatTensor out,
                          client_->infer_fp32(model_.input_name, shape, input_.data(), model_.output_name));
    if (out.shape.empty() || out.shape[0] != count) {
      return invalid_argument(str_cat(client_->where(), ": output '", model_.output_name, "' has shape ",
                                      dims_to_string(out.shape), " for a batch of ", count));
    }
    for (int i = 0; i < count; ++i) {
      auto dets = decode_yolo(options_.family, out.data.data(), out.shape, i, model_.input_width, model_.input_height,
                              transforms[i], options_.decode);
      if (!dets.is_ok()) return dets.status().with_context(str_cat(client_->where(), ": output '", model_.output_name, "'"));
      result->push_back(std::move(*dets));
    }
    return Status::ok();
  }

  KServeDetectorOptions options_;
  std::mutex mu_;  // serializes detect(): one connection, one input buffer
  std::unique_ptr<KServeClient> client_;
  RemoteModel model_;
  LetterboxSpec letterbox_;
  std::vector<float> input_;
};

// One input dim against the option that may override it: -1 (variable) needs the option, a fixed
// dim must agree with it.
Status resolve_dim(int64_t served, int* option, const char* name) {
  if (*option == 0) {
    if (served <= 0) return invalid_argument(str_cat("its ", name, " is variable: give input_", name));
    *option = static_cast<int>(std::min<int64_t>(served, 1 << 20));
  } else if (served > 0 && served != *option) {
    return invalid_argument(str_cat("input_", name, " ", *option, " differs from the served ", name, " ", served));
  }
  if (*option > 4096 || *option % 32 != 0) {
    return invalid_argument(str_cat("input ", name, " ", *option, ": expected a multiple of 32 up to 4096"));
  }
  return Status::ok();
}

// Frames per request: the config's max_batch_size caps it when > 0; otherwise the input's batch
// dim decides (-1: any number, a fixed 1: one frame per request).
Result<int> request_batch(const KServeModelSpec& spec, int max_batch) {
  const int64_t dim0 = spec.inputs[0].shape[0];
  if (spec.max_batch_size && *spec.max_batch_size > 0) {
    return static_cast<int>(std::min<int64_t>(max_batch, *spec.max_batch_size));
  }
  if (dim0 == -1) return max_batch;
  if (dim0 == 1) return 1;
  return unimplemented(str_cat("the input's batch is fixed at ", dim0, "; expected -1 (variable) or 1"));
}

Result<RemoteModel> read_remote_model(const KServeModelSpec& spec, const KServeDetectorOptions& o) {
  if (spec.inputs.size() != 1 || spec.outputs.empty()) {
    return invalid_argument(str_cat("a detector model has one input and at least one output; this one has ",
                                    spec.inputs.size(), " inputs and ", spec.outputs.size(), " outputs"));
  }
  const KServeTensorSpec& in = spec.inputs[0];
  const auto& s = in.shape;
  if (in.datatype != "FP32" || s.size() != 4 || s[1] != 3) {
    return invalid_argument(str_cat("input '", in.name, "' is ", in.datatype, " ", dims_to_string(s),
                                    "; expected FP32 [N, 3, H, W]"));
  }
  RemoteModel m;
  m.input_name = in.name;
  m.output_name = spec.outputs[0].name;
  m.input_width = o.input_width;
  m.input_height = o.input_height;
  EDGE_RETURN_IF_ERROR(resolve_dim(s[2], &m.input_height, "height").with_context(str_cat("input '", in.name, "'")));
  EDGE_RETURN_IF_ERROR(resolve_dim(s[3], &m.input_width, "width").with_context(str_cat("input '", in.name, "'")));
  EDGE_ASSIGN_OR_RETURN(m.request_batch, request_batch(spec, o.max_batch));
  return m;
}

Status check_options(const KServeDetectorOptions& o) {
  if (o.max_batch < 1 || o.max_batch > 64) return invalid_argument("detector max_batch expects 1..64");
  if (!(o.timeout_s > 0 && o.timeout_s <= 3600)) return invalid_argument("detector timeout_s expects (0, 3600] seconds");
  if (o.input_width < 0 || o.input_height < 0) return invalid_argument("detector input_width/height expect >= 0");
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Detector>> make_kserve_detector(const KServeDetectorOptions& options) {
  const std::string where = str_cat("kserve detector ", options.url, " model '", options.model, "'");
  EDGE_RETURN_IF_ERROR(check_options(options).with_context(where));
  KServeClientOptions co;
  co.url = options.url;
  co.model = options.model;
  co.version = options.version;
  co.timeout = std::chrono::milliseconds(static_cast<int64_t>(std::ceil(options.timeout_s * 1000)));
  EDGE_ASSIGN_OR_RETURN(auto client, KServeClient::create(co));
  EDGE_ASSIGN_OR_RETURN(KServeModelSpec spec, client->model_spec());
  auto model = read_remote_model(spec, options);
  if (!model.is_ok()) return model.status().with_context(client->where());
  auto detector = std::make_unique<KServeDetector>(options, std::move(client), *model);
  Frame probe;
  probe.width = model->input_width;
  probe.height = model->input_height;
  probe.bgr = std::make_shared<const std::vector<uint8_t>>(static_cast<size_t>(probe.width) * probe.height * 3, 0);
  auto r = detector->detect({&probe});
  if (!r.is_ok()) return r.status().with_context("probe frame");
  return std::unique_ptr<Detector>(std::move(detector));
}

}  // namespace edgeserve::vision
