// Model version loading: Session + completed config -> ModelSpec -> warm-up -> start.
#include "serving/core/model_loader.h"

#include <algorithm>
#include <optional>
#include <random>
#include <thread>

#include "serving/repository/model_config_io.h"

namespace edgeserve::serving {
namespace {

DType dtype_of(inference::DataType t) {
  switch (t) {
    case inference::TYPE_BOOL: return DType::kBool;
    case inference::TYPE_UINT8: return DType::kUint8;
    case inference::TYPE_UINT16: return DType::kUint16;
    case inference::TYPE_UINT32: return DType::kUint32;
    case inference::TYPE_UINT64: return DType::kUint64;
    case inference::TYPE_INT8: return DType::kInt8;
    case inference::TYPE_INT16: return DType::kInt16;
    case inference::TYPE_INT32: return DType::kInt32;
    case inference::TYPE_INT64: return DType::kInt64;
    case inference::TYPE_FP16: return DType::kFloat16;
    case inference::TYPE_FP32: return DType::kFloat32;
    case inference::TYPE_FP64: return DType::kFloat64;
    case inference::TYPE_STRING: return DType::kString;
    case inference::TYPE_BF16: return DType::kBFloat16;
    default: return DType::kUndefined;
  }
}

template <typename Io>
TensorSpec tensor_spec(const Io& io) {
  TensorSpec t{io.name(), dtype_of(io.data_type()), {io.dims().begin(), io.dims().end()}, std::nullopt};
  if (io.has_reshape()) t.reshape = std::vector<int64_t>(io.reshape().shape().begin(), io.reshape().shape().end());
  return t;
}

int instance_count(const inference::ModelConfig& c) {
  int n = 0;
  for (const auto& g : c.instance_group()) n += g.count();
  return std::max(1, n);
}

ModelSpec spec_of(const inference::ModelConfig& c, int64_t version, const ServerOptions& options) {
  ModelSpec s;
  s.name = c.name();
  s.version = std::to_string(version);
  s.platform = c.platform().empty() ? "onnxruntime_onnx" : c.platform();
  s.max_batch_size = c.max_batch_size();
  for (const auto& in : c.input()) s.inputs.push_back(tensor_spec(in));
  for (const auto& out : c.output()) s.outputs.push_back(tensor_spec(out));
  s.batch.max_batch_size = c.max_batch_size();
  s.batch.dynamic_batching = c.has_dynamic_batching() && c.max_batch_size() > 0;
  const auto& db = c.dynamic_batching();
  s.batch.preferred_batch_sizes.assign(db.preferred_batch_size().begin(), db.preferred_batch_size().end());
  std::sort(s.batch.preferred_batch_sizes.begin(), s.batch.preferred_batch_sizes.end());
  s.batch.max_queue_delay = std::chrono::microseconds(db.max_queue_delay_microseconds());
  s.queue.priority_levels = std::max<int>(1, static_cast<int>(db.priority_levels()));
  s.queue.default_priority_level = std::max<int>(1, static_cast<int>(db.default_priority_level()));
  const auto& qp = db.default_queue_policy();
  s.queue.max_queue_size = qp.max_queue_size() > 0 ? qp.max_queue_size() : options.default_max_queue_size;
  s.queue.default_timeout = std::chrono::microseconds(qp.default_timeout_microseconds());
  s.queue.allow_timeout_override = qp.allow_timeout_override() || !db.has_default_queue_policy();
  s.queue.timeout_action = qp.timeout_action() == inference::ModelQueuePolicy::DELAY ? TimeoutAction::kDelay
                                                                                     : TimeoutAction::kReject;
  s.instances = instance_count(c);
  return s;
}

Result<Tensor> warmup_tensor(DType dtype, Dims dims, bool random, std::mt19937* rng) {
  for (int64_t d : dims) {
    if (d < 0) return invalid_argument("variable dims");
  }
  EDGE_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dtype, dims));
  if (random && dtype == DType::kFloat32) {
    std::uniform_real_distribution<float> u(0.f, 1.f);
    for (int64_t i = 0; i < t.num_elements(); ++i) t.mutable_data<float>()[i] = u(*rng);
  }
  return t;
}

// Batch sizes the auto warm-up compiles (each distinct batch size is a kernel compilation): every
// size up to 8, then powers of two up to 64, and the maximum when it is at most 64. Bigger
// batches compile on first use; config model_warmup replaces this list.
std::vector<int64_t> warmup_batch_sizes(int max_batch_size) {
  if (max_batch_size <= 0) return {0};
  std::vector<int64_t> sizes;
  const int64_t cap = std::min(max_batch_size, 64);
  for (int64_t b = 1; b <= cap; b = b < 8 ? b + 1 : b * 2) sizes.push_back(b);
  if (max_batch_size <= 64 && sizes.back() != max_batch_size) sizes.push_back(max_batch_size);
  return sizes;
}

Status auto_warmup(const Session& session, const ModelSpec& spec) {
  std::mt19937 rng(7);
  for (int64_t b : warmup_batch_sizes(spec.max_batch_size)) {
    std::vector<NamedTensor> inputs;
    for (const TensorSpec& t : spec.inputs) {
      Dims dims = t.reshape ? *t.reshape : t.dims;
      if (b > 0) dims.insert(dims.begin(), b);
      Result<Tensor> tensor = warmup_tensor(t.dtype, dims, false, &rng);
      if (!tensor.is_ok()) return Status::ok();  // variable dims: nothing to warm up with
      inputs.push_back({t.name, std::move(tensor).value()});
    }
    Result<std::vector<Tensor>> out = session.run(inputs);
    if (!out.is_ok()) return out.status().with_context("warm-up at batch size " + std::to_string(b));
  }
  return Status::ok();
}

Status config_warmup(const Session& session, const inference::ModelConfig& c) {
  std::mt19937 rng(7);
  for (const auto& w : c.model_warmup()) {
    std::vector<NamedTensor> inputs;
    for (const auto& [name, in] : w.inputs()) {
      Dims dims(in.dims().begin(), in.dims().end());
      if (c.max_batch_size() > 0) dims.insert(dims.begin(), std::max<int64_t>(1, w.batch_size()));
      EDGE_ASSIGN_OR_RETURN(Tensor t, warmup_tensor(dtype_of(in.data_type()), dims, in.random_data(), &rng));
      inputs.push_back({name, std::move(t)});
    }
    for (uint32_t i = 0; i < std::max<uint32_t>(1, w.count()); ++i) {
      Result<std::vector<Tensor>> out = session.run(inputs);
      if (!out.is_ok()) return out.status().with_context("model_warmup '" + w.name() + "'");
    }
  }
  return Status::ok();
}

Result<LoadedModel> load_on_this_thread(const std::string& name, int64_t version, const std::filesystem::path& version_dir,
                                        const std::string& config_text, const std::string& config_path,
                                        const ServerOptions& options) {
  inference::ModelConfig config;
  if (!config_text.empty()) {
    EDGE_ASSIGN_OR_RETURN(config, parse_model_config(config_text, config_path));
  }
  EDGE_ASSIGN_OR_RETURN(const std::string file, model_file_name(config, config_path));
  EDGE_ASSIGN_OR_RETURN(const ConfigParameters params, parse_config_parameters(config, config_path));
  const int cores = options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  SessionOptions so;
  // Instances run concurrently on one Session, so they split the cores between them.
  so.threads = params.threads.value_or(std::max(1, cores / instance_count(config)));
  so.optimization_level = params.optimization_level.value_or(2);
  so.layout = params.layout.value_or(so.layout);
  so.conv_algorithm = params.conv_algorithm.value_or(so.conv_algorithm);
  EDGE_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::load((version_dir / file).string(), so));
  ModelInterface io{session->inputs(), session->outputs()};
  EDGE_RETURN_IF_ERROR(complete_model_config(&config, name, io, config_path));
  ModelSpec spec = spec_of(config, version, options);
  std::shared_ptr<const Session> shared(std::move(session));
  EDGE_RETURN_IF_ERROR(config.model_warmup_size() > 0 ? config_warmup(*shared, config) : auto_warmup(*shared, spec));
  LoadedModel loaded;
  loaded.model = std::make_shared<ServedModel>(std::move(spec), shared);
  loaded.model->start();
  loaded.config_json = model_config_to_json(config);
  return loaded;
}

}  // namespace

// Loading and warm-up run OpenMP regions (kernel timing, warm-up runs), and libgomp keeps a team
// of worker threads for every thread that has run one. With the loading thread's idle team left
// in the process, the instance's workers were woken through futexes on every region
// (mobilenet_v2: +35% per inference in the server). A scratch thread's team ends with it.
Result<LoadedModel> load_served_model(const std::string& name, int64_t version, const std::filesystem::path& version_dir,
                                      const std::string& config_text, const std::string& config_path,
                                      const ServerOptions& options) {
  std::optional<Result<LoadedModel>> result;
  std::thread loader([&] { result.emplace(load_on_this_thread(name, version, version_dir, config_text, config_path, options)); });
  loader.join();
  return std::move(*result);
}

}  // namespace edgeserve::serving
