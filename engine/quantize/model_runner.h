// Runs an IR model through the engine with chosen intermediate tensors exposed as extra outputs:
// the model is exported to bytes with those tensors appended to its graph outputs and loaded as
// a Session at optimisation level 0, so no pass fuses a tensor away. This is how calibration
// and the accuracy guard read activations without a special entry point in the runtime.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "edgeserve/session.h"
#include "engine/ir/graph.h"

namespace edgeserve::quant {

struct RunnerOptions {
  Provider provider = Provider::kCpu;
  int threads = 0;
};

// A loaded model whose outputs are the original outputs followed by `extra` (tensors already
// among the outputs are not repeated). run() is thread-safe like Session; create() appends to
// and restores `model`'s graph outputs while exporting, so nothing may read that graph meanwhile.
class ModelRunner {
 public:
  static Result<std::unique_ptr<ModelRunner>> create(const Model& model, const std::vector<std::string>& extra,
                                                     const RunnerOptions& options);
  // Output tensors by name: the original outputs and the extra tensors.
  Result<std::vector<NamedTensor>> run(const std::vector<NamedTensor>& inputs) const;
  size_t num_model_outputs() const { return num_model_outputs_; }

 private:
  std::unique_ptr<Session> session_;
  std::vector<std::string> names_;
  size_t num_model_outputs_ = 0;
};

}  // namespace edgeserve::quant
