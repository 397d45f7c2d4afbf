// Calibration statistics: the |x| histogram (growth by merging bins), percentile and entropy
// thresholds on known distributions, and the ranges and parameters made from them.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/quantize/calibrator.h"
#include "engine/quantize/histogram.h"
#include "engine/quantize/quant_params.h"
#include "engine/quantize/speed_guard.h"

namespace edgeserve::quant {
namespace {

std::vector<float> uniform_grid(int n, float hi) {  // (i + 0.5) / n * hi: exactly uniform
  std::vector<float> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = (static_cast<float>(i) + 0.5f) / static_cast<float>(n) * hi;
  return v;
}

TEST(QuantizeHistogram, GrowsByMergingBinsAndKeepsCounts) {
  AbsHistogram h(8);
  const std::vector<float> a = {0.1f, 0.3f, -0.6f, 0.9f, 1.0f};  // range 1: bins of 0.125
  h.add(a.data(), static_cast<int64_t>(a.size()));
  EXPECT_DOUBLE_EQ(h.range(), 1.0);
  EXPECT_EQ(h.counts(), (std::vector<double>{1, 0, 1, 0, 1, 0, 0, 2}));
  const std::vector<float> b = {3.5f};  // range doubles twice: bins of 0.5
  h.add(b.data(), 1);
  EXPECT_DOUBLE_EQ(h.range(), 4.0);
  EXPECT_EQ(h.counts(), (std::vector<double>{2, 3, 0, 0, 0, 0, 0, 1}));
  EXPECT_DOUBLE_EQ(h.total(), 6);
}

TEST(QuantizeHistogram, PercentileOfAUniformDistribution) {
  const auto v = uniform_grid(100000, 2.0f);
  AbsHistogram h;
  h.add(v.data(), static_cast<int64_t>(v.size()));
  EXPECT_NEAR(percentile_threshold(h, 99.0), 1.98, 2 * h.bin_width());
  EXPECT_NEAR(percentile_threshold(h, 50.0), 1.0, 2 * h.bin_width());
  EXPECT_NEAR(percentile_threshold(h, 100.0), 2.0, 2 * h.bin_width());
}

TEST(QuantizeHistogram, PercentileIgnoresRareOutliers) {
  std::vector<float> v = uniform_grid(100000, 1.0f);
  v.push_back(50.0f);  // 1 in 100001
  AbsHistogram h;
  h.add(v.data(), static_cast<int64_t>(v.size()));
  EXPECT_LT(percentile_threshold(h, 99.9), 1.1);
  EXPECT_GT(percentile_threshold(h, 99.9), 0.95);
}

TEST(QuantizeHistogram, EntropyClipsAGaussianTailButNotAUniform) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> g(200000);
  for (float& x : g) x = normal(rng);
  g.push_back(40.0f);  // one far outlier sets the histogram's range
  AbsHistogram hg;
  hg.add(g.data(), static_cast<int64_t>(g.size()));
  const double tg = entropy_threshold(hg, 128);
  EXPECT_GT(tg, 2.0);   // keeps the bulk of N(0, 1)
  EXPECT_LT(tg, 10.0);  // and drops the outlier at 40
  const auto u = uniform_grid(100000, 3.0f);
  AbsHistogram hu;
  hu.add(u.data(), static_cast<int64_t>(u.size()));
  EXPECT_GT(entropy_threshold(hu, 128), 2.8);  // nothing to clip in a uniform distribution
}

TEST(QuantizeHistogram, ExactZerosDoNotPullThePercentileDown) {
  std::vector<float> v = uniform_grid(1000, 1.0f);
  v.resize(100000, 0.0f);  // a ReLU output: 99% zeros
  AbsHistogram h;
  h.add(v.data(), static_cast<int64_t>(v.size()));
  EXPECT_DOUBLE_EQ(h.zeros(), 99000);
  EXPECT_DOUBLE_EQ(h.total(), 1000);
  EXPECT_NEAR(percentile_threshold(h, 50.0), 0.5, 2 * h.bin_width());
}

TEST(QuantizeHistogram, EmptyHistogramHasNoThreshold) {
  AbsHistogram h;
  EXPECT_EQ(percentile_threshold(h, 99), 0);
  EXPECT_EQ(entropy_threshold(h), 0);
}

TEST(QuantizeRanges, MethodsClipMinMaxSymmetrically) {
  TensorStats s;
  std::vector<float> v = uniform_grid(10000, 1.0f);
  for (size_t i = 0; i < v.size(); i += 2) v[i] = -v[i];
  v.push_back(100.0f);
  s.add(v.data(), static_cast<int64_t>(v.size()), true);
  const Range mm = range_of(s, CalibrationMethod::kMinMax, 0);
  EXPECT_FLOAT_EQ(mm.max, 100.0f);
  EXPECT_NEAR(mm.min, -1.0f, 1e-3);
  const Range p = range_of(s, CalibrationMethod::kPercentile, 99.0);
  EXPECT_LT(p.max, 1.1f);
  EXPECT_GT(p.min, -1.1f);  // the |x| threshold applies to both sides
  const Range e = range_of(s, CalibrationMethod::kEntropy, 0);
  EXPECT_LT(e.max, 100.0f);  // the isolated outlier is clipped
  EXPECT_GT(e.max, 1.0f);    // the bulk is not
}

TEST(QuantizeParams, ActivationRangeAlwaysContainsZero) {
  const ActivationParams a = activation_params({-1.0f, 2.0f});
  EXPECT_FLOAT_EQ(a.scale, 3.0f / 255);
  EXPECT_EQ(a.zero_point, 85);
  const ActivationParams pos = activation_params({0.5f, 2.55f});  // widened to [0, 2.55]
  EXPECT_FLOAT_EQ(pos.scale, 0.01f);
  EXPECT_EQ(pos.zero_point, 0);
  const ActivationParams neg = activation_params({-2.55f, -1.0f});
  EXPECT_EQ(neg.zero_point, 255);
  EXPECT_FLOAT_EQ(fake_quantize(0.0f, a), 0.0f);  // zero is exact
  EXPECT_EQ(activation_params({0, 0}).scale, 1.0f);
}

TEST(QuantizeParams, PerTensorWeightsAndInt32Bias) {
  const Tensor w = Tensor::from_vector<float>({2, 2}, {0.5f, -1.27f, 0.01f, 0.0f});
  auto q = quantize_weight(w, -1);
  ASSERT_TRUE(q.is_ok());
  ASSERT_EQ(q->scales.size(), 1u);
  EXPECT_FLOAT_EQ(q->scales[0], 0.01f);
  EXPECT_EQ(q->values.data<int8_t>()[0], 50);
  EXPECT_EQ(q->values.data<int8_t>()[1], -127);
  EXPECT_EQ(q->values.data<int8_t>()[2], 1);
  std::vector<float> bias_scales;
  auto b = quantize_bias(Tensor::from_vector<float>({2}, {1.0f, -0.5f}), 0.5f, {0.01f}, &bias_scales);
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(b->data<int32_t>()[0], 200);
  EXPECT_EQ(b->data<int32_t>()[1], -100);
  EXPECT_EQ(bias_scales.size(), 1u);
}

}  // namespace
}  // namespace edgeserve::quant

namespace edgeserve::quant {
namespace {

// speed_guard.h: only nodes timed in both models and clearly slower in INT8 are candidates.
TEST(QuantizeSpeedGuard, SlowerNodesAreThoseAboveTheFactorInBothProfiles) {
  ModelTiming fp32, int8;
  fp32.node_ms = {{"conv_a", 1.0}, {"conv_b", 1.0}, {"conv_c", 1.0}, {"fused_away", 1.0}};
  int8.node_ms = {{"conv_a", 0.4}, {"conv_b", 1.05}, {"conv_c", 1.3}, {"only_int8", 9.0}};
  const std::vector<std::string> quantized = {"conv_a", "conv_b", "conv_c", "fused_away", "only_int8"};
  EXPECT_EQ(slower_in_int8(fp32, int8, quantized, 1.10), std::vector<std::string>{"conv_c"});
  EXPECT_EQ(slower_in_int8(fp32, int8, quantized, 1.0), (std::vector<std::string>{"conv_b", "conv_c"}));
}

}  // namespace
}  // namespace edgeserve::quant
