// com.microsoft.QGemm: the reference kernel on hand-computed cases (rounding ties, saturation,
// transA/transB, per-column scales, bias broadcast, float output, errors), and the cpu provider's
// int8 matmul against it bit for bit on seeded random data (tolerance: none — both reproduce
// ONNX Runtime's integer arithmetic).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "cpu_int8_test_util.h"
#include "onnx_model_builder.h"

namespace edgeserve::testing {
namespace {

constexpr const char* kMs = "com.microsoft";
const DType kU8 = DType::kUint8;
const DType kS8 = DType::kInt8;

// Hand-computed: A = [1, -1] after its zero point (1x2), B (2x4) below, C = [0, 0, 2000, 0]:
//   acc = [3 - 1, 7 - 1, 100 + 100 + 2000, -100 - 100] = [2, 6, 2200, -200].
const std::vector<int8_t> kB = {3, 7, 100, -100, 1, 1, -100, 100};    // [K=2, N=4]
const std::vector<int8_t> kBt = {3, 1, 7, 1, 100, -100, -100, 100};  // the same, [N=4, K=2]

struct RefCase {
  bool trans_a = false, trans_b = false;
  std::vector<float> b_scale = {0.5f};
  bool quantized = true;
  DType y_type = kU8;
  int y_zp = 1;
  bool bias = true;
};

std::string ref_model(const RefCase& c) {
  QuantModelBuilder b;
  b.input("a", kU8, c.trans_a ? Dims{2, 1} : Dims{1, 2});
  b.scale("as", 0.5f).zero("az", kU8, 128);
  b.constant("b", Tensor::from_vector<int8_t>(c.trans_b ? Dims{4, 2} : Dims{2, 4}, c.trans_b ? kBt : kB));
  const int64_t nb = static_cast<int64_t>(c.b_scale.size());
  b.constant("bs", nb == 1 ? Tensor::scalar<float>(c.b_scale[0]) : Tensor::from_vector<float>({nb}, c.b_scale));
  b.constant("bz", Tensor::allocate(kS8, nb == 1 ? Dims{} : Dims{nb}).value());
  b.constant("c", Tensor::from_vector<int32_t>({4}, {0, 0, 2000, 0}));
  std::vector<std::string> inputs = {"a", "as", "az", "b", "bs", "bz", c.bias ? "c" : ""};
  if (c.quantized) {
    b.scale("ys", 1.f).zero("yz", c.y_type, c.y_zp);
    inputs.insert(inputs.end(), {"ys", "yz"});
  }
  auto* n = b.node("QGemm", inputs, {"y"}, kMs);
  set_int(n, "transA", c.trans_a ? 1 : 0);
  set_int(n, "transB", c.trans_b ? 1 : 0);
  b.output("y");
  return b.bytes();
}

Result<Tensor> run_reference(const std::string& model, const std::vector<NamedTensor>& inputs) {
  SessionOptions opts;
  opts.provider = Provider::kReference;
  EDGE_ASSIGN_OR_RETURN(auto session, Session::load_from_bytes(model, opts));
  EDGE_ASSIGN_OR_RETURN(std::vector<Tensor> out, session->run(inputs));
  return out[0];
}

Tensor ref_a(bool trans_a) { return Tensor::from_vector<uint8_t>(trans_a ? Dims{2, 1} : Dims{1, 2}, {129, 127}); }

template <typename T>
std::vector<T> values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.num_elements());
}

TEST(QGemmReference, TiesRoundToEvenBeforeTheZeroPointAndSaturate) {
  // scale 0.5 * 0.5 / 1 = 0.25: [0.5, 1.5, 550, -50] -> round [0, 2, -, -] + 1, clamped to [0, 255].
  for (bool trans_a : {false, true}) {
    for (bool trans_b : {false, true}) {
      RefCase c;
      c.trans_a = trans_a;
      c.trans_b = trans_b;
      auto y = run_reference(ref_model(c), {{"a", ref_a(trans_a)}});
      ASSERT_TRUE(y.is_ok()) << y.status().to_string();
      EXPECT_EQ(y->dims(), (Dims{1, 4}));
      EXPECT_EQ(values<uint8_t>(*y), (std::vector<uint8_t>{1, 3, 255, 0})) << trans_a << trans_b;
    }
  }
}

TEST(QGemmReference, PerColumnScalesAndInt8Output) {
  // scales 0.5 * [0.5, 0.25, 1, 2] = [0.25, 0.125, 0.5, 1]: [0.5, 0.75, 1100, -200]
  // -> round [0, 1, sat, sat] - 1 within [-128, 127].
  RefCase c;
  c.b_scale = {0.5f, 0.25f, 1.f, 2.f};
  c.y_type = kS8;
  c.y_zp = -1;
  auto y = run_reference(ref_model(c), {{"a", ref_a(false)}});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ(values<int8_t>(*y), (std::vector<int8_t>{-1, 0, 127, -128}));
  c.bias = false;  // acc [2, 6, 200, -200] -> [0.5, 0.75, 100, -200] -> [0, 1, 100, -128] - 1
  y = run_reference(ref_model(c), {{"a", ref_a(false)}});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ(values<int8_t>(*y), (std::vector<int8_t>{-1, 0, 99, -128}));
}

TEST(QGemmReference, FloatOutputIsAccTimesTheScales) {
  RefCase c;
  c.quantized = false;
  c.b_scale = {0.5f, 0.25f, 1.f, 2.f};
  c.trans_b = true;
  auto y = run_reference(ref_model(c), {{"a", ref_a(false)}});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ(y->dtype(), DType::kFloat32);
  EXPECT_EQ(values<float>(*y), (std::vector<float>{0.5f, 0.75f, 1100.f, -200.f}));
}

TEST(QGemmReference, BiasBroadcastsPerRow) {
  // Two rows, C of shape [2, 1]; scales 1: the output is the accumulator itself.
  QuantModelBuilder b;
  b.input("a", kU8, {2, 2}).scale("as", 1.f).zero("az", kU8, 128);
  b.constant("b", Tensor::from_vector<int8_t>({2, 4}, kB)).scale("bs", 1.f).zero("bz", kS8, 0);
  b.constant("c", Tensor::from_vector<int32_t>({2, 1}, {0, 4}));
  b.node("QGemm", {"a", "as", "az", "b", "bs", "bz", "c"}, {"y"}, kMs);
  b.output("y");
  auto y = run_reference(b.bytes(), {{"a", Tensor::from_vector<uint8_t>({2, 2}, {129, 127, 130, 128})}});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  // Row 1: A = [2, 0] -> [6, 14, 200, -200] + 4.
  EXPECT_EQ(values<float>(*y), (std::vector<float>{2, 6, 200, -200, 10, 18, 204, -196}));
}

TEST(QGemmReference, ErrorsNameTheNodeAndTheInput) {
  QuantModelBuilder b;
  b.input("a", kU8, {1, 2}).scale("as", 0.5f).zero("az", kU8, 128);
  b.constant("b", Tensor::from_vector<int8_t>({2, 4}, kB));
  b.constant("bs", Tensor::from_vector<float>({3}, {1.f, 1.f, 1.f})).zero("bz", kS8, 0);
  b.node("QGemm", {"a", "as", "az", "b", "bs", "bz"}, {"y"}, kMs);
  b.output("y");
  auto y = run_reference(b.bytes(), {{"a", ref_a(false)}});
  ASSERT_FALSE(y.is_ok());
  EXPECT_NE(y.status().message().find("QGemm_"), std::string::npos) << y.status().to_string();
  EXPECT_NE(y.status().message().find("input 4 (b_scale)"), std::string::npos) << y.status().to_string();

  QuantModelBuilder alpha;
  alpha.input("a", kU8, {1, 2}).scale("as", 0.5f).zero("az", kU8, 128);
  alpha.constant("b", Tensor::from_vector<int8_t>({2, 4}, kB)).scale("bs", 1.f).zero("bz", kS8, 0);
  set_float(alpha.node("QGemm", {"a", "as", "az", "b", "bs", "bz"}, {"y"}, kMs), "alpha", 2.f);
  alpha.output("y");
  y = run_reference(alpha.bytes(), {{"a", ref_a(false)}});
  ASSERT_FALSE(y.is_ok());
  EXPECT_NE(y.status().message().find("QGemm_"), std::string::npos) << y.status().to_string();
  EXPECT_NE(y.status().message().find("alpha"), std::string::npos) << y.status().to_string();
}

// ---- cpu provider against the reference ----------------------------------------------------------

struct CpuCase {
  const char* name;
  DType a_type;
  int64_t m, k, n;
  bool trans_b, per_column, bias, quantized;
  int a_zp, y_zp;
};

// Adds QGemm `a` -> `y` with its constants prefixed `p`; `ties`: power-of-two scales.
void add_qgemm(QuantModelBuilder& b, std::mt19937& rng, const CpuCase& k, const std::string& p, const std::string& a,
               const std::string& y, bool ties) {
  std::uniform_real_distribution<float> jitter(0.7f, 1.4f);
  const float a_scale = ties ? 0.125f : 0.02f * jitter(rng);
  const float y_scale = ties ? 0.5f : 0.3f * jitter(rng);
  const float spread = 4.f / (std::sqrt(static_cast<float>(k.k)) * 128.f);  // acc * scale spans the type
  std::vector<float> b_scale(k.per_column ? static_cast<size_t>(k.n) : 1);
  for (float& s : b_scale) s = (ties ? std::exp2(std::round(std::log2(spread))) : spread * jitter(rng)) * y_scale / a_scale;
  b.scale(p + "as", a_scale).zero(p + "az", k.a_type, k.a_zp);
  b.constant(p + "b", random_q(rng, kS8, k.trans_b ? Dims{k.n, k.k} : Dims{k.k, k.n}));
  if (k.per_column) {
    b.constant(p + "bs", Tensor::from_vector<float>({k.n}, b_scale));
    b.constant(p + "bz", Tensor::allocate(kS8, {k.n}).value());
  } else {
    b.scale(p + "bs", b_scale[0]).zero(p + "bz", kS8, 0);
  }
  std::vector<std::string> inputs = {a, p + "as", p + "az", p + "b", p + "bs", p + "bz", ""};
  if (k.bias) {
    b.constant(p + "c", random_ints(rng, DType::kInt32, {k.n}, -20000, 20000));
    inputs[6] = p + "c";
  }
  if (k.quantized) {
    b.scale(p + "ys", y_scale).zero(p + "yz", k.a_type, k.y_zp);
    inputs.insert(inputs.end(), {p + "ys", p + "yz"});
  }
  set_int(b.node("QGemm", inputs, {y}, kMs), "transB", k.trans_b ? 1 : 0);
}

TEST(CpuQGemm, MatchesReferenceBitForBit) {
  const std::vector<CpuCase> cases = {
      {"u8 per-tensor bias", kU8, 8, 64, 40, false, false, true, true, 128, 0},
      {"u8 per-column transB y_zp", kU8, 5, 1280, 100, true, true, true, true, 131, 7},
      {"s8 per-column transB", kS8, 3, 96, 33, true, true, true, true, -4, -2},
      {"s8 no bias", kS8, 16, 48, 24, false, true, false, true, 0, 3},
      {"u8 float output", kU8, 4, 200, 50, true, true, true, false, 120, 0},
      {"s8 float output no bias", kS8, 2, 64, 17, false, false, false, false, 5, 0},
  };
  std::mt19937 rng(4242);
  for (const CpuCase& k : cases) {
    for (bool ties : {true, false}) {
      const std::string what = std::string(k.name) + (ties ? " (ties)" : " (random)");
      QuantModelBuilder b;
      b.input("a", k.a_type, {k.m, k.k});
      add_qgemm(b, rng, k, "g_", "a", "y", ties);
      b.output("y");
      CpuRun run = expect_exact(b.bytes(), {{"a", random_q(rng, k.a_type, {k.m, k.k})}}, what);
      EXPECT_EQ(run.steps, std::vector<std::string>{"cpu"}) << what;
      EXPECT_TRUE(ran_on_cpu(run.profile, "com.microsoft.QGemm", false)) << what << ": " << profile_text(run.profile);
    }
  }
}

TEST(CpuQGemm, ChainOfTwoAsOneSubgraph) {
  // A quantized QGemm feeding a float-output one: one cpu subgraph, the int8 tensor between them.
  const CpuCase first = {"first", kU8, 6, 120, 64, true, true, true, true, 128, 9};
  const CpuCase second = {"second", kU8, 6, 64, 10, true, true, true, false, 9, 0};
  std::mt19937 rng(77);
  QuantModelBuilder b;
  b.input("a", kU8, {6, 120});
  add_qgemm(b, rng, first, "g1_", "a", "h", false);
  add_qgemm(b, rng, second, "g2_", "h", "y", false);
  b.output("y");
  CpuRun run = expect_exact(b.bytes(), {{"a", random_q(rng, kU8, {6, 120})}}, "chain");
  EXPECT_EQ(run.steps, std::vector<std::string>{"cpu"});
}

TEST(CpuQGemm, UnclaimedVariantsRunOnTheReference) {
  // transA and a non-zero weight zero point stay on the reference provider, with the same result.
  std::mt19937 rng(5);
  QuantModelBuilder b;
  b.input("a", kU8, {32, 4});
  b.scale("as", 0.05f).zero("az", kU8, 100);
  b.constant("b", random_q(rng, kS8, {32, 8})).scale("bs", 0.01f).zero("bz", kS8, 3);
  b.scale("ys", 0.2f).zero("yz", kU8, 120);
  set_int(b.node("QGemm", {"a", "as", "az", "b", "bs", "bz", "", "ys", "yz"}, {"y"}, kMs), "transA", 1);
  b.output("y");
  CpuRun run = expect_exact(b.bytes(), {{"a", random_q(rng, kU8, {32, 4})}}, "transA");
  EXPECT_EQ(run.steps, std::vector<std::string>{"reference"});
}

}  // namespace
}  // namespace edgeserve::testing
