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

// The layout convolutions keep activations in. oneDNN's own choice (channels-last here, its
// brgconv kernels) wins on most models; some (efficientnet_b0: 5x5 depthwise convs, per-channel
// scaled 1x1 convs) run faster in the nChw16c-blocked layout of its older jit kernels.
enum class ActivationLayout {
  kMeasure,    // compile both for models up to kLayoutSearchMaxWeightBytes, time, keep the faster
  kAuto,       // oneDNN's choice ("any")
  kBlocked16,  // nChw16c wherever the channel count is a multiple of 16
};

// Above this much weight data a second compilation (prepacking every weight again) costs more
// load time than the search is worth; such models use kAuto.
inline constexpr int64_t kLayoutSearchMaxWeightBytes = int64_t{48} << 20;

struct CpuOptions {
  int threads = 1;                   // OpenMP threads per run (>= 1)
  int64_t max_tensor_bytes = 0;      // per-tensor allocation bound
  ConvAlgorithm conv_algorithm = ConvAlgorithm::kMeasure;
  ActivationLayout layout = ActivationLayout::kMeasure;
};

}  // namespace edgeserve
