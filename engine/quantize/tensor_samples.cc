// Tensor-file calibration samples (see tensor_samples.h).
#include "engine/quantize/tensor_samples.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "common/strings.h"
#include "engine/onnx/tensor_file.h"

namespace edgeserve::quant {

namespace fs = std::filesystem;

namespace {

std::string lower_extension(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e;
}

Result<std::vector<std::string>> list_dirs(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory()) out.push_back(e.path().string());
  }
  if (ec) return not_found(str_cat(dir, ": cannot be listed (", ec.message(), ")"));
  std::sort(out.begin(), out.end());
  return out;
}

class TensorSamples final : public SampleSource {
 public:
  TensorSamples(std::vector<std::string> paths, std::vector<TensorInfo> inputs)
      : paths_(std::move(paths)), inputs_(std::move(inputs)) {}
  int size() const override { return static_cast<int>(paths_.size()); }
  Result<std::vector<NamedTensor>> get(int i) const override {
    return inputs_.size() == 1 ? read_single(paths_[static_cast<size_t>(i)]) : read_folder(paths_[static_cast<size_t>(i)]);
  }

 private:
  Result<std::vector<NamedTensor>> read_single(const std::string& path) const {
    EDGE_ASSIGN_OR_RETURN(NamedTensor t, read_tensor_file(path));
    EDGE_RETURN_IF_ERROR(check_input_tensor(t.tensor, inputs_[0], path));
    return std::vector<NamedTensor>{{inputs_[0].name, t.tensor}};
  }
  Result<std::vector<NamedTensor>> read_folder(const std::string& dir) const {
    EDGE_ASSIGN_OR_RETURN(std::vector<std::string> files, list_files(dir, {".pb", ".npy"}));
    std::vector<NamedTensor> sample;
    for (const TensorInfo& in : inputs_) {
      auto it = std::find_if(files.begin(), files.end(), [&](const std::string& f) { return fs::path(f).stem() == in.name; });
      if (it == files.end()) return not_found(str_cat(dir, ": no file for input '", in.name, "' (", in.name, ".pb or .npy)"));
      EDGE_ASSIGN_OR_RETURN(NamedTensor t, read_tensor_file(*it));
      EDGE_RETURN_IF_ERROR(check_input_tensor(t.tensor, in, *it));
      sample.push_back({in.name, t.tensor});
    }
    return sample;
  }
  std::vector<std::string> paths_;
  std::vector<TensorInfo> inputs_;
};

}  // namespace

Result<std::vector<std::string>> list_files(const std::string& dir, const std::vector<std::string>& extensions) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return not_found(str_cat(dir, ": not a folder"));
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    const std::string ext = lower_extension(e.path());
    if (std::find(extensions.begin(), extensions.end(), ext) != extensions.end()) out.push_back(e.path().string());
  }
  if (ec) return not_found(str_cat(dir, ": cannot be listed (", ec.message(), ")"));
  std::sort(out.begin(), out.end());
  return out;
}

Status check_input_tensor(const Tensor& t, const TensorInfo& input, const std::string& what) {
  const TensorType& want = input.type;
  bool fits = t.dtype() == want.dtype;
  if (fits && want.dims) {
    fits = t.rank() == want.dims->size();
    for (size_t d = 0; fits && d < t.rank(); ++d) fits = !(*want.dims)[d].is_known() || (*want.dims)[d].value == t.dim(d);
  }
  if (fits) return Status::ok();
  return invalid_argument(str_cat(what, ": ", dtype_name(t.dtype()), dims_to_string(t.dims()), " does not match input '",
                                  input.name, "' ", want.to_string()));
}

Result<std::unique_ptr<SampleSource>> open_tensor_samples(const std::string& dir, const std::vector<TensorInfo>& inputs,
                                                          int max_samples) {
  if (inputs.empty()) return invalid_argument("the model has no inputs");
  std::vector<std::string> paths;
  if (inputs.size() == 1) {
    EDGE_ASSIGN_OR_RETURN(paths, list_files(dir, {".pb", ".npy"}));
  } else {
    EDGE_ASSIGN_OR_RETURN(paths, list_dirs(dir));
  }
  if (paths.empty()) {
    return not_found(str_cat(dir, inputs.size() == 1 ? ": no .pb or .npy files" : ": no sample subfolders (several inputs)"));
  }
  if (max_samples > 0 && static_cast<int>(paths.size()) > max_samples) paths.resize(static_cast<size_t>(max_samples));
  return std::unique_ptr<SampleSource>(new TensorSamples(std::move(paths), inputs));
}

}  // namespace edgeserve::quant
