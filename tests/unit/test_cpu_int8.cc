// The cpu provider's int8 kernels (QLinearConv, QLinearMatMul, QuantizeLinear, DequantizeLinear,
// com.microsoft QLinearAdd, QLinearMul and QLinearGlobalAveragePool, uint8/int8 MaxPool and views) against the
// reference provider, which reproduces ONNX Runtime's integer arithmetic. Tolerance: none — every
// output must equal the reference bit for bit. Data is seeded and large enough to hit rounding
// ties (power-of-two scales make acc * scale land on .5), saturation (wide scale ranges, biases)
// and the layouts oneDNN picks (a consumer reads its producer's blocked or channels-last layout).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <random>

#include "cpu_int8_test_util.h"
#include "onnx_model_builder.h"
#include "edgeserve/tensor_io.h"

namespace edgeserve::testing {
namespace {

constexpr const char* kMs = "com.microsoft";
const Dims kActivation = {2, 16, 20, 20};

// How the scales of a QLinear node are chosen:
//   kTies   powers of two, so acc * (x_scale * w_scale / y_scale) is often exactly k + 0.5;
//   kRandom log-uniform over decades, with outputs spread from near zero to well past saturation;
//   kSmall  activations within 3 of the zero point, weights in [-2, 2] and a scale of 1/2 or 1/4:
//           most outputs are ties.
enum class Regime { kTies, kRandom, kSmall };
const char* regime_name(Regime r) { return r == Regime::kTies ? "ties" : r == Regime::kRandom ? "random" : "small"; }

struct QParams {
  float scale = 1.f;
  int zp = 0;
};

float log_uniform(std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> d(std::log(lo), std::log(hi));
  return std::exp(d(rng));
}

Tensor zeros(DType t, const Dims& dims) { return Tensor::allocate(t, dims).value(); }

// Activations for a regime: the whole range, or within 3 of the zero point (kSmall).
Tensor activation(std::mt19937& rng, DType t, const Dims& dims, int zp, Regime r) {
  if (r != Regime::kSmall) return random_q(rng, t, dims);
  const int lo = t == DType::kUint8 ? 0 : -128, hi = t == DType::kUint8 ? 255 : 127;
  return random_ints(rng, t, dims, std::max(lo, zp - 3), std::min(hi, zp + 3));
}

struct ConvSpec {
  int64_t c, m, k, stride = 1, dil = 1, group = 1;
  std::vector<int64_t> pads = {0, 0, 0, 0};
  bool bias = true, per_channel = true;
};

// Adds QLinearConv `x` -> `y` with its constants (prefixed `p`); x has `in`'s parameters, y gets
// y_zp and a scale picked for the regime, returned.
QParams add_qconv(QuantModelBuilder& b, std::mt19937& rng, const std::string& p, const std::string& x,
                  const std::string& y, DType t, const ConvSpec& s, QParams in, int y_zp, Regime r) {
  const int64_t cg = s.c / s.group, kk = s.k * s.k;
  const float spread = 5.5e-3f / std::sqrt(static_cast<float>(cg * kk));  // acc * spread ~ 60
  QParams out{0.25f, y_zp};
  std::vector<float> w_scale(s.per_channel ? static_cast<size_t>(s.m) : 1);
  if (r == Regime::kRandom) out.scale = log_uniform(rng, 0.01f, 1.f);
  const float base = r == Regime::kSmall ? (rng() % 2 ? 0.5f : 0.25f) : spread;
  const float base_exp = std::round(std::log2(base));
  for (float& ws : w_scale) {
    if (r == Regime::kRandom) {
      ws = base * log_uniform(rng, 0.25f, 4.f) * out.scale / in.scale;
    } else {
      const float e = base_exp + (r == Regime::kTies ? static_cast<float>(static_cast<int>(rng() % 3) - 1) : 0.f);
      ws = std::exp2(e) * out.scale / in.scale;  // exact: every factor is a power of two
    }
  }
  const Dims w_dims = {s.m, cg, s.k, s.k};
  b.scale(p + "_xs", in.scale).zero(p + "_xz", t, in.zp);
  b.constant(p + "_w", r == Regime::kSmall ? random_ints(rng, DType::kInt8, w_dims, -2, 2)
                                           : random_ints(rng, DType::kInt8, w_dims, -128, 127));
  if (s.per_channel) {
    b.constant(p + "_ws", Tensor::from_vector<float>({s.m}, w_scale)).constant(p + "_wz", zeros(DType::kInt8, {s.m}));
  } else {
    b.scale(p + "_ws", w_scale[0]).zero(p + "_wz", DType::kInt8, 0);
  }
  b.scale(p + "_ys", out.scale).zero(p + "_yz", t, out.zp);
  std::vector<std::string> inputs = {x, p + "_xs", p + "_xz", p + "_w", p + "_ws", p + "_wz", p + "_ys", p + "_yz"};
  if (s.bias) {
    const int64_t reach = r == Regime::kSmall ? 8 : static_cast<int64_t>(2 * 60 / spread);
    b.constant(p + "_b", random_ints(rng, DType::kInt32, {s.m}, -reach, reach));
    inputs.push_back(p + "_b");
  }
  auto* n = b.node("QLinearConv", inputs, {y});
  set_ints(n, "kernel_shape", {s.k, s.k});
  set_ints(n, "strides", {s.stride, s.stride});
  set_ints(n, "dilations", {s.dil, s.dil});
  set_ints(n, "pads", s.pads);
  set_int(n, "group", s.group);
  return out;
}

std::string what_of(const std::string& name, Regime r, DType t) {
  return name + " (" + regime_name(r) + ", " + dtype_name(t) + ")";
}

void expect_cpu_ran(const CpuRun& run, const std::string& op, bool host, const std::string& what) {
  EXPECT_EQ(run.steps, std::vector<std::string>{"cpu"}) << what;
  EXPECT_TRUE(ran_on_cpu(run.profile, op, host)) << what << ": " << op << " not run by the cpu provider; profile "
                                                 << profile_text(run.profile);
}

// ---- QLinearConv ----------------------------------------------------------------------------------

struct ConvCase {
  const char* name;
  DType t;
  ConvSpec s;
  int x_zp, y_zp;
  int64_t h = 20;
};

TEST(CpuInt8Conv, MatchesReferenceOverShapesAndParameters) {
  const DType u8 = DType::kUint8, s8 = DType::kInt8;
  const std::vector<ConvCase> cases = {
      {"1x1 per-tensor", u8, {16, 32, 1, 1, 1, 1, {0, 0, 0, 0}, false, false}, 0, 0},
      {"1x1 per-channel bias", s8, {16, 24, 1, 1, 1, 1, {0, 0, 0, 0}, true, true}, -5, 3},
      {"3x3 pad 1, x_zp 128, y_zp odd", u8, {16, 32, 3, 1, 1, 1, {1, 1, 1, 1}, true, true}, 128, 1},
      {"3x3 pad 1, y_zp even, per-tensor", u8, {16, 16, 3, 1, 1, 1, {1, 1, 1, 1}, false, false}, 7, 128},
      {"3x3 stride 2", s8, {16, 32, 3, 2, 1, 1, {1, 1, 1, 1}, true, true}, 0, -1},
      {"3x3 stride 2, x_zp, per-tensor", s8, {16, 32, 3, 2, 1, 1, {1, 1, 1, 1}, true, false}, 9, 0},
      {"depthwise 3x3", u8, {16, 16, 3, 1, 1, 16, {1, 1, 1, 1}, true, true}, 3, 5},
      {"depthwise 3x3 stride 2", s8, {32, 32, 3, 2, 1, 32, {1, 1, 1, 1}, false, true}, -20, 0},
      {"depthwise 5x5 pad 2", u8, {16, 16, 5, 1, 1, 16, {2, 2, 2, 2}, true, false}, 0, 2},
      {"grouped 4", u8, {16, 32, 3, 1, 1, 4, {1, 1, 1, 1}, true, true}, 64, 127},
      {"grouped 2 1x1", s8, {16, 8, 1, 1, 1, 2, {0, 0, 0, 0}, false, false}, 1, 0},
      {"dilation 2", u8, {16, 16, 3, 1, 2, 1, {2, 2, 2, 2}, true, true}, 100, 33},
      {"dilation 2 stride 2 asymmetric pads", s8, {16, 24, 3, 2, 2, 1, {1, 2, 2, 1}, true, true}, -1, 4},
      {"3 -> 17 channels stride 2", u8, {3, 17, 3, 2, 1, 1, {1, 1, 1, 1}, true, true}, 128, 0},
      {"5x5 no pad", u8, {8, 16, 5, 1, 1, 1, {0, 0, 0, 0}, false, true}, 0, 11, 13},
  };
  std::mt19937 rng(101);
  for (const ConvCase& k : cases) {
    for (Regime r : {Regime::kTies, Regime::kRandom, Regime::kSmall}) {
      const std::string what = what_of(k.name, r, k.t);
      const Dims x_dims = {2, k.s.c, k.h, k.h};
      QuantModelBuilder b;
      b.input("x", k.t, x_dims);
      const float x_scale = r == Regime::kRandom ? log_uniform(rng, 1e-3f, 1.f) : 0.0625f;
      add_qconv(b, rng, "c", "x", "y", k.t, k.s, {x_scale, k.x_zp}, k.y_zp, r);
      b.output("y");
      CpuRun run = expect_exact(b.bytes(), {{"x", activation(rng, k.t, x_dims, k.x_zp, r)}}, what);
      expect_cpu_ran(run, "QLinearConv", false, what);
    }
  }
}

// Three convs: each consumes the layout oneDNN chose for its producer's output (channels-last or
// blocked), in every activation layout the session can pick; the middle value is also an output.
TEST(CpuInt8Conv, ChainReadsTheProducersLayout) {
  std::mt19937 rng(102);
  for (DType t : {DType::kUint8, DType::kInt8}) {
    for (Regime r : {Regime::kTies, Regime::kRandom}) {
      for (bool middle_out : {false, true}) {
        QuantModelBuilder b;
        b.input("x", t, kActivation);
        const int zp0 = t == DType::kUint8 ? 128 : -3;
        QParams q1 = add_qconv(b, rng, "c1", "x", "a", t, {16, 32, 3, 1, 1, 1, {1, 1, 1, 1}}, {0.0625f, zp0}, 3, r);
        QParams q2 = add_qconv(b, rng, "c2", "a", "d", t, {32, 32, 3, 2, 1, 32, {1, 1, 1, 1}}, q1, 0, r);
        add_qconv(b, rng, "c3", "d", "y", t, {32, 24, 1}, q2, -1 + (t == DType::kUint8) * 11, r);
        b.output("y");
        if (middle_out) b.output("d");
        const Tensor x = activation(rng, t, kActivation, zp0, r);
        for (ActivationLayout layout : {ActivationLayout::kAuto, ActivationLayout::kBlocked16, ActivationLayout::kMeasure}) {
          const std::string what = what_of(std::string("chain, ") + activation_layout_name(layout) +
                                               (middle_out ? ", middle output" : ""), r, t);
          CpuRun run = expect_exact(b.bytes(), {{"x", x}}, what, int8_cpu_options(layout));
          expect_cpu_ran(run, "QLinearConv", false, what);
          const auto convs = std::count_if(run.profile.entries.begin(), run.profile.entries.end(),
                                           [](const auto& e) { return e.op_type == "QLinearConv" && !e.parent.empty(); });
          EXPECT_GE(convs, 3) << what << ": " << profile_text(run.profile);
        }
      }
    }
  }
}

// Weights the cpu provider does not claim (uint8, non-zero zero point) fall back and still match.
TEST(CpuInt8Conv, UnclaimedWeightsFallBackToTheReference) {
  std::mt19937 rng(103);
  QuantModelBuilder b;
  b.input("x", DType::kUint8, kActivation);
  b.scale("xs", 0.05f).zero("xz", DType::kUint8, 10).scale("ys", 0.5f).zero("yz", DType::kUint8, 7);
  b.constant("w", random_q(rng, DType::kUint8, {8, 16, 3, 3})).scale("ws", 0.01f).zero("wz", DType::kUint8, 128);
  set_ints(b.node("QLinearConv", {"x", "xs", "xz", "w", "ws", "wz", "ys", "yz"}, {"y"}), "pads", {1, 1, 1, 1});
  b.output("y");
  CpuRun run = expect_exact(b.bytes(), {{"x", random_q(rng, DType::kUint8, kActivation)}}, "uint8 weights");
  EXPECT_EQ(run.steps, std::vector<std::string>{"reference"});
}


// Grouped (not depthwise) convs whose output zero point is not 0, which makes the requantization
// round and add post-ops: every such conv the provider claims must load and match.
TEST(CpuInt8Conv, GroupedWithOutputZeroPoint) {
  std::mt19937 rng(104);
  int failed_loads = 0, cases = 0;
  std::string failures;
  for (DType t : {DType::kUint8, DType::kInt8}) {
    for (int64_t m : {8, 16, 32}) {
      for (int64_t group : {2, 4}) {
        for (int64_t k : {1, 3}) {
          for (int y_zp : {0, 1}) {
            QuantModelBuilder b;
            b.input("x", t, {2, 16, 10, 10});
            const int64_t pad = k / 2;
            add_qconv(b, rng, "c", "x", "y", t, {16, m, k, 1, 1, group, {pad, pad, pad, pad}}, {0.0625f, 0}, y_zp,
                      Regime::kTies);
            b.output("y");
            const std::string what = std::string(dtype_name(t)) + " 16 -> " + std::to_string(m) + " group " +
                                     std::to_string(group) + " " + std::to_string(k) + "x" + std::to_string(k) +
                                     " y_zp " + std::to_string(y_zp);
            ++cases;
            if (!Session::load_from_bytes(b.bytes(), int8_cpu_options(ActivationLayout::kAuto)).is_ok()) {
              ++failed_loads;
              failures += "\n  " + what;
              continue;
            }
            CpuRun run = expect_exact(b.bytes(), {{"x", random_q(rng, t, {2, 16, 10, 10})}}, what);
            expect_cpu_ran(run, "QLinearConv", false, what);
          }
        }
      }
    }
  }
  EXPECT_EQ(failed_loads, 0) << failed_loads << " of " << cases
                             << " claimed grouped convs fail to load (oneDNN has no primitive):" << failures;
}

// ---- QLinearMatMul --------------------------------------------------------------------------------

struct MatMulCase {
  const char* name;
  Dims a;
  int64_t n;
  DType a_type, y_type;
  bool per_column;
  int a_zp, y_zp;
};

TEST(CpuInt8MatMul, MatchesReferenceFor2dAnd3dA) {
  const DType u8 = DType::kUint8, s8 = DType::kInt8;
  const std::vector<MatMulCase> cases = {
      {"2-D per-tensor", {64, 48}, 40, u8, u8, false, 0, 0},
      {"2-D per-column", {64, 48}, 40, u8, u8, true, 131, 7},
      {"3-D per-column", {2, 30, 48}, 24, s8, s8, true, -4, 2},
      {"3-D per-tensor", {3, 7, 100}, 17, s8, s8, false, 0, -9},
      {"uint8 a, int8 y", {2, 30, 48}, 24, u8, s8, true, 12, -1},
  };
  std::mt19937 rng(201);
  for (const MatMulCase& k : cases) {
    for (Regime r : {Regime::kTies, Regime::kRandom, Regime::kSmall}) {
      const std::string what = what_of(k.name, r, k.a_type);
      const int64_t kdim = k.a.back();
      const float spread = 5.5e-3f / std::sqrt(static_cast<float>(kdim));
      const float a_scale = r == Regime::kRandom ? log_uniform(rng, 1e-3f, 1.f) : 0.125f;
      const float y_scale = r == Regime::kRandom ? log_uniform(rng, 0.01f, 1.f) : 0.5f;
      std::vector<float> b_scale(k.per_column ? static_cast<size_t>(k.n) : 1);
      for (float& s : b_scale) {
        if (r == Regime::kRandom) s = spread * log_uniform(rng, 0.25f, 4.f) * y_scale / a_scale;
        else if (r == Regime::kSmall) s = 0.5f * y_scale / a_scale;
        else s = std::exp2(std::round(std::log2(spread)) + static_cast<float>(static_cast<int>(rng() % 3) - 1)) * y_scale / a_scale;
      }
      QuantModelBuilder b;
      b.input("a", k.a_type, k.a);
      b.scale("as", a_scale).zero("az", k.a_type, k.a_zp);
      b.constant("b", r == Regime::kSmall ? random_ints(rng, DType::kInt8, {kdim, k.n}, -2, 2)
                                          : random_q(rng, DType::kInt8, {kdim, k.n}));
      if (k.per_column) {
        b.constant("bs", Tensor::from_vector<float>({k.n}, b_scale)).constant("bz", zeros(DType::kInt8, {k.n}));
      } else {
        b.scale("bs", b_scale[0]).zero("bz", DType::kInt8, 0);
      }
      b.scale("ys", y_scale).zero("yz", k.y_type, k.y_zp);
      b.node("QLinearMatMul", {"a", "as", "az", "b", "bs", "bz", "ys", "yz"}, {"y"});
      b.output("y");
      CpuRun run = expect_exact(b.bytes(), {{"a", activation(rng, k.a_type, k.a, k.a_zp, r)}}, what);
      expect_cpu_ran(run, "QLinearMatMul", false, what);
    }
  }
}

// ---- QuantizeLinear / DequantizeLinear ------------------------------------------------------------

// x / scale lands exactly on k + 0.5 (power-of-two scales), just beside it, on integers, far past
// the type's range, on denormals and signed zeros; the rest is uniform over +-300 steps.
Tensor quantize_input(std::mt19937& rng, float scale, const Dims& dims) {
  std::vector<float> v;
  for (int k = -300; k <= 300; ++k) {
    const float tie = (static_cast<float>(k) + 0.5f) * scale;
    v.push_back(tie);
    v.push_back(std::nextafter(tie, std::numeric_limits<float>::infinity()));
    v.push_back(std::nextafter(tie, -std::numeric_limits<float>::infinity()));
    v.push_back(static_cast<float>(k) * scale);
  }
  for (float big : {1e10f, 3e38f, std::numeric_limits<float>::max(), 2147483648.f, 4294967296.f, 1e-40f, 0.f}) {
    v.push_back(big);
    v.push_back(-big);
  }
  std::uniform_real_distribution<float> u(-300.f * scale, 300.f * scale);
  while (static_cast<int64_t>(v.size()) < dims_product(dims)) v.push_back(u(rng));
  v.resize(static_cast<size_t>(dims_product(dims)));
  return Tensor::from_vector<float>(dims, v);
}

struct QuantCase {
  DType t;
  int zp;
  bool zp_given = true;
};

std::vector<QuantCase> quant_cases() {
  return {{DType::kUint8, 0}, {DType::kUint8, 128}, {DType::kUint8, 3}, {DType::kUint8, 0, false},
          {DType::kInt8, 0},  {DType::kInt8, -1},   {DType::kInt8, 10}};
}

// x -> QuantizeLinear -> q -> DequantizeLinear -> d; both outputs compared.
std::string quantize_model(const QuantCase& k, float scale, const Dims& dims) {
  QuantModelBuilder b;
  b.input("x", DType::kFloat32, dims);
  b.scale("s", scale).zero("z", k.t, k.zp);
  b.node("QuantizeLinear", k.zp_given ? std::vector<std::string>{"x", "s", "z"} : std::vector<std::string>{"x", "s"},
         {"q"});
  b.node("DequantizeLinear", {"q", "s", "z"}, {"d"});
  b.output("q").output("d");
  return b.bytes();
}

TEST(CpuInt8Quantize, TiesSaturationAndRoundTripInPlainLayout) {
  std::mt19937 rng(301);
  for (float scale : {0.125f, 0.5f, 4.f, 0.0173f, 0.3f, 7.7f}) {
    for (const QuantCase& k : quant_cases()) {
      const std::string what = std::string("quantize ") + dtype_name(k.t) + " zp " + std::to_string(k.zp) +
                               (k.zp_given ? "" : " (absent)") + " scale " + std::to_string(scale);
      CpuRun run = expect_exact(quantize_model(k, scale, kActivation), {{"x", quantize_input(rng, scale, kActivation)}},
                                what);
      expect_cpu_ran(run, "QuantizeLinear", false, what);
      expect_cpu_ran(run, "DequantizeLinear", true, what);
    }
  }
}

// NaN (either sign) takes the type's lowest value and infinities their end, as ONNX Runtime does.
TEST(CpuInt8Quantize, NonFiniteInputs) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> v;
  for (int i = 0; i < 64; ++i) {
    for (float x : {nan, inf, -inf, -nan, 1.f}) v.push_back(x);
  }
  const Dims dims = {1, 16, 4, 5};
  const Tensor x = Tensor::from_vector<float>(dims, v);
  for (const QuantCase& k : quant_cases()) {
    const std::string what = std::string("non-finite ") + dtype_name(k.t) + " zp " + std::to_string(k.zp);
    expect_exact(quantize_model(k, 0.5f, dims), {{"x", x}}, what);
  }
}

// Float ops the cpu provider computes exactly (Relu, MaxPool) in its own layout, then quantize,
// an int8 conv in oneDNN's layout, and dequantize that layout.
TEST(CpuInt8Quantize, QuantizeConvDequantizePipeline) {
  std::mt19937 rng(302);
  for (const QuantCase& k : quant_cases()) {
    if (!k.zp_given) continue;
    QuantModelBuilder b;
    b.input("x", DType::kFloat32, kActivation);
    b.node("Relu", {"x"}, {"r"});
    auto* pool = b.node("MaxPool", {"r"}, {"p"});
    set_ints(pool, "kernel_shape", {2, 2});
    set_ints(pool, "strides", {1, 1});
    b.scale("s", 0.0625f).zero("z", k.t, k.zp);
    b.node("QuantizeLinear", {"p", "s", "z"}, {"q"});
    const QParams y = add_qconv(b, rng, "c", "q", "cq", k.t, {16, 24, 3, 1, 1, 1, {1, 1, 1, 1}}, {0.0625f, k.zp},
                                k.zp + 1, Regime::kTies);
    b.scale("ys", y.scale).zero("yz", k.t, y.zp);
    b.node("DequantizeLinear", {"cq", "ys", "yz"}, {"y"});
    b.output("y");
    const std::string what = std::string("pipeline ") + dtype_name(k.t) + " zp " + std::to_string(k.zp);
    Tensor x = quantize_input(rng, 0.0625f, kActivation);
    for (ActivationLayout layout : {ActivationLayout::kAuto, ActivationLayout::kBlocked16}) {
      CpuRun run = expect_exact(b.bytes(), {{"x", x}}, what + " " + activation_layout_name(layout), int8_cpu_options(layout));
      expect_cpu_ran(run, "QLinearConv", false, what);
      expect_cpu_ran(run, "DequantizeLinear", true, what);
    }
  }
}

// DequantizeLinear reading a conv's output in its blocked or channels-last layout, with channel
// counts that are and are not a multiple of the block.
TEST(CpuInt8Quantize, DequantizeAfterConvInEveryLayout) {
  std::mt19937 rng(303);
  for (DType t : {DType::kUint8, DType::kInt8}) {
    for (int64_t m : {24, 32}) {
      QuantModelBuilder b;
      b.input("x", t, kActivation);
      const int y_zp = t == DType::kUint8 ? 9 : -7;
      const QParams y = add_qconv(b, rng, "c", "x", "q", t, {16, m, 3, 1, 1, 1, {1, 1, 1, 1}}, {0.03f, 0}, y_zp,
                                  Regime::kRandom);
      b.scale("ys", y.scale).zero("yz", t, y.zp);
      b.node("DequantizeLinear", {"q", "ys", "yz"}, {"y"});
      b.output("y");
      const Tensor x = random_q(rng, t, kActivation);
      for (ActivationLayout layout : {ActivationLayout::kAuto, ActivationLayout::kBlocked16, ActivationLayout::kMeasure}) {
        const std::string what = std::string("dequantize after conv ") + dtype_name(t) + " m " + std::to_string(m) + " " +
                                 activation_layout_name(layout);
        CpuRun run = expect_exact(b.bytes(), {{"x", x}}, what, int8_cpu_options(layout));
        expect_cpu_ran(run, "DequantizeLinear", true, what);
      }
    }
  }
}

// ---- com.microsoft.QLinearAdd ---------------------------------------------------------------------

// Scales of A, B and C: powers of two with ratios 1/2 and 1/4 (ties), or log-uniform.
std::array<QParams, 3> add_params(std::mt19937& rng, DType t, Regime r, QParams a) {
  const int lo = t == DType::kUint8 ? 0 : -128;
  auto zp = [&] { return lo + static_cast<int>(rng() % 256); };
  QParams bq{r == Regime::kTies ? a.scale * 0.5f : log_uniform(rng, 1e-3f, 1.f), zp()};
  QParams cq{r == Regime::kTies ? a.scale * 2.f : log_uniform(rng, 1e-3f, 1.f), zp()};
  return {a, bq, cq};
}

void add_qadd(QuantModelBuilder& b, const std::string& p, const std::string& a, const std::string& bn,
              const std::string& c, DType t, const std::array<QParams, 3>& q, const std::string& op = "QLinearAdd") {
  b.scale(p + "_as", q[0].scale).zero(p + "_az", t, q[0].zp);
  b.scale(p + "_bs", q[1].scale).zero(p + "_bz", t, q[1].zp);
  b.scale(p + "_cs", q[2].scale).zero(p + "_cz", t, q[2].zp);
  b.node(op, {a, p + "_as", p + "_az", bn, p + "_bs", p + "_bz", p + "_cs", p + "_cz"}, {c}, kMs);
}

// A = a 1x1 conv of the input x (oneDNN's layout); returns A's parameters.
QParams conv_a(QuantModelBuilder& b, std::mt19937& rng, DType t, Regime r, const std::string& a = "A") {
  b.input("x", t, kActivation);
  const float scale = r == Regime::kTies ? 0.0625f : log_uniform(rng, 1e-3f, 1.f);
  return add_qconv(b, rng, a + "_conv", "x", a, t, {16, 16, 1}, {scale, 0}, t == DType::kUint8 ? 100 : 5, r);
}

struct AddCase {
  DType t;
  Regime r;
  std::string name() const { return std::string(dtype_name(t)) + " " + regime_name(r); }
};

std::vector<AddCase> add_cases() {
  return {{DType::kUint8, Regime::kTies}, {DType::kUint8, Regime::kRandom}, {DType::kInt8, Regime::kTies},
          {DType::kInt8, Regime::kRandom}};
}

TEST(CpuInt8Add, SameShapeBothComputed) {
  std::mt19937 rng(401);
  for (const AddCase& k : add_cases()) {
    QuantModelBuilder b;
    const QParams a = conv_a(b, rng, k.t, k.r);
    auto q = add_params(rng, k.t, k.r, a);
    q[1] = add_qconv(b, rng, "B_conv", "x", "B", k.t, {16, 16, 3, 1, 1, 1, {1, 1, 1, 1}}, {0.0625f, 0}, q[1].zp, k.r);
    add_qadd(b, "add", "A", "B", "C", k.t, q);
    b.output("C");
    const Tensor x = random_q(rng, k.t, kActivation);
    for (ActivationLayout layout : {ActivationLayout::kAuto, ActivationLayout::kBlocked16}) {
      const std::string what = "same shape, computed " + k.name() + " " + activation_layout_name(layout);
      CpuRun run = expect_exact(b.bytes(), {{"x", x}}, what, int8_cpu_options(layout));
      expect_cpu_ran(run, "com.microsoft.QLinearAdd", true, what);
    }
    // Both operands graph inputs (plain layout), the other tail lengths of the vector loop.
    for (const Dims& dims : {kActivation, Dims{3, 5, 7}, Dims{1, 9}}) {
      QuantModelBuilder g;
      g.input("a", k.t, dims).input("b", k.t, dims);
      add_qadd(g, "add", "a", "b", "c", k.t, add_params(rng, k.t, k.r, {0.0625f, 17}));
      g.output("c");
      const std::string what = "same shape, inputs " + dims_to_string(dims) + " " + k.name();
      CpuRun run = expect_exact(g.bytes(), {{"a", random_q(rng, k.t, dims)}, {"b", random_q(rng, k.t, dims)}}, what);
      expect_cpu_ran(run, "com.microsoft.QLinearAdd", true, what);
    }
  }
}

// B constant (or computed) over A's trailing dims: [W], [H, W], [1, W]; and [N] over a matmul's rows.
TEST(CpuInt8Add, TrailingSpanB) {
  std::mt19937 rng(402);
  for (const AddCase& k : add_cases()) {
    for (const Dims& bd : {Dims{20}, Dims{20, 20}, Dims{1, 20}, Dims{16, 20, 20}}) {
      QuantModelBuilder b;
      const QParams a = conv_a(b, rng, k.t, k.r);
      b.constant("B", random_q(rng, k.t, bd));
      add_qadd(b, "add", "A", "B", "C", k.t, add_params(rng, k.t, k.r, a));
      b.output("C");
      const std::string what = "constant B " + dims_to_string(bd) + " " + k.name();
      CpuRun run = expect_exact(b.bytes(), {{"x", random_q(rng, k.t, kActivation)}}, what);
      expect_cpu_ran(run, "com.microsoft.QLinearAdd", true, what);
    }
    {  // computed B [W]: a graph input
      QuantModelBuilder b;
      const QParams a = conv_a(b, rng, k.t, k.r);
      b.input("B", k.t, {20});
      add_qadd(b, "add", "A", "B", "C", k.t, add_params(rng, k.t, k.r, a));
      b.output("C");
      const std::string what = "input B [20] " + k.name();
      CpuRun run = expect_exact(b.bytes(), {{"x", random_q(rng, k.t, kActivation)}, {"B", random_q(rng, k.t, {20})}}, what);
      expect_cpu_ran(run, "com.microsoft.QLinearAdd", true, what);
    }
    {  // A = QLinearMatMul [2, 30, 40], B constant [40]
      QuantModelBuilder b;
      b.input("m", k.t, {2, 30, 48});
      b.scale("ms", 0.05f).zero("mz", k.t, 0).constant("w", random_q(rng, DType::kInt8, {48, 40}));
      b.scale("ws", 0.001f).zero("wz", DType::kInt8, 0).scale("ys", 0.5f).zero("yz", k.t, 1);
      b.node("QLinearMatMul", {"m", "ms", "mz", "w", "ws", "wz", "ys", "yz"}, {"A"});
      b.constant("B", random_q(rng, k.t, {40}));
      add_qadd(b, "add", "A", "B", "C", k.t, add_params(rng, k.t, k.r, {0.5f, 1}));
      b.output("C");
      const std::string what = "matmul A, constant B [40] " + k.name();
      CpuRun run = expect_exact(b.bytes(), {{"m", random_q(rng, k.t, {2, 30, 48})}}, what);
      expect_cpu_ran(run, "com.microsoft.QLinearAdd", true, what);
    }
  }
}

TEST(CpuInt8Add, ScalarConstantB) {
  std::mt19937 rng(403);
  for (const AddCase& k : add_cases()) {
    for (const Dims& bd : {Dims{}, Dims{1}, Dims{1, 1, 1, 1}}) {
      for (int trial = 0; trial < 4; ++trial) {
        QuantModelBuilder b;
        const QParams a = conv_a(b, rng, k.t, k.r);
        b.constant("B", random_q(rng, k.t, bd));
        add_qadd(b, "add", "A", "B", "C", k.t, add_params(rng, k.t, k.r, a));
        b.output("C");
        const std::string what = "scalar B " + dims_to_string(bd) + " " + k.name() + " trial " + std::to_string(trial);
        CpuRun run = expect_exact(b.bytes(), {{"x", random_q(rng, k.t, kActivation)}}, what);
        expect_cpu_ran(run, "com.microsoft.QLinearAdd", true, what);
      }
    }
  }
}

// Constant B that broadcasts inside A ([1, C, 1, 1] per channel, [C, 1, 1], [1, 1, H, 1],
// [N, 1, 1, 1]): the cpu provider expands it to A's shape at compile time.
TEST(CpuInt8Add, ExpandedConstantB) {
  std::mt19937 rng(404);
  for (const AddCase& k : add_cases()) {
    for (const Dims& bd : {Dims{1, 16, 1, 1}, Dims{16, 1, 1}, Dims{1, 1, 20, 1}, Dims{2, 1, 1, 1}}) {
      QuantModelBuilder b;
      const QParams a = conv_a(b, rng, k.t, k.r);
      b.constant("B", random_q(rng, k.t, bd));
      add_qadd(b, "add", "A", "B", "C", k.t, add_params(rng, k.t, k.r, a));
      b.output("C");
      const std::string what = "expanded B " + dims_to_string(bd) + " " + k.name();
      CpuRun run = expect_exact(b.bytes(), {{"x", random_q(rng, k.t, kActivation)}}, what);
      expect_cpu_ran(run, "com.microsoft.QLinearAdd", true, what);
    }
  }
}

// In place over A when nothing reads A later; A kept when a later node, or the caller, reads it;
// a graph input A is never overwritten.
TEST(CpuInt8Add, InPlaceOnlyWhenANotReadLater) {
  std::mt19937 rng(405);
  for (const AddCase& k : add_cases()) {
    for (int variant = 0; variant < 3; ++variant) {
      QuantModelBuilder b;
      const QParams a = conv_a(b, rng, k.t, k.r);
      b.constant("B", random_q(rng, k.t, {1}));
      const auto q1 = add_params(rng, k.t, k.r, a);
      add_qadd(b, "add1", "A", "B", "C", k.t, q1);
      std::string what = "in place " + k.name();
      if (variant == 0) {
        b.output("C");
      } else if (variant == 1) {  // a conv reads A after the add; the two results are added
        const QParams d = add_qconv(b, rng, "late", "A", "D", k.t, {16, 16, 3, 1, 1, 1, {1, 1, 1, 1}}, a, 0, k.r);
        add_qadd(b, "add2", "D", "C", "E", k.t, {d, q1[2], add_params(rng, k.t, k.r, d)[2]});
        b.output("E");
        what += ", A read later";
      } else {
        b.output("C").output("A");
        what += ", A an output";
      }
      CpuRun run = expect_exact(b.bytes(), {{"x", random_q(rng, k.t, kActivation)}}, what);
      expect_cpu_ran(run, "com.microsoft.QLinearAdd", true, what);
    }
    QuantModelBuilder g;
    g.input("a", k.t, kActivation);
    g.constant("B", random_q(rng, k.t, {20}));
    add_qadd(g, "add", "a", "B", "c", k.t, add_params(rng, k.t, k.r, {0.0625f, 3}));
    g.output("c");
    const Tensor input = random_q(rng, k.t, kActivation);
    const Tensor copy = Tensor::from_vector<uint8_t>({input.num_elements()}, std::vector<uint8_t>(
        static_cast<const uint8_t*>(input.raw_data()), static_cast<const uint8_t*>(input.raw_data()) + input.num_elements()));
    expect_exact(g.bytes(), {{"a", input}}, "graph input A " + k.name());
    EXPECT_EQ(std::memcmp(input.raw_data(), copy.raw_data(), static_cast<size_t>(input.num_elements())), 0)
        << "the caller's A was overwritten, " << k.name();
  }
}

// Parameter sets found by search (one (a, b) pair each) where the two orders of ONNX Runtime's
// fused chain give different bytes: fma(a, ratio_a, fma(b, ratio_b, fixed)) (B the broadcast
// operand, or both full size) and fma(b, ratio_b, fma(a, ratio_a, fixed)) (A the single value),
// and where rounding fixed + b * ratio_b unfused differs from both. Noted after each set: the
// result of the first order / of the other one. They pin down which formula each path uses.
struct AddSet {
  float a_scale;
  int a_zp;
  float b_scale;
  int b_zp;
  float c_scale;
  int c_zp;
  int a, b;  // the pair that tells the two apart
};

// B broadcast along A's innermost dim: fused B-first / B added unfused.
const std::vector<AddSet> kScalarBSetsU8 = {
    {0x1.38bf5cp-6f, 86, 0x1.82d5b6p-1f, 141, 0x1.97f708p-6f, 233, 178, 138},  // 212 / 213
    {0x1.5edb02p-6f, 57, 0x1.9cfa8cp-3f, 240, 0x1.6eae14p-1f, 252, 101, 230},  // 251 / 250
    {0x1.764b8cp-1f, 184, 0x1.e4ab9ep-3f, 88, 0x1.5d6cap-7f, 208, 146, 200},   // 89 / 88
    {0x1.014aacp-3f, 182, 0x1.485eaap-4f, 76, 0x1.6c7216p-1f, 12, 208, 164}};  // 27 / 26
const std::vector<AddSet> kScalarBSetsS8 = {
    {0x1.7ae0d2p-4f, 119, 0x1.8ae49ap-2f, 17, 0x1.a39916p-4f, 22, -122, 42},    // -102 / -101
    {0x1.2564f8p-4f, -94, 0x1.a94192p-2f, -68, 0x1.3218p-4f, 9, 64, -102},      // -28 / -29
    {0x1.0ef1a8p-5f, 107, 0x1.1f7c1cp-3f, -65, 0x1.e698e6p-5f, 111, -73, -63},  // 15 / 16
    {0x1.5aa9ap-5f, -20, 0x1.aeb6cep-1f, -82, 0x1.8d3bap-7f, 59, -120, -78}};   // -12 / -13
// A the single value (A and B of one element; ONNX Runtime passes A as the broadcast operand):
// A-first (the reference, engine/ops/qlinear_math.h) / B-first.
const std::vector<AddSet> kScalarASetsU8 = {
    {0x1.9705aep-3f, 218, 0x1.ba2784p-6f, 150, 0x1.275e66p-5f, 66, 210, 251},  // 97 / 98
    {0x1.f7454cp-2f, 165, 0x1.013df4p-4f, 184, 0x1.d310d6p-5f, 184, 156, 106},  // 21 / 20
    {0x1.0d5ce8p-1f, 242, 0x1.b136c8p-3f, 18, 0x1.30ac9ep-3f, 75, 199, 190},   // 168 / 167
    {0x1.1e5d0cp-3f, 160, 0x1.cbc94cp-2f, 176, 0x1.6f493p-5f, 9, 102, 202}};   // 88 / 89
const std::vector<AddSet> kScalarASetsS8 = {
    {0x1.0da766p-6f, 59, 0x1.82564p-7f, 48, 0x1.538566p-6f, 76, -35, -15},     // -35 / -34
    {0x1.984362p-3f, -72, 0x1.cd73c8p-5f, -14, 0x1.fd8dcp-5f, 70, -84, 50},    // 90 / 89
    {0x1.5ed732p-2f, 71, 0x1.366684p-6f, 73, 0x1.7590fep-6f, 82, 68, 40},      // 9 / 10
    {0x1.1cd902p-3f, 46, 0x1.28ae7ap-6f, 42, 0x1.f28e4ep-2f, -8, 76, 67}};     // 2 / 1

// The known sets and `extra` random ones.
std::vector<AddSet> add_sets(std::mt19937& rng, const std::vector<AddSet>& known, DType t, int extra) {
  std::vector<AddSet> sets = known;
  const int lo = t == DType::kUint8 ? 0 : -128;
  for (int i = 0; i < extra; ++i) {
    sets.push_back({log_uniform(rng, 1e-2f, 1.f), lo + static_cast<int>(rng() % 256), log_uniform(rng, 1e-2f, 1.f),
                    lo + static_cast<int>(rng() % 256), log_uniform(rng, 1e-2f, 1.f), lo + static_cast<int>(rng() % 256),
                    0, lo + static_cast<int>(rng() % 256)});
  }
  return sets;
}

std::array<QParams, 3> add_params_of(const AddSet& s) {
  return {QParams{s.a_scale, s.a_zp}, QParams{s.b_scale, s.b_zp}, QParams{s.c_scale, s.c_zp}};
}

// Every (a, b) pair: A [1, 256, 1, 256] holds every value along W, B [1, 256, 1, 1] every value
// along C; one QLinearAdd per parameter set.
TEST(CpuInt8Add, ExpandedConstantBEveryPair) {
  std::mt19937 rng(407);
  for (DType t : {DType::kUint8, DType::kInt8}) {
    const int lo = t == DType::kUint8 ? 0 : -128;
    const Dims a_dims = {1, 256, 1, 256};
    Tensor a = zeros(t, a_dims), bc = zeros(t, {1, 256, 1, 1});
    for (int c = 0; c < 256; ++c) {
      static_cast<uint8_t*>(bc.mutable_raw_data())[c] = static_cast<uint8_t>(lo + c);
      for (int j = 0; j < 256; ++j) static_cast<uint8_t*>(a.mutable_raw_data())[c * 256 + j] = static_cast<uint8_t>(lo + j);
    }
    QuantModelBuilder b;
    b.input("a", t, a_dims);
    b.constant("B", bc);
    const auto sets = add_sets(rng, t == DType::kUint8 ? kScalarBSetsU8 : kScalarBSetsS8, t, 4);
    for (size_t i = 0; i < sets.size(); ++i) {
      const std::string id = std::to_string(i);
      add_qadd(b, "add" + id, "a", "B", "c" + id, t, add_params_of(sets[i]));
      b.output("c" + id);
    }
    std::string what = "every pair, B [1, 256, 1, 1] ";
    what += dtype_name(t);
    what += " (outputs 0-3: known sets; index [0, b - lowest, 0, a - lowest])";
    CpuRun run = expect_exact(b.bytes(), {{"a", a}}, what);
    expect_cpu_ran(run, "com.microsoft.QLinearAdd", true, what);
  }
}

// A constant B with more elements than A ([2, 16, 1, 1] + [1, 16, 4, 4] -> [2, 16, 4, 4]): the
// provider claims every constant B, so it must run it (or leave it to the reference), not fail.
TEST(CpuInt8Add, ConstantBLargerThanA) {
  std::mt19937 rng(408);
  for (DType t : {DType::kUint8, DType::kInt8}) {
    for (const auto& [a_dims, b_dims] : std::vector<std::pair<Dims, Dims>>{{{2, 16, 1, 1}, {1, 16, 4, 4}},
                                                                         {{1, 8}, {3, 8}}, {{1}, {5}}}) {
      QuantModelBuilder b;
      b.input("a", t, a_dims);
      b.constant("B", random_q(rng, t, b_dims));
      add_qadd(b, "add", "a", "B", "c", t, add_params(rng, t, Regime::kRandom, {0.05f, 3}));
      b.output("c");
      const std::string what = std::string("A ") + dims_to_string(a_dims) + " + constant B " + dims_to_string(b_dims) +
                               " " + dtype_name(t);
      expect_exact(b.bytes(), {{"a", random_q(rng, t, a_dims)}}, what);
    }
  }
}

// A and B of one element each: every A value, under known and random parameter sets.
TEST(CpuInt8Add, SingleElementOperands) {
  std::mt19937 rng(406);
  for (DType t : {DType::kUint8, DType::kInt8}) {
    for (const AddSet& set : add_sets(rng, t == DType::kUint8 ? kScalarASetsU8 : kScalarASetsS8, t, 4)) {
      QuantModelBuilder b;
      b.input("a", t, {1});
      b.constant("B", t == DType::kUint8 ? Tensor::from_vector<uint8_t>({1}, {static_cast<uint8_t>(set.b)})
                                         : Tensor::from_vector<int8_t>({1}, {static_cast<int8_t>(set.b)}));
      add_qadd(b, "add", "a", "B", "c", t, add_params_of(set));
      b.output("c");
      SessionOptions ref_opts;
      ref_opts.provider = Provider::kReference;
      ref_opts.optimization_level = 0;
      auto ref = Session::load_from_bytes(b.bytes(), ref_opts);
      auto cpu = Session::load_from_bytes(b.bytes(), int8_cpu_options());
      ASSERT_TRUE(ref.is_ok() && cpu.is_ok());
      int differing = 0;
      std::string first;
      for (int v = 0; v < 256; ++v) {
        const Tensor a = t == DType::kUint8 ? Tensor::from_vector<uint8_t>({1}, {static_cast<uint8_t>(v)})
                                            : Tensor::from_vector<int8_t>({1}, {static_cast<int8_t>(v - 128)});
        auto want = (*ref)->run({{"a", a}});
        RunProfile profile;
        auto got = (*cpu)->run({{"a", a}}, &profile);
        ASSERT_TRUE(want.is_ok() && got.is_ok());
        if (v == 0) {
          EXPECT_TRUE(ran_on_cpu(profile, "com.microsoft.QLinearAdd", true)) << profile_text(profile);
        }
        const std::string diff = exact_difference((*want)[0], (*got)[0]);
        if (!diff.empty() && differing++ == 0) first = "a = " + element_text(a, 0) + ": " + diff;
      }
      EXPECT_EQ(differing, 0) << "single element " << dtype_name(t) << " b = " << set.b << ", scales " << set.a_scale
                              << " " << set.b_scale << " " << set.c_scale << ", zero points " << set.a_zp << " "
                              << set.b_zp << " " << set.c_zp << ": " << differing << " of 256 A values differ; first "
                              << first;
    }
  }
}

// com.microsoft.QLinearMul shares QLinearAdd's host step: same shape, trailing span, scalar and
// expanded constant B.
TEST(CpuInt8Mul, MatchesReferenceForEachBroadcast) {
  std::mt19937 rng(409);
  for (const AddCase& k : add_cases()) {
    for (const Dims& bd : {kActivation, Dims{20}, Dims{1}, Dims{1, 16, 1, 1}}) {
      QuantModelBuilder b;
      const QParams a = conv_a(b, rng, k.t, k.r);
      auto q = add_params(rng, k.t, k.r, a);
      q[2].scale = k.r == Regime::kTies ? a.scale * q[1].scale * 64.f : q[2].scale;  // products of ~64 steps
      if (bd == kActivation) {
        q[1] = add_qconv(b, rng, "B_conv", "x", "B", k.t, {16, 16, 3, 1, 1, 1, {1, 1, 1, 1}}, {0.0625f, 0}, q[1].zp, k.r);
      } else {
        b.constant("B", random_q(rng, k.t, bd));
      }
      add_qadd(b, "mul", "A", "B", "C", k.t, q, "QLinearMul");
      b.output("C");
      const std::string what = "QLinearMul B " + dims_to_string(bd) + " " + k.name();
      CpuRun run = expect_exact(b.bytes(), {{"x", random_q(rng, k.t, kActivation)}}, what);
      expect_cpu_ran(run, "com.microsoft.QLinearMul", true, what);
    }
  }
}

// ---- com.microsoft.QLinearGlobalAveragePool, MaxPool, views ---------------------------------------

TEST(CpuInt8Pool, GlobalAveragePoolAfterConvAndOnInput) {
  std::mt19937 rng(501);
  for (DType t : {DType::kUint8, DType::kInt8}) {
    for (Regime r : {Regime::kTies, Regime::kRandom}) {
      const int y_zp = t == DType::kUint8 ? 3 : -2;
      for (int64_t m : {16, 24}) {  // after a conv: channels-last (auto) or blocked input
        QuantModelBuilder b;
        b.input("x", t, {2, 16, 8, 8});
        const QParams q = add_qconv(b, rng, "c", "x", "a", t, {16, m, 3, 1, 1, 1, {1, 1, 1, 1}}, {0.0625f, 0}, 5, r);
        b.scale("ys", r == Regime::kTies ? 0.25f : log_uniform(rng, 1e-3f, 1.f)).zero("yz", t, y_zp);
        b.scale("xs", q.scale).zero("xz", t, q.zp);
        b.node("QLinearGlobalAveragePool", {"a", "xs", "xz", "ys", "yz"}, {"y"}, kMs);
        b.output("y");
        const Tensor x = random_q(rng, t, {2, 16, 8, 8});
        for (ActivationLayout layout : {ActivationLayout::kAuto, ActivationLayout::kBlocked16, ActivationLayout::kMeasure}) {
          const std::string what = what_of("pool after conv m " + std::to_string(m) + " " + activation_layout_name(layout), r, t);
          CpuRun run = expect_exact(b.bytes(), {{"x", x}}, what, int8_cpu_options(layout));
          expect_cpu_ran(run, "com.microsoft.QLinearGlobalAveragePool", true, what);
        }
      }
      for (const Dims& dims : {kActivation, Dims{1, 24, 7, 7}, Dims{2, 8, 16}, Dims{1, 3, 4, 4, 4}}) {
        QuantModelBuilder b;
        b.input("x", t, dims);
        b.scale("xs", 0.125f).zero("xz", t, t == DType::kUint8 ? 131 : 0);
        b.scale("ys", r == Regime::kTies ? 0.0625f : log_uniform(rng, 1e-3f, 1.f)).zero("yz", t, y_zp);
        b.node("QLinearGlobalAveragePool", {"x", "xs", "xz", "ys", "yz"}, {"y"}, kMs);
        b.output("y");
        const std::string what = what_of("pool on input " + dims_to_string(dims), r, t);
        CpuRun run = expect_exact(b.bytes(), {{"x", random_q(rng, t, dims)}}, what);
        expect_cpu_ran(run, "com.microsoft.QLinearGlobalAveragePool", true, what);
      }
    }
  }
}

TEST(CpuInt8Pool, MaxPoolAfterConv) {
  std::mt19937 rng(502);
  struct PoolCase { int64_t k, stride, pad, ceil; };
  for (DType t : {DType::kUint8, DType::kInt8}) {
    for (const PoolCase& p : {PoolCase{3, 2, 1, 0}, PoolCase{2, 2, 0, 0}, PoolCase{3, 2, 0, 1}, PoolCase{3, 1, 1, 0}}) {
      QuantModelBuilder b;
      b.input("x", t, kActivation);
      const QParams q = add_qconv(b, rng, "c", "x", "a", t, {16, 24, 3, 1, 1, 1, {1, 1, 1, 1}}, {0.0625f, 0},
                                  t == DType::kUint8 ? 128 : 0, Regime::kRandom);
      auto* pool = b.node("MaxPool", {"a"}, {"y"});
      set_ints(pool, "kernel_shape", {p.k, p.k});
      set_ints(pool, "strides", {p.stride, p.stride});
      set_ints(pool, "pads", {p.pad, p.pad, p.pad, p.pad});
      set_int(pool, "ceil_mode", p.ceil);
      b.scale("ys", q.scale).zero("yz", t, q.zp);
      b.node("DequantizeLinear", {"y", "ys", "yz"}, {"d"});
      b.output("y").output("d");
      const Tensor x = random_q(rng, t, kActivation);
      for (ActivationLayout layout : {ActivationLayout::kAuto, ActivationLayout::kBlocked16}) {
        const std::string what = std::string("maxpool ") + dtype_name(t) + " k " + std::to_string(p.k) + " stride " +
                                 std::to_string(p.stride) + " pad " + std::to_string(p.pad) + " ceil " +
                                 std::to_string(p.ceil) + " " + activation_layout_name(layout);
        CpuRun run = expect_exact(b.bytes(), {{"x", x}}, what, int8_cpu_options(layout));
        expect_cpu_ran(run, "MaxPool", false, what);
      }
    }
  }
}

// Reshape and Flatten of a conv's int8 output (reordered to plain, then viewed), and the classifier
// head: conv -> QLinearGlobalAveragePool -> Flatten -> QLinearMatMul.
TEST(CpuInt8View, ReshapeFlattenAndClassifierHead) {
  std::mt19937 rng(601);
  for (DType t : {DType::kInt8, DType::kUint8}) {
    QuantModelBuilder b;
    b.input("x", t, kActivation);
    const QParams q = add_qconv(b, rng, "c", "x", "a", t, {16, 24, 3, 2, 1, 1, {1, 1, 1, 1}}, {0.0625f, 0}, 1,
                                Regime::kRandom);
    b.int64s("shape", {2, -1, 10});
    b.node("Reshape", {"a", "shape"}, {"r"});
    set_int(b.node("Flatten", {"a"}, {"f"}), "axis", 2);
    b.scale("ps", q.scale * 0.5f).zero("pz", t, 0).scale("as", q.scale).zero("az", t, q.zp);
    b.node("QLinearGlobalAveragePool", {"a", "as", "az", "ps", "pz"}, {"p"}, kMs);
    b.node("Flatten", {"p"}, {"pf"});
    b.constant("w", random_q(rng, DType::kInt8, {24, 10})).scale("ws", 0.002f).zero("wz", DType::kInt8, 0);
    b.scale("ys", 0.3f).zero("yz", t, 2);
    b.node("QLinearMatMul", {"pf", "ps", "pz", "w", "ws", "wz", "ys", "yz"}, {"y"});
    b.output("r").output("f").output("y");
    const Tensor x = random_q(rng, t, kActivation);
    for (ActivationLayout layout : {ActivationLayout::kAuto, ActivationLayout::kBlocked16}) {
      const std::string what = std::string("views ") + dtype_name(t) + " " + activation_layout_name(layout);
      CpuRun run = expect_exact(b.bytes(), {{"x", x}}, what, int8_cpu_options(layout));
      expect_cpu_ran(run, "QLinearMatMul", false, what);
    }
  }
}

// ---- MobileNetV2-int8 end to end ------------------------------------------------------------------

std::filesystem::path shared_models() {
  if (const char* env = std::getenv("EDGE_SHARED_MODELS")) return env;
  // tests/unit/test_cpu_int8.cc -> <repo>/../shared/models
  return std::filesystem::path(__FILE__).parent_path() / ".." / ".." / ".." / "shared" / "models";
}

TEST(CpuInt8MobileNet, CpuProviderMatchesOrtBitForBit) {
  const std::filesystem::path dir = shared_models() / "mobilenetv2-12-int8";
  if (!std::filesystem::exists(dir / "mobilenetv2-12-int8.onnx")) GTEST_SKIP() << "no " << dir;
  auto input = read_tensor_file((dir / "test_data_set_0" / "input_0.pb").string());
  auto want = read_tensor_file((dir / "test_data_set_0" / "output_0.pb").string());
  ASSERT_TRUE(input.is_ok() && want.is_ok());
  for (ActivationLayout layout : {ActivationLayout::kMeasure, ActivationLayout::kAuto, ActivationLayout::kBlocked16}) {
    auto session = Session::load((dir / "mobilenetv2-12-int8.onnx").string(), int8_cpu_options(layout));
    ASSERT_TRUE(session.is_ok()) << session.status().to_string();
    RunProfile profile;
    auto out = (*session)->run({{(*session)->inputs()[0].name, input->tensor}}, &profile);
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    std::string steps;
    for (const auto& s : (*session)->step_providers()) steps += s + " ";
    EXPECT_EQ(exact_difference(want->tensor, (*out)[0]), "") << activation_layout_name(layout) << "; steps " << steps;
    EXPECT_TRUE(ran_on_cpu(profile, "QLinearConv", false)) << steps;
    EXPECT_TRUE(ran_on_cpu(profile, "com.microsoft.QLinearAdd", true)) << steps;
  }
}

}  // namespace
}  // namespace edgeserve::testing
