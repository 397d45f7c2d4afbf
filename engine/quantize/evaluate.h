// The accuracy guard's measures: agreement of a quantized model's outputs with the FP32 ones,
// and the noise-to-signal ratio of each quantized tensor (to find the node that adds most).
#pragma once

#include <string>
#include <vector>

#include "engine/ir/tensor.h"

namespace edgeserve::quant {

// Output 0 is class scores when it is [N, C, 1, ...] with C > 1: then the metric is top-1
// agreement (rows whose argmax matches). Otherwise it is the mean cosine similarity of every
// float output, per sample. drop = 1 - agreement either way.
struct Agreement {
  std::string metric;  // "top-1 agreement" or "mean cosine similarity"
  double agreement = 1;
  double drop() const { return 1 - agreement; }
};

// `reference[s]` and `candidate[s]` are the outputs of sample s in model order.
Agreement measure_agreement(const std::vector<std::vector<Tensor>>& reference,
                            const std::vector<std::vector<Tensor>>& candidate);

bool is_score_output(const Tensor& t);

// Sum over samples of ||got - ref||^2 and ||ref||^2 for one tensor.
struct NoiseAccumulator {
  double noise = 0;
  double signal = 0;
  void add(const Tensor& reference, const Tensor& got);
  // Noise-to-signal ratio; 0 when nothing was added.
  double nsr() const { return signal > 0 ? noise / signal : (noise > 0 ? 1.0 : 0.0); }
};

}  // namespace edgeserve::quant
