// Options of the cpu execution provider, set from SessionOptions.
#pragma once

#include <cstdint>

namespace edgeserve {

// How a 3x3 stride-1 convolution picks between oneDNN's direct and Winograd kernels.
enum class ConvAlgorithm {
  kMeasure,   // time both at compile time and keep the faster (the default)
  kDirect,    // always direct: bit-for-bit repeatable choice across runs and machines
  kWinograd,  // Winograd wherever oneDNN has a kernel for the shape (tests, experiments)
};

struct CpuOptions {
  int threads = 1;                   // OpenMP threads per run (>= 1)
  int64_t max_tensor_bytes = 0;      // per-tensor allocation bound
  ConvAlgorithm conv_algorithm = ConvAlgorithm::kMeasure;
};

}  // namespace edgeserve
