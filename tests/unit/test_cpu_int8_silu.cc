// edgeserve.QLinearConv with activation "Silu" (qdq_fusion's Conv -> SiLU -> Q): the reference
// kernel against the definition written out here, and the cpu provider's oneDNN conv with a swish
// post-op against the reference. oneDNN evaluates exp with its own polynomial, so the cpu result may
// sit one step off where the real value lands next to a rounding boundary; nowhere more.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "cpu_int8_test_util.h"
#include "onnx_model_builder.h"

namespace edgeserve::testing {
namespace {

struct SiluConv {
  int64_t in = 16, out = 16, k = 1, group = 1, pad = 0, hw = 12;
  int x_zp = 0, y_zp = 20;
};

constexpr float kXScale = 0.05f, kYScale = 0.04f;

// x[1, in, hw, hw] uint8 -> edgeserve.QLinearConv(Silu) -> y uint8; weights and biases seeded.
std::string silu_conv_model(const SiluConv& c, std::mt19937& rng, std::vector<int8_t>* w_out = nullptr,
                            std::vector<float>* ws_out = nullptr, std::vector<int32_t>* b_out = nullptr) {
  QuantModelBuilder b;
  b.opset("edgeserve", 1).input("x", DType::kUint8, {1, c.in, c.hw, c.hw});
  const Dims w_dims = {c.out, c.in / c.group, c.k, c.k};
  Tensor w = random_ints(rng, DType::kInt8, w_dims, -127, 127);
  std::uniform_real_distribution<float> scale(0.002f, 0.02f);
  std::uniform_int_distribution<int32_t> bias(-2000, 2000);
  std::vector<float> ws(static_cast<size_t>(c.out));
  std::vector<int32_t> bs(static_cast<size_t>(c.out));
  for (auto& s : ws) s = scale(rng);
  for (auto& v : bs) v = bias(rng);
  b.scale("xs", kXScale).zero("xz", DType::kUint8, c.x_zp).constant("w", w);
  b.constant("ws", Tensor::from_vector<float>({c.out}, ws)).constant("wz", Tensor::from_vector<int8_t>({c.out}, std::vector<int8_t>(ws.size(), 0)));
  b.scale("ys", kYScale).zero("yz", DType::kUint8, c.y_zp).constant("b", Tensor::from_vector<int32_t>({c.out}, bs));
  auto* n = b.node("QLinearConv", {"x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"}, {"y"}, "edgeserve");
  set_ints(n, "kernel_shape", {c.k, c.k});
  set_ints(n, "pads", {c.pad, c.pad, c.pad, c.pad});
  set_int(n, "group", c.group);
  set_string(n, "activation", "Silu");
  if (w_out != nullptr) *w_out = std::vector<int8_t>(w.data<int8_t>(), w.data<int8_t>() + w.num_elements());
  if (ws_out != nullptr) *ws_out = ws;
  if (b_out != nullptr) *b_out = bs;
  const int64_t out_hw = c.hw + 2 * c.pad - c.k + 1;
  return b.output("y", DType::kUint8, {1, c.out, out_hw, out_hw}).bytes();
}

SessionOptions reference_options() {
  SessionOptions o;
  o.provider = Provider::kReference;
  o.optimization_level = 0;
  return o;
}

TEST(CpuInt8Silu, ReferenceAppliesSiluToTheRealValueThenRequantizes) {
  std::mt19937 rng(11);
  SiluConv c{4, 3, 1, 1, 0, 3, 7, 20};
  std::vector<int8_t> w;
  std::vector<float> ws;
  std::vector<int32_t> bs;
  const std::string model = silu_conv_model(c, rng, &w, &ws, &bs);
  Tensor x = random_ints(rng, DType::kUint8, {1, 4, 3, 3}, 0, 255);
  auto s = Session::load_from_bytes(model, reference_options());
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  auto y = (*s)->run({{"x", x}});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  for (int64_t m = 0; m < 3; ++m) {
    for (int64_t p = 0; p < 9; ++p) {
      int32_t acc = bs[static_cast<size_t>(m)];
      for (int64_t ci = 0; ci < 4; ++ci) acc += (x.data<uint8_t>()[ci * 9 + p] - c.x_zp) * w[static_cast<size_t>(m * 4 + ci)];
      const float v = static_cast<float>(acc) * (kXScale * ws[static_cast<size_t>(m)]);  // the real value
      const float q = std::nearbyint(v / (1.0f + std::exp(-v)) / kYScale) + static_cast<float>(c.y_zp);
      // silu(v) / y_scale, computed as the kernel does from v / y_scale: equal up to float rounding
      EXPECT_NEAR((*y)[0].data<uint8_t>()[m * 9 + p], std::clamp(q, 0.0f, 255.0f), 1.0f)
          << "channel " << m << " position " << p;
    }
  }
}

TEST(CpuInt8Silu, CpuMatchesReferenceWithinOneStep) {
  const std::vector<std::pair<const char*, SiluConv>> cases = {
      {"1x1", {16, 32, 1, 1, 0, 12, 0, 20}},
      {"3x3 pad 1, x_zp 128", {16, 16, 3, 1, 1, 12, 128, 20}},
      {"depthwise 3x3", {16, 16, 3, 16, 1, 12, 3, 20}},
      {"grouped 4 (float output, then a post-op step)", {16, 32, 3, 4, 1, 12, 0, 20}},
  };
  std::mt19937 rng(12);
  for (const auto& [what, c] : cases) {
    const std::string model = silu_conv_model(c, rng);
    Tensor x = random_ints(rng, DType::kUint8, {1, c.in, c.hw, c.hw}, 0, 255);
    auto ref = Session::load_from_bytes(model, reference_options());
    auto cpu = Session::load_from_bytes(model, int8_cpu_options());
    ASSERT_TRUE(ref.is_ok() && cpu.is_ok()) << what << ": " << (ref.is_ok() ? cpu : ref).status().to_string();
    RunProfile profile;
    auto want = (*ref)->run({{"x", x}});
    auto got = (*cpu)->run({{"x", x}}, &profile);
    ASSERT_TRUE(want.is_ok() && got.is_ok()) << what;
    EXPECT_EQ((*cpu)->step_providers(), std::vector<std::string>{"cpu"}) << what;
    EXPECT_TRUE(ran_on_cpu(profile, "edgeserve.QLinearConv", false)) << what << ": " << profile_text(profile);
    const Tensor& a = (*want)[0];
    const Tensor& b = (*got)[0];
    ASSERT_EQ(a.num_elements(), b.num_elements()) << what;
    int64_t off = 0, saturated_low = 0;
    for (int64_t i = 0; i < a.num_elements(); ++i) {
      const int d = std::abs(int{a.data<uint8_t>()[i]} - int{b.data<uint8_t>()[i]});
      EXPECT_LE(d, 1) << what << " at " << i << ": reference " << int{a.data<uint8_t>()[i]} << ", cpu " << int{b.data<uint8_t>()[i]};
      off += d != 0;
      saturated_low += a.data<uint8_t>()[i] == 0;
    }
    EXPECT_LE(off * 100, a.num_elements()) << what << ": " << off << " of " << a.num_elements() << " one step off";
    EXPECT_EQ(saturated_low, 0) << what;  // SiLU >= -0.28 = -7 steps: the zero point 20 keeps it all
  }
}

}  // namespace
}  // namespace edgeserve::testing
