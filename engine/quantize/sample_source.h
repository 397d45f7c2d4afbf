// Calibration samples: one set of model inputs per sample, produced on demand so that a few
// hundred images never sit in memory at once. Implementations: tensor files
// (tensor_samples.h) and decoded images (apps/edgeserve/calibration_images.h, OpenCV).
// Threading: the quantizer calls get() from one thread, in order, possibly several passes.
#pragma once

#include <vector>

#include "common/status.h"
#include "engine/ir/tensor.h"

namespace edgeserve::quant {

class SampleSource {
 public:
  virtual ~SampleSource() = default;
  virtual int size() const = 0;
  // Sample `i` (0 <= i < size()): one tensor per model input, by input name. Errors name the
  // file and what was wrong with it.
  virtual Result<std::vector<NamedTensor>> get(int i) const = 0;
};

}  // namespace edgeserve::quant
