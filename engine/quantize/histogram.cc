// Histograms and calibration thresholds (see histogram.h).
#include "engine/quantize/histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgeserve::quant {

double AbsHistogram::total() const {
  double t = 0;
  for (double c : counts_) t += c;
  return t;
}

void AbsHistogram::grow_to(double max_abs) {
  if (range_ == 0) {
    range_ = max_abs;
    return;
  }
  const size_t n = counts_.size();
  while (range_ < max_abs) {
    // Bin i of the doubled range holds old bins 2i and 2i + 1.
    for (size_t i = 0; i < n / 2; ++i) counts_[i] = counts_[2 * i] + counts_[2 * i + 1];
    std::fill(counts_.begin() + static_cast<std::ptrdiff_t>(n / 2), counts_.end(), 0.0);
    range_ *= 2;
  }
}

void AbsHistogram::add(const float* x, int64_t n) {
  float max_abs = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (std::isfinite(x[i])) max_abs = std::max(max_abs, std::fabs(x[i]));
  }
  if (max_abs > range_) grow_to(max_abs);
  const double scale = range_ > 0 ? static_cast<double>(counts_.size()) / range_ : 0.0;
  const int64_t last = static_cast<int64_t>(counts_.size()) - 1;
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) continue;
    if (x[i] == 0) {
      zeros_ += 1;
      continue;
    }
    const int64_t b = std::min(last, static_cast<int64_t>(std::fabs(x[i]) * scale));
    counts_[static_cast<size_t>(b)] += 1;
  }
}

double percentile_threshold(const AbsHistogram& h, double percentile) {
  const double total = h.total();
  if (total == 0 || h.range() == 0) return 0;
  const double target = total * std::clamp(percentile, 0.0, 100.0) / 100.0;
  double cum = 0;
  const auto& c = h.counts();
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i] > 0 && cum + c[i] >= target) {
      const double frac = std::clamp((target - cum) / c[i], 0.0, 1.0);
      return (static_cast<double>(i) + frac) * h.bin_width();
    }
    cum += c[i];
  }
  return h.range();
}

namespace {

// Zero bins get `eps` taken evenly from the non-zero ones, so that KL(P || Q) stays finite
// where Q has no mass (MXNet's and TensorRT's calibrators smooth the same way).
std::vector<double> smoothed(std::vector<double> p, double eps = 1e-4) {
  size_t zeros = 0;
  for (double v : p) zeros += v == 0 ? 1 : 0;
  if (zeros == 0 || zeros == p.size()) return p;
  const double take = eps * static_cast<double>(zeros) / static_cast<double>(p.size() - zeros);
  for (double& v : p) v = v == 0 ? eps : v - take;
  return p;
}

// KL(P || Q) of two unnormalised distributions after smoothing.
double kl_divergence(const std::vector<double>& p_raw, const std::vector<double>& q_raw) {
  const std::vector<double> p = smoothed(p_raw), q = smoothed(q_raw);
  double sp = 0, sq = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    sp += p[i];
    sq += q[i];
  }
  if (sp <= 0 || sq <= 0) return std::numeric_limits<double>::infinity();
  double kl = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] <= 0) continue;
    if (q[i] <= 0) return std::numeric_limits<double>::infinity();
    kl += (p[i] / sp) * std::log((p[i] / sp) / (q[i] / sq));
  }
  return kl;
}

// `sliced` (the first i bins, outliers not added) merged into `levels` groups, each group's
// mass spread evenly over the bins where P (outliers added) is non-zero.
std::vector<double> quantized_distribution(const std::vector<double>& sliced, const std::vector<double>& p,
                                           int levels) {
  const size_t n = sliced.size();
  std::vector<double> q(n, 0.0);
  const double per_level = static_cast<double>(n) / levels;
  for (int l = 0; l < levels; ++l) {
    const auto begin = static_cast<size_t>(std::llround(l * per_level));
    const auto end = std::min(n, static_cast<size_t>(std::llround((l + 1) * per_level)));
    double mass = 0;
    int nonzero = 0;
    for (size_t j = begin; j < end; ++j) {
      mass += sliced[j];
      nonzero += p[j] != 0 ? 1 : 0;
    }
    if (nonzero == 0) continue;
    for (size_t j = begin; j < end; ++j) q[j] = p[j] != 0 ? mass / nonzero : 0.0;
  }
  return q;
}

}  // namespace

double entropy_threshold(const AbsHistogram& h, int quant_levels) {
  const auto& c = h.counts();
  const int bins = static_cast<int>(c.size());
  if (h.total() == 0 || h.range() == 0) return 0;
  if (quant_levels >= bins) return h.range();
  double best_kl = std::numeric_limits<double>::infinity();
  int best_i = bins;
  double outliers = 0;
  for (int j = quant_levels; j < bins; ++j) outliers += c[static_cast<size_t>(j)];
  // Every candidate costs O(i); a stride keeps the search near 500 candidates per tensor.
  const int stride = std::max(1, (bins - quant_levels) / 512);
  for (int i = quant_levels; i <= bins; ++i) {
    if ((i - quant_levels) % stride != 0 && i != bins) {
      if (i < bins) outliers -= c[static_cast<size_t>(i)];
      continue;
    }
    const std::vector<double> sliced(c.begin(), c.begin() + i);
    std::vector<double> p = sliced;
    p.back() += outliers;
    const double kl = kl_divergence(p, quantized_distribution(sliced, p, quant_levels));
    if (kl < best_kl) {
      best_kl = kl;
      best_i = i;
    }
    if (i < bins) outliers -= c[static_cast<size_t>(i)];
  }
  return static_cast<double>(best_i) * h.bin_width();
}

void TensorStats::add(const float* x, int64_t n, bool with_histogram) {
  // min and max start at 0: the quantized range always includes 0 anyway.
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) continue;
    min = std::min(min, x[i]);
    max = std::max(max, x[i]);
  }
  count += n;
  if (with_histogram) hist.add(x, n);
}

void TensorStats::add_channels(const float* x, const std::vector<int64_t>& dims) {
  if (dims.size() < 2 || dims[1] <= 0) return;
  const int64_t batch = dims[0], channels = dims[1];
  int64_t inner = 1;
  for (size_t i = 2; i < dims.size(); ++i) inner *= dims[i];
  if (channel_min.empty()) {
    channel_min.assign(static_cast<size_t>(channels), 0.0f);
    channel_max.assign(static_cast<size_t>(channels), 0.0f);
  }
  if (static_cast<int64_t>(channel_min.size()) != channels) return;  // a shape change: keep the first
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t c = 0; c < channels; ++c) {
      const float* p = x + (b * channels + c) * inner;
      float lo = channel_min[c], hi = channel_max[c];
      for (int64_t i = 0; i < inner; ++i) {
        if (!std::isfinite(p[i])) continue;
        lo = std::min(lo, p[i]);
        hi = std::max(hi, p[i]);
      }
      channel_min[c] = lo;
      channel_max[c] = hi;
    }
  }
}

}  // namespace edgeserve::quant
