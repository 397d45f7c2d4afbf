// Quantized reference kernels (kernels/qlinear.cc): hand-computed cases per op (per-channel weights,
// padding with a nonzero zero point, groups, saturation, ties to even, int8 and uint8), errors, and
// MobileNetV2-int8 end to end against ONNX Runtime's output, bit for bit.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "edgeserve/session.h"
#include "edgeserve/tensor_io.h"
#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

constexpr const char* kMs = "com.microsoft";

Tensor u8(Dims dims, std::vector<uint8_t> v) { return Tensor::from_vector<uint8_t>(dims, v); }
Tensor s8(Dims dims, std::vector<int8_t> v) { return Tensor::from_vector<int8_t>(dims, v); }
Tensor f32(float v) { return Tensor::scalar<float>(v); }
Tensor u8s(uint8_t v) { return Tensor::scalar<uint8_t>(v); }
Tensor s8s(int8_t v) { return Tensor::scalar<int8_t>(v); }

NodeSpec node(std::string op, std::vector<Tensor> inputs, std::map<std::string, Attribute> attrs = {},
              const char* domain = "", int64_t opset = 13, size_t outputs = 1) {
  NodeSpec s = spec(std::move(op), std::move(inputs), std::move(attrs), outputs, domain[0] != 0 ? 1 : opset);
  s.domain = domain;
  return s;
}

// x [1,1,2,2] uint8 with zero point 10 (x - zp = {0, 2, 4, 6}), pads 1: a padded position must act
// as x_zp (contribute 0), not as the value 0. Per-channel w scales give two output scales:
// 0.5 * 0.25 / 0.125 = 1 and 0.5 * 0.5 / 0.125 = 2.
TEST(QLinearConv, PerChannelWeightsAndPaddingWithNonzeroZeroPoint) {
  Tensor x = u8({1, 1, 2, 2}, {10, 12, 14, 16});
  Tensor w = s8({2, 1, 2, 2}, {1, 0, 0, 1, -1, 2, 0, 0});
  Tensor w_scale = Tensor::from_vector<float>({2}, {0.25f, 0.5f});
  Tensor w_zp = s8({2}, {0, 0});
  Tensor y = run_ok(node("QLinearConv", {x, f32(0.5f), u8s(10), w, w_scale, w_zp, f32(0.125f), u8s(100)},
                         {{"pads", ints_attr({1, 1, 1, 1})}}));
  ASSERT_EQ(y.dims(), (Dims{1, 2, 3, 3}));
  EXPECT_EQ(values<uint8_t>(y), (std::vector<uint8_t>{100, 102, 100, 104, 106, 102, 100, 104, 106,  // 100 + acc
                                                      100, 100, 100, 100, 108, 96, 116, 116, 88}));  // 100 + 2 acc
}

// Depthwise (group = C): channel 0 has w - w_zp = 0 and a bias of -5 (saturates at 0), channel 1
// sums (4 - 5, 5 - 6) = -1 plus bias 100, and bias 300 saturates at 255.
TEST(QLinearConv, DepthwiseBiasAndSaturation) {
  Tensor x = u8({1, 3, 1, 3}, {1, 2, 3, 4, 5, 6, 4, 5, 6});
  Tensor w = u8({3, 1, 1, 2}, {1, 1, 2, 0, 2, 0});
  Tensor bias = Tensor::from_vector<int32_t>({3}, {-5, 100, 300});
  Tensor y = run_ok(node("QLinearConv", {x, f32(1), u8s(0), w, f32(1), u8s(1), f32(1), u8s(3), bias},
                         {{"group", int_attr(3)}}));
  ASSERT_EQ(y.dims(), (Dims{1, 3, 1, 2}));
  EXPECT_EQ(values<uint8_t>(y), (std::vector<uint8_t>{0, 0, 102, 102, 255, 255}));
}

// Requantization rounds half to even: acc * 0.5 = 0.5, 1.5, 2.5, 3.5 -> 0, 2, 2, 4.
TEST(QLinearConv, TiesRoundToEvenInUint8AndInt8) {
  Tensor yu = run_ok(node("QLinearConv", {u8({1, 1, 1, 4}, {1, 3, 5, 7}), f32(1), u8s(0), u8({1, 1, 1, 1}, {1}),
                                          f32(0.5f), u8s(0), f32(1), u8s(0)}));
  EXPECT_EQ(values<uint8_t>(yu), (std::vector<uint8_t>{0, 2, 2, 4}));
  Tensor ys = run_ok(node("QLinearConv", {s8({1, 1, 1, 4}, {-1, -3, -5, 7}), f32(1), s8s(0), s8({1, 1, 1, 1}, {1}),
                                          f32(0.5f), s8s(0), f32(1), s8s(1)}));
  EXPECT_EQ(values<int8_t>(ys), (std::vector<int8_t>{1, -1, -1, 5}));  // -0, -2, -2, 4 plus 1
}

TEST(QLinearConv, BadParametersNameTheInput) {
  auto with = [](size_t i, Tensor t) {
    std::vector<Tensor> in = {u8({1, 1, 2, 2}, {1, 2, 3, 4}), f32(1), u8s(0), s8({2, 1, 1, 1}, {1, 1}),
                              Tensor::from_vector<float>({2}, {1, 1}), s8s(0), f32(1), u8s(0)};
    if (i < in.size()) in[i] = std::move(t);
    if (i == in.size()) in.push_back(std::move(t));
    return node("QLinearConv", in);
  };
  EXPECT_TRUE(run_node(with(99, Tensor())).is_ok());
  expect_error(with(1, f32(0)), "x_scale");
  expect_error(with(4, Tensor::from_vector<float>({2}, {1, -1})), "w_scale");
  expect_error(with(4, Tensor::from_vector<float>({3}, {1, 1, 1})), "w_scale");
  expect_error(with(6, f32(std::nanf(""))), "y_scale");
  expect_error(with(2, s8s(0)), "x_zero_point");
  expect_error(with(8, Tensor::from_vector<int32_t>({3}, {1, 2, 3})), "B");
  expect_error(with(0, Tensor::from_vector<float>({1, 1, 2, 2}, {1, 2, 3, 4})), "x", StatusCode::kUnimplemented);
  expect_error(with(3, s8({2, 2, 1, 1}, {1, 1, 1, 1})), "group");
}

// ConvInteger with pads only at the beginning: x - x_zp = 0..8, a 2x2 window of ones.
TEST(ConvInteger, PaddingUsesTheZeroPoint) {
  Tensor x = u8({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor y = run_ok(node("ConvInteger", {x, u8({1, 1, 2, 2}, {1, 1, 1, 1}), u8s(1)}, {{"pads", ints_attr({1, 1, 0, 0})}}));
  ASSERT_EQ(y.dtype(), DType::kInt32);
  EXPECT_EQ(values<int32_t>(y), (std::vector<int32_t>{0, 1, 3, 3, 8, 12, 9, 20, 24}));
  Tensor no_zp = run_ok(node("ConvInteger", {s8({1, 1, 1, 2}, {-3, 4}), s8({1, 1, 1, 1}, {-2})}));
  EXPECT_EQ(values<int32_t>(no_zp), (std::vector<int32_t>{6, -8}));
}

// a - a_zp = {0, 1; 3, 1}, b int8 with per-column scales 1, 0.5, 0.25: row 0 is -1, -1, -0.75 and
// row 1 is 2, 2, 1.5 before rounding (to -1 and 2) and adding 128.
TEST(QLinearMatMul, PerColumnScalesAndBatchBroadcast) {
  Tensor a = u8({2, 2}, {1, 2, 4, 2});
  Tensor b = s8({2, 3}, {1, 2, 3, -1, -2, -3});
  Tensor b_scale = Tensor::from_vector<float>({3}, {1, 0.5f, 0.25f});
  Tensor y = run_ok(node("QLinearMatMul", {a, f32(1), u8s(1), b, b_scale, s8s(0), f32(1), u8s(128)}));
  ASSERT_EQ(y.dims(), (Dims{2, 3}));
  EXPECT_EQ(values<uint8_t>(y), (std::vector<uint8_t>{127, 127, 127, 130, 130, 130}));
  Tensor batched = run_ok(node("QLinearMatMul", {u8({2, 1, 2}, {1, 2, 4, 2}), f32(1), u8s(1), b, b_scale, s8s(0),
                                                 f32(1), u8s(128)}));
  EXPECT_EQ(batched.dims(), (Dims{2, 1, 3}));
  EXPECT_EQ(values<uint8_t>(batched), values<uint8_t>(y));
  expect_error(node("QLinearMatMul", {a, f32(1), u8s(1), s8({3, 1}, {1, 1, 1}), f32(1), s8s(0), f32(1), u8s(0)}),
               "inner dimensions");
  expect_error(node("QLinearMatMul", {a, f32(-1), u8s(1), b, b_scale, s8s(0), f32(1), u8s(0)}), "a_scale");
}

// The ONNX specification's example, and the two edge cases of the range.
TEST(DynamicQuantizeLinear, SpecExampleAndRangeIncludingZero) {
  NodeSpec s = node("DynamicQuantizeLinear", {Tensor::from_vector<float>({6}, {0, 2, -3, -2.5f, 1.34f, 0.5f})}, {}, "",
                    11, 3);
  auto out = run_node(s);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<uint8_t>((*out)[0]), (std::vector<uint8_t>{153, 255, 0, 26, 221, 179}));
  EXPECT_FLOAT_EQ(values<float>((*out)[1])[0], 5.0f / 255.0f);
  EXPECT_EQ(values<uint8_t>((*out)[2])[0], 153);
  s.inputs = {Tensor::from_vector<float>({2}, {1, 2})};  // min is 0; 1 / float(2 / 255) = 127.49999 -> 127
  auto pos = run_node(s);
  ASSERT_TRUE(pos.is_ok());
  EXPECT_EQ(values<uint8_t>((*pos)[0]), (std::vector<uint8_t>{127, 255}));
  EXPECT_EQ(values<uint8_t>((*pos)[2])[0], 0);
  s.inputs = {Tensor::from_vector<float>({2}, {0, 0})};  // empty range: scale 1, zero point 0
  auto zero = run_node(s);
  ASSERT_TRUE(zero.is_ok());
  EXPECT_EQ(values<float>((*zero)[1])[0], 1.0f);
  EXPECT_EQ(values<uint8_t>((*zero)[0]), (std::vector<uint8_t>{0, 0}));
}

// QLinearAdd with power-of-two scales (exact arithmetic): c = a_real + b_real + 100.
TEST(QLinearAdd, TiesBroadcastAndSaturation) {
  Tensor a = u8({4}, {11, 13, 10, 250});  // 0.5 * (a - 10) = 0.5, 1.5, 0, 120
  Tensor b = u8({4}, {5, 5, 9, 250});     // 0.25 * (b - 5) = 0, 0, 1, 61.25
  Tensor c = run_ok(node("QLinearAdd", {a, f32(0.5f), u8s(10), b, f32(0.25f), u8s(5), f32(1), u8s(100)}, {}, kMs));
  EXPECT_EQ(values<uint8_t>(c), (std::vector<uint8_t>{100, 102, 101, 255}));
  // B [2, 1] broadcast along the inner dim, A a scalar: both scalar paths.
  Tensor row = run_ok(node("QLinearAdd", {u8({2, 2}, {10, 12, 14, 16}), f32(1), u8s(10), u8({2, 1}, {1, 3}), f32(1),
                                          u8s(1), f32(4), u8s(0)}, {}, kMs));
  EXPECT_EQ(values<uint8_t>(row), (std::vector<uint8_t>{0, 0, 2, 2}));  // (0, 2, 6, 8) / 4, ties to even
  Tensor scalar_a = run_ok(node("QLinearAdd", {u8s(3), f32(1), u8s(0), u8({3}, {0, 1, 2}), f32(1), u8s(0), f32(1),
                                               u8s(0)}, {}, kMs));
  EXPECT_EQ(values<uint8_t>(scalar_a), (std::vector<uint8_t>{3, 4, 5}));
  // Optional zero points absent; int8 saturation both ways.
  Tensor s = run_ok(node("QLinearAdd", {s8({2}, {-128, 127}), f32(1), Tensor(), s8({2}, {-128, 127}), f32(1), Tensor(),
                                        f32(1)}, {}, kMs));
  EXPECT_EQ(values<int8_t>(s), (std::vector<int8_t>{-128, 127}));
  expect_error(node("QLinearAdd", {a, f32(1), u8s(0), s8({4}, {0, 0, 0, 0}), f32(1), s8s(0), f32(1), u8s(0)}, {}, kMs),
               "input 3");
  expect_error(node("QLinearAdd", {a, f32(1), u8s(0), u8({3}, {0, 0, 0}), f32(1), u8s(0), f32(1), u8s(0)}, {}, kMs),
               "broadcast");
  expect_error(node("QLinearAdd", {a, f32(1), u8s(0), a, f32(1), u8s(0), f32(0), u8s(0)}, {}, kMs), "C_scale");
}

// (a - 10) * (b - 1) * (0.5 * 0.5 / 0.5) + 10: 4 -> 12, 16 -> 18, 3 -> 11.5 -> 12 (even).
TEST(QLinearMul, ProductTiesAndInt8) {
  Tensor c = run_ok(node("QLinearMul", {u8({3}, {12, 14, 13}), f32(0.5f), u8s(10), u8({3}, {3, 5, 2}), f32(0.5f), u8s(1),
                                        f32(0.5f), u8s(10)}, {}, kMs));
  EXPECT_EQ(values<uint8_t>(c), (std::vector<uint8_t>{12, 18, 12}));
  Tensor s = run_ok(node("QLinearMul", {s8({3}, {-100, 100, 5}), f32(1), s8s(0), s8s(-3), f32(1), s8s(0), f32(1),
                                        s8s(0)}, {}, kMs));
  EXPECT_EQ(values<int8_t>(s), (std::vector<int8_t>{127, -128, -15}));
}

// acc = sum - x_zp * image; ch0: (10 - 4) / 4 = 1.5 -> 2, ch1: (41 - 4) / 4 = 9.25 -> 9.
TEST(QLinearGlobalAveragePool, ChannelsFirstAndLast) {
  Tensor x = u8({1, 2, 2, 2}, {1, 2, 3, 4, 10, 10, 10, 11});
  Tensor y = run_ok(node("QLinearGlobalAveragePool", {x, f32(1), u8s(1), f32(1), u8s(0)}, {}, kMs));
  EXPECT_EQ(y.dims(), (Dims{1, 2, 1, 1}));
  EXPECT_EQ(values<uint8_t>(y), (std::vector<uint8_t>{2, 9}));
  // NHWC: c0 = {1, 3, 10, 10} -> 20 / 4 = 5, c1 = {2, 4, 10, 11} -> 23 / 4 = 5.75 -> 6.
  Tensor last = run_ok(node("QLinearGlobalAveragePool", {x, f32(1), u8s(1), f32(1), u8s(0)},
                            {{"channels_last", int_attr(1)}}, kMs));
  EXPECT_EQ(last.dims(), (Dims{1, 1, 1, 2}));
  EXPECT_EQ(values<uint8_t>(last), (std::vector<uint8_t>{5, 6}));
  // int8, scale x_scale / (y_scale * 4) = 0.25: acc = -14 - 4 * -2 = -6 -> -1.5 -> -2, plus y_zp 1.
  Tensor s = run_ok(node("QLinearGlobalAveragePool", {s8({1, 1, 2, 2}, {-5, -3, -2, -4}), f32(0.5f), s8s(-2), f32(0.5f),
                                                      s8s(1)}, {}, kMs));
  EXPECT_EQ(values<int8_t>(s), (std::vector<int8_t>{-1}));
  expect_error(node("QLinearGlobalAveragePool", {x, f32(1), u8s(1), f32(-2), u8s(0)}, {}, kMs), "y_scale");
  expect_error(node("QLinearGlobalAveragePool", {x, f32(1), s8s(1), f32(1), u8s(0)}, {}, kMs), "x_zero_point");
}

// 3x3 input 1..9, 2x2 windows, stride 2, pads 1: windows {1}, {2, 3}, {4, 7}, {5, 6, 8, 9}.
TEST(QLinearAveragePool, CountIncludePadAndGlobalFallback) {
  Tensor x = u8({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  std::map<std::string, Attribute> attrs = {{"kernel_shape", ints_attr({2, 2})}, {"strides", ints_attr({2, 2})},
                                            {"pads", ints_attr({1, 1, 1, 1})}};
  Tensor y = run_ok(node("QLinearAveragePool", {x, f32(1), u8s(0), f32(1), u8s(0)}, attrs, kMs));
  EXPECT_EQ(values<uint8_t>(y), (std::vector<uint8_t>{1, 2, 6, 7}));  // 1, 2.5, 5.5, 7
  attrs["count_include_pad"] = int_attr(1);
  Tensor inc = run_ok(node("QLinearAveragePool", {x, f32(1), u8s(0), f32(1), u8s(0)}, attrs, kMs));
  EXPECT_EQ(values<uint8_t>(inc), (std::vector<uint8_t>{0, 1, 3, 7}));  // 0.25, 1.25, 2.75, 7
  attrs["channels_last"] = int_attr(1);                                  // the same data read as [N, H, W, C=1]
  Tensor nhwc = run_ok(node("QLinearAveragePool", {u8({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9}), f32(1), u8s(0), f32(1),
                                                   u8s(0)}, attrs, kMs));
  EXPECT_EQ(nhwc.dims(), (Dims{1, 2, 2, 1}));
  EXPECT_EQ(values<uint8_t>(nhwc), values<uint8_t>(inc));
  Tensor whole = run_ok(node("QLinearAveragePool", {x, f32(1), u8s(1), f32(1), u8s(0)},
                             {{"kernel_shape", ints_attr({3, 3})}}, kMs));
  EXPECT_EQ(values<uint8_t>(whole), (std::vector<uint8_t>{4}));  // (45 - 9) / 9
  expect_error(node("QLinearAveragePool", {x, f32(1), u8s(0), f32(1), u8s(0)}, {{"kernel_shape", ints_attr({4, 4})}}, kMs),
               "");
}

// Inputs with y's scale and zero point are copied; others go through dequantize -> quantize.
TEST(QLinearConcat, RequantizesEachInput) {
  Tensor y = run_ok(node("QLinearConcat", {f32(1), u8s(0), u8({1, 2}, {1, 2}), f32(1), u8s(0), u8({1, 1}, {10}),
                                           f32(0.5f), u8s(0), u8({1, 2}, {3, 6}), f32(0.5f), u8s(2)},
                         {{"axis", int_attr(-1)}}, kMs));
  EXPECT_EQ(y.dims(), (Dims{1, 5}));
  EXPECT_EQ(values<uint8_t>(y), (std::vector<uint8_t>{1, 2, 5, 0, 2}));  // 0.5 * (3 - 2) = 0.5 -> 0; 2
  expect_error(node("QLinearConcat", {f32(1), u8s(0), u8({1, 2}, {1, 2}), f32(1), u8s(0), u8({2, 1}, {1, 2}), f32(1),
                                      u8s(0)}, {{"axis", int_attr(1)}}, kMs),
               "input 5");
  expect_error(node("QLinearConcat", {f32(1), u8s(0), u8({1, 2}, {1, 2}), f32(1)}, {{"axis", int_attr(1)}}, kMs),
               "triples");
}

// The table of every byte: sigmoid(0) = 0.5 -> 128 at y_scale 1/256, and within one step of the
// exact logistic everywhere (MLAS approximates it).
TEST(QLinearSigmoid, TableOfEveryByte) {
  std::vector<uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[static_cast<size_t>(i)] = static_cast<uint8_t>(i);
  Tensor y = run_ok(node("QLinearSigmoid", {u8({256}, all), f32(0.1f), u8s(128), f32(1.0f / 256), u8s(0)}, {}, kMs));
  const std::vector<uint8_t> out = values<uint8_t>(y);
  EXPECT_EQ(out[128], 128);
  EXPECT_EQ(out[255], 255);
  EXPECT_EQ(out[0], 0);
  for (int i = 0; i < 256; ++i) {
    const double v = 0.1f * static_cast<float>(i - 128);
    const double want = std::min(255.0, std::nearbyint(256.0 / (1.0 + std::exp(-v))));
    EXPECT_NEAR(out[static_cast<size_t>(i)], want, 1.0) << "byte " << i;
  }
}

TEST(QLinearLeakyRelu, AlphaTiesAndInt8) {
  Tensor y = run_ok(node("QLinearLeakyRelu", {s8({3}, {-10, 10, -2}), f32(1), s8s(0), f32(1), s8s(0)},
                         {{"alpha", float_attr(0.25f)}}, kMs));
  EXPECT_EQ(values<int8_t>(y), (std::vector<int8_t>{-2, 10, 0}));  // -2.5 -> -2, -0.5 -> 0
  Tensor d = run_ok(node("QLinearLeakyRelu", {u8({2}, {0, 200}), f32(1), u8s(100), f32(1), u8s(100)}, {}, kMs));
  EXPECT_EQ(values<uint8_t>(d), (std::vector<uint8_t>{99, 200}));  // 0.01 * -100 = -1
  expect_error(node("QLinearLeakyRelu", {u8({2}, {0, 200}), Tensor(), u8s(100), f32(1), u8s(100)}, {}, kMs),
               "required input 1");
}

// ---- MobileNetV2-int8 (QOperator, com.microsoft QLinearAdd and QLinearGlobalAveragePool) ----------

std::filesystem::path shared_models() {
  if (const char* env = std::getenv("EDGE_SHARED_MODELS")) return env;
  // tests/unit/test_qlinear.cc -> <repo>/../shared/models
  return std::filesystem::path(__FILE__).parent_path() / ".." / ".." / ".." / "shared" / "models";
}

TEST(QLinearMobileNet, ReferenceProviderMatchesOrtBitForBit) {
  const std::filesystem::path dir = shared_models() / "mobilenetv2-12-int8";
  if (!std::filesystem::exists(dir / "mobilenetv2-12-int8.onnx")) GTEST_SKIP() << "no " << dir;
  SessionOptions options;
  options.provider = Provider::kReference;
  auto session = Session::load((dir / "mobilenetv2-12-int8.onnx").string(), options);
  ASSERT_TRUE(session.is_ok()) << session.status().to_string();
  auto input = read_tensor_file((dir / "test_data_set_0" / "input_0.pb").string());
  auto want = read_tensor_file((dir / "test_data_set_0" / "output_0.pb").string());
  ASSERT_TRUE(input.is_ok() && want.is_ok());
  auto out = (*session)->run({{(*session)->inputs()[0].name, input->tensor}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  const Tensor& got = (*out)[0];
  ASSERT_EQ(got.dims(), want->tensor.dims());
  int64_t differing = 0;
  float max_diff = 0;
  for (int64_t i = 0; i < got.num_elements(); ++i) {
    const float a = got.data<float>()[i], b = want->tensor.data<float>()[i];
    if (std::memcmp(&a, &b, sizeof a) != 0) ++differing;
    max_diff = std::max(max_diff, std::abs(a - b));
  }
  EXPECT_EQ(differing, 0) << "max |diff| " << max_diff;
}

}  // namespace
}  // namespace edgeserve::testing
