// Signal ops: DFT/STFT against hand-computed spectra and a naive O(n^2) DFT, window values
// against their formulas, MelWeightMatrix against a hand-traced case, and malformed inputs.
#include <cmath>
#include <complex>
#include <numbers>
#include <random>

#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

using Complex = std::complex<double>;

Tensor i64(int64_t v) { return Tensor::scalar<int64_t>(v); }

// Interleaved (re, im) pairs of a float output.
std::vector<Complex> complex_values(const Tensor& t) {
  std::vector<Complex> out;
  for (int64_t i = 0; i + 1 < t.num_elements(); i += 2) out.emplace_back(t.data<float>()[i], t.data<float>()[i + 1]);
  return out;
}

void expect_near(const std::vector<Complex>& got, const std::vector<Complex>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i].real(), want[i].real(), tol) << "element " << i;
    EXPECT_NEAR(got[i].imag(), want[i].imag(), tol) << "element " << i;
  }
}

std::vector<Complex> naive_dft(const std::vector<Complex>& x, bool inverse) {
  const size_t n = x.size();
  std::vector<Complex> y(n);
  for (size_t k = 0; k < n; ++k) {
    for (size_t j = 0; j < n; ++j) {
      const double angle = (inverse ? 2.0 : -2.0) * std::numbers::pi * static_cast<double>((k * j) % n) / static_cast<double>(n);
      y[k] += x[j] * std::polar(1.0, angle);
    }
    if (inverse) y[k] /= static_cast<double>(n);
  }
  return y;
}

Tensor complex_tensor(const std::vector<Complex>& x) {
  std::vector<float> flat;
  for (const Complex& v : x) {
    flat.push_back(static_cast<float>(v.real()));
    flat.push_back(static_cast<float>(v.imag()));
  }
  return Tensor::from_vector<float>({1, static_cast<int64_t>(x.size()), 2}, flat);
}

TEST(Dft, ConstantHasOnlyADcTerm) {
  Tensor y = run_ok(spec("DFT", {Tensor::from_vector<float>({1, 4, 1}, {2, 2, 2, 2})}));
  EXPECT_EQ(y.dims(), (Dims{1, 4, 2}));
  expect_near(complex_values(y), {{8, 0}, {0, 0}, {0, 0}, {0, 0}}, 1e-6);
}

TEST(Dft, ImpulseGivesUnitPhasors) {
  // x = delta[n - 1]: X_k = exp(-2 pi i k / 4) = 1, -i, -1, i.
  Tensor y = run_ok(spec("DFT", {Tensor::from_vector<float>({1, 4, 1}, {0, 1, 0, 0})}));
  expect_near(complex_values(y), {{1, 0}, {0, -1}, {-1, 0}, {0, 1}}, 1e-6);
}

TEST(Dft, MatchesNaiveDftAndInvertsForManyLengths) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> dist(-1, 1);
  // Powers of two take the radix-2 path, everything else Bluestein's.
  for (int n : {1, 2, 3, 5, 6, 7, 8, 12, 16, 17, 31, 64, 100}) {
    std::vector<Complex> x(static_cast<size_t>(n));
    for (Complex& v : x) v = Complex(static_cast<float>(dist(rng)), static_cast<float>(dist(rng)));
    Tensor fx = run_ok(spec("DFT", {complex_tensor(x)}));
    expect_near(complex_values(fx), naive_dft(x, false), 1e-4 * n);
    Tensor back = run_ok(spec("DFT", {fx}, {{"inverse", int_attr(1)}}));
    expect_near(complex_values(back), x, 1e-5 * n);
  }
}

TEST(Dft, OnesidedAndDftLengthPadOrTruncate) {
  Tensor x = Tensor::from_vector<float>({1, 3, 1}, {1, 2, 3});
  // Truncated to [1, 2]: X = 3, -1.
  expect_near(complex_values(run_ok(spec("DFT", {x, i64(2)}))), {{3, 0}, {-1, 0}}, 1e-6);
  // Zero-padded to [1, 2, 3, 0], onesided keeps 4 / 2 + 1 = 3 bins: 6, -2 - 2i, 2.
  Tensor y = run_ok(spec("DFT", {x, i64(4)}, {{"onesided", int_attr(1)}}));
  EXPECT_EQ(y.dims(), (Dims{1, 3, 2}));
  expect_near(complex_values(y), {{6, 0}, {-2, -2}, {2, 0}}, 1e-6);
}

TEST(Dft, TransformsTheChosenAxis) {
  // [1, 2, 2, 1]: along axis 2 each row [a, b] becomes [a + b, a - b].
  Tensor x = Tensor::from_vector<float>({1, 2, 2, 1}, {1, 2, 3, 5});
  expect_near(complex_values(run_ok(spec("DFT", {x}, {{"axis", int_attr(2)}}))), {{3, 0}, {-1, 0}, {8, 0}, {-2, 0}}, 1e-6);
  expect_near(complex_values(run_ok(spec("DFT", {x}, {{"axis", int_attr(-2)}}))), {{3, 0}, {-1, 0}, {8, 0}, {-2, 0}}, 1e-6);
  expect_near(complex_values(run_ok(spec("DFT", {x}, {{"axis", int_attr(1)}}))), {{4, 0}, {7, 0}, {-2, 0}, {-3, 0}}, 1e-6);
}

TEST(Dft, Opset20ReadsAxisFromInput) {
  Tensor x = Tensor::from_vector<float>({1, 2, 2, 1}, {1, 2, 3, 5});
  NodeSpec s = spec("DFT", {x, Tensor(), i64(1)}, {}, 1, 20);
  expect_near(complex_values(run_ok(s)), {{4, 0}, {7, 0}, {-2, 0}, {-3, 0}}, 1e-6);
}

TEST(Dft, RejectsMalformedInputs) {
  Tensor x = Tensor::from_vector<float>({1, 4, 1}, {1, 2, 3, 4});
  expect_error(spec("DFT", {Tensor::from_vector<float>({1, 2, 3}, {1, 2, 3, 4, 5, 6})}), "last dim");
  expect_error(spec("DFT", {x}, {{"axis", int_attr(2)}}), "axis");
  expect_error(spec("DFT", {x}, {{"axis", int_attr(-1)}}), "axis");
  expect_error(spec("DFT", {x, i64(0)}), "dft_length");
  expect_error(spec("DFT", {x, Tensor::from_vector<int64_t>({2}, {4, 4})}), "dft_length");
  expect_error(spec("DFT", {x, Tensor::scalar<float>(4)}), "dft_length");
  expect_error(spec("DFT", {x}, {{"inverse", int_attr(2)}}), "inverse");
  // A huge dft_length fails on the output's size limit instead of hanging.
  expect_error(spec("DFT", {x, i64(int64_t{1} << 40)}), "limit", StatusCode::kResourceExhausted);
  expect_error(spec("DFT", {x, i64(INT64_MAX)}, {{"onesided", int_attr(1)}}), "", StatusCode::kResourceExhausted);
}

TEST(Stft, FramesMatchPerFrameDfts) {
  Tensor signal = Tensor::from_vector<float>({1, 8, 1}, {0, 1, 2, 3, 4, 5, 6, 7});
  Tensor y = run_ok(spec("STFT", {signal, i64(4), Tensor(), i64(4)}));
  ASSERT_EQ(y.dims(), (Dims{1, 2, 3, 2}));
  // Frames [0, 1, 2, 3] and [4, 5, 6, 7]: X0 = sum, X1 = -2 + 2i, X2 = -2.
  expect_near(complex_values(y), {{6, 0}, {-2, 2}, {-2, 0}, {22, 0}, {-2, 2}, {-2, 0}}, 1e-5);
  Tensor full = run_ok(spec("STFT", {signal, i64(2), Tensor(), i64(4)}, {{"onesided", int_attr(0)}}));
  EXPECT_EQ(full.dims(), (Dims{1, 3, 4, 2}));
}

TEST(Stft, WindowWeightsEachFrame) {
  // The window keeps only sample 1 of each frame: X_k = x[1] * exp(-2 pi i k / 4).
  Tensor signal = Tensor::from_vector<float>({1, 4, 1}, {5, 3, 9, 9});
  Tensor window = Tensor::from_vector<float>({4}, {0, 1, 0, 0});
  Tensor y = run_ok(spec("STFT", {signal, i64(1), window}, {{"onesided", int_attr(0)}}));
  ASSERT_EQ(y.dims(), (Dims{1, 1, 4, 2}));
  expect_near(complex_values(y), {{3, 0}, {0, -3}, {-3, 0}, {0, 3}}, 1e-5);
}

TEST(Stft, RejectsMalformedInputs) {
  Tensor signal = Tensor::from_vector<float>({1, 4, 1}, {1, 2, 3, 4});
  expect_error(spec("STFT", {Tensor::from_vector<float>({4, 1}, {1, 2, 3, 4}), i64(1)}), "signal");
  expect_error(spec("STFT", {signal, i64(0), Tensor(), i64(2)}), "frame_step");
  expect_error(spec("STFT", {signal, i64(1), Tensor(), i64(5)}), "frame_length");
  expect_error(spec("STFT", {signal, i64(1), Tensor(), i64(0)}), "frame_length");
  expect_error(spec("STFT", {signal, i64(1), Tensor::from_vector<float>({1, 2}, {1, 1})}), "window");
  expect_error(spec("STFT", {signal, i64(1), Tensor::from_vector<double>({2}, {1, 1})}), "window");
}

std::vector<double> window_values(const char* op, int64_t size, int64_t periodic) {
  Tensor y = run_ok(spec(op, {Tensor::scalar<int32_t>(static_cast<int32_t>(size))},
                         {{"periodic", int_attr(periodic)}, {"output_datatype", int_attr(11)}}));
  return values<double>(y);
}

void expect_all_near(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << "element " << i;
}

TEST(Window, ValuesFollowTheFormulas) {
  expect_all_near(window_values("HannWindow", 4, 1), {0, 0.5, 1, 0.5});
  expect_all_near(window_values("HannWindow", 5, 0), {0, 0.5, 1, 0.5, 0});
  expect_all_near(window_values("HammingWindow", 4, 1), {4.0 / 46, 25.0 / 46, 1, 25.0 / 46});
  expect_all_near(window_values("BlackmanWindow", 4, 1), {0, 0.34, 1, 0.34});
  expect_all_near(window_values("BlackmanWindow", 3, 0), {0, 1, 0});
  expect_all_near(window_values("HannWindow", 1, 0), {1});
  expect_all_near(window_values("HannWindow", 0, 1), {});
}

TEST(Window, OutputDatatypeDefaultsToFloat) {
  Tensor y = run_ok(spec("HannWindow", {Tensor::scalar<int64_t>(2)}));
  EXPECT_EQ(y.dtype(), DType::kFloat32);
  EXPECT_EQ(values<float>(y), (std::vector<float>{0, 1}));
  Tensor h = run_ok(spec("HammingWindow", {Tensor::scalar<int64_t>(2)}, {{"output_datatype", int_attr(10)}}));
  EXPECT_EQ(h.dtype(), DType::kFloat16);
}

TEST(Window, RejectsMalformedInputs) {
  expect_error(spec("HannWindow", {i64(-1)}), "size");
  expect_error(spec("HannWindow", {Tensor::from_vector<int64_t>({2}, {2, 2})}), "size");
  expect_error(spec("HannWindow", {Tensor::scalar<float>(4)}), "size");
  expect_error(spec("HannWindow", {i64(4)}, {{"periodic", int_attr(3)}}), "periodic");
  expect_error(spec("BlackmanWindow", {i64(4)}, {{"output_datatype", int_attr(8)}}), "output_datatype", StatusCode::kUnimplemented);
  expect_error(spec("HammingWindow", {i64(int64_t{1} << 31)}), "limit", StatusCode::kResourceExhausted);
  expect_error(spec("HammingWindow", {i64(int64_t{1} << 62)}), "output 0", StatusCode::kResourceExhausted);
}

NodeSpec mel_spec(int64_t bins, int64_t dft_length, int64_t rate, float lower, float upper) {
  return spec("MelWeightMatrix", {i64(bins), i64(dft_length), i64(rate), Tensor::scalar<float>(lower), Tensor::scalar<float>(upper)});
}

TEST(MelWeightMatrix, TrianglesPeakAtTheirCentres) {
  // Band edges (mel-spaced, as spectrogram bins): 0, 1, 2, 5, 9.
  Tensor y = run_ok(mel_spec(3, 32, 16000, 100, 8000));
  ASSERT_EQ(y.dims(), (Dims{17, 3}));
  std::vector<float> want(17 * 3, 0.0f);
  auto set = [&](int row, int band, float v) { want[static_cast<size_t>(row * 3 + band)] = v; };
  set(1, 0, 1);
  set(2, 1, 1), set(3, 1, 2.0f / 3), set(4, 1, 1.0f / 3);
  set(3, 2, 1.0f / 3), set(4, 2, 2.0f / 3), set(5, 2, 1), set(6, 2, 0.75f), set(7, 2, 0.5f), set(8, 2, 0.25f);
  const std::vector<float> got = values<float>(y);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << "element " << i;
}

TEST(MelWeightMatrix, RejectsMalformedInputs) {
  expect_error(mel_spec(-1, 16, 8000, 0, 4000), "num_mel_bins");
  expect_error(mel_spec(4, 0, 8000, 0, 4000), "dft_length");
  expect_error(mel_spec(4, 16, 0, 0, 4000), "sample_rate");
  expect_error(mel_spec(4, 16, 8000, -5, 4000), "lower_edge_hertz");
  expect_error(mel_spec(4, 16, 8000, 3000, 2000), "lower_edge_hertz");
  expect_error(mel_spec(4, 16, 8000, 0, INFINITY), "lower_edge_hertz");
  expect_error(mel_spec(4, 16, 8000, 0, 1e30f), "spectrogram bins");
  expect_error(mel_spec(int64_t{1} << 60, 16, 8000, 0, 4000), "output 0", StatusCode::kResourceExhausted);
  expect_error(mel_spec(int64_t{1} << 28, 16, 8000, 0, 4000), "limit", StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace edgeserve::testing
