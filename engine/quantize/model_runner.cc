// ModelRunner (see model_runner.h).
#include "engine/quantize/model_runner.h"

#include <algorithm>

#include "common/strings.h"
#include "engine/onnx/model_export.h"

namespace edgeserve::quant {

Result<std::unique_ptr<ModelRunner>> ModelRunner::create(const Model& model, const std::vector<std::string>& extra,
                                                         const RunnerOptions& options) {
  Graph& g = *model.graph;
  const std::vector<Value*> original = g.outputs;
  for (const std::string& name : extra) {
    Value* v = g.find_value(name);
    if (v == nullptr) return not_found(str_cat("no tensor named '", name, "'"));
    if (!g.is_output(v)) g.outputs.push_back(v);
  }
  auto runner = std::unique_ptr<ModelRunner>(new ModelRunner());
  for (const Value* v : g.outputs) runner->names_.push_back(v->name);
  runner->num_model_outputs_ = original.size();
  Result<std::string> bytes = export_model_bytes(model);
  g.outputs = original;  // the caller's graph is unchanged
  if (!bytes.is_ok()) return bytes.status();
  SessionOptions so;
  so.provider = options.provider;
  so.threads = options.threads;
  so.optimization_level = 0;
  EDGE_ASSIGN_OR_RETURN(runner->session_, Session::load_from_bytes(*bytes, so));
  return runner;
}

Result<std::vector<NamedTensor>> ModelRunner::run(const std::vector<NamedTensor>& inputs) const {
  EDGE_ASSIGN_OR_RETURN(std::vector<Tensor> outs, session_->run(inputs));
  std::vector<NamedTensor> named;
  for (size_t i = 0; i < outs.size() && i < names_.size(); ++i) named.push_back({names_[i], std::move(outs[i])});
  return named;
}

}  // namespace edgeserve::quant
