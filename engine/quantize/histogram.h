// Activation statistics for calibration: a running min/max and a histogram of |x| whose range
// grows across samples by merging bins, plus the thresholds read off it (percentile, and the
// KL-divergence search of TensorRT's entropy calibrator).
// Not thread-safe: one collector per tensor, fed from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace edgeserve::quant {

inline constexpr int kHistogramBins = 2048;

// Histogram of |x| over [0, range): bin i holds [i * width, (i + 1) * width). When a sample
// exceeds the range, the range doubles (pairs of bins merge) until it fits, so earlier
// samples are kept exactly at the coarser resolution. Exact zeros are counted apart and left
// out of the thresholds: 0 is exact in every quantized range, and the zeros of a ReLU output
// (often most of it) would otherwise pull percentiles down and make the KL search favour
// thresholds that clip the tail.
class AbsHistogram {
 public:
  AbsHistogram() : AbsHistogram(kHistogramBins) {}
  explicit AbsHistogram(int bins) : counts_(static_cast<size_t>(bins), 0) {}

  void add(const float* x, int64_t n);
  double range() const { return range_; }
  double bin_width() const { return range_ / static_cast<double>(counts_.size()); }
  const std::vector<double>& counts() const { return counts_; }
  double total() const;  // non-zero values counted
  double zeros() const { return zeros_; }

 private:
  void grow_to(double max_abs);
  std::vector<double> counts_;
  double range_ = 0;  // 0 until the first non-zero value
  double zeros_ = 0;
};

// Smallest threshold T such that at least `percentile` % of the |x| counted are <= T
// (linear within the bin). Returns 0 for an empty histogram.
double percentile_threshold(const AbsHistogram& h, double percentile);

// TensorRT-style entropy calibration: for each candidate threshold bin i in
// [quant_levels, bins], P = counts[0..i) with the clipped outliers added to its last bin, Q = P
// (without the outliers) merged into `quant_levels` levels and spread back over P's non-zero
// bins, both smoothed (zero bins get 1e-4) so KL stays finite; the threshold is
// the upper edge of the i minimising KL(P || Q). Returns 0 for an empty histogram.
double entropy_threshold(const AbsHistogram& h, int quant_levels = 128);

// Running statistics of one tensor.
struct TensorStats {
  float min = 0;
  float max = 0;
  int64_t count = 0;
  AbsHistogram hist;
  // Per channel (axis 1 of an [N, C, ...] tensor), only where asked: the finite min and max,
  // each starting at 0 like the tensor's own.
  std::vector<float> channel_min, channel_max;
  void add(const float* x, int64_t n, bool with_histogram);
  // Adds the channel ranges of an [N, C, ...] tensor (rank >= 2); other ranks are ignored.
  void add_channels(const float* x, const std::vector<int64_t>& dims);
};

}  // namespace edgeserve::quant
