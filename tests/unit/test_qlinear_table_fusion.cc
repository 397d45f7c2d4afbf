// passes/qlinear_table_fusion: quantized SiLU (QLinearMul(x, QLinearSigmoid(x)), either operand
// order), QLinearSigmoid and QLinearLeakyRelu become edgeserve.QLinearTable lookups with results
// bit-identical to the unfused ops (reference provider at level 0), uint8 and int8.
#include <gtest/gtest.h>

#include <random>

#include "tests/unit/cpu_int8_test_util.h"

namespace edgeserve {
namespace {

using testing::CpuRun;
using testing::QuantModelBuilder;

constexpr int kCases = 12;

struct SiluModel {
  std::string bytes;
  std::string what;
};

// x -> QLinearSigmoid -> s; y = QLinearMul(x, s) (or (s, x)); s optionally a graph output too.
SiluModel silu_model(std::mt19937& rng, DType t, bool sigmoid_first, bool expose_sigmoid) {
  std::uniform_real_distribution<float> scale(0.005f, 0.2f);
  std::uniform_int_distribution<int> zero(t == DType::kUint8 ? 0 : -128, t == DType::kUint8 ? 255 : 127);
  QuantModelBuilder b;
  b.input("x", t, {2, 8, 9, 10});
  b.scale("xs", scale(rng)).zero("xz", t, zero(rng));
  b.scale("ss", 1.f / 256.f).zero("sz", t, t == DType::kUint8 ? 0 : -128);
  b.scale("ys", scale(rng)).zero("yz", t, zero(rng));
  b.node("QLinearSigmoid", {"x", "xs", "xz", "ss", "sz"}, {"s"}, "com.microsoft");
  if (sigmoid_first) {
    b.node("QLinearMul", {"s", "ss", "sz", "x", "xs", "xz", "ys", "yz"}, {"y"}, "com.microsoft");
  } else {
    b.node("QLinearMul", {"x", "xs", "xz", "s", "ss", "sz", "ys", "yz"}, {"y"}, "com.microsoft");
  }
  b.output("y");
  if (expose_sigmoid) b.output("s");
  return {b.bytes(), std::string(dtype_name(t)) + (sigmoid_first ? " (s, x)" : " (x, s)") +
                         (expose_sigmoid ? " sigmoid read elsewhere" : "")};
}

bool profile_has(const RunProfile& p, const std::string& op_type) {
  for (const auto& e : p.entries) {
    if (e.op_type == op_type) return true;
  }
  return false;
}

TEST(QLinearTableFusion, SiluBecomesOneTableBitIdentical) {
  std::mt19937 rng(7);
  for (DType t : {DType::kUint8, DType::kInt8}) {
    for (bool sigmoid_first : {false, true}) {
      for (int k = 0; k < kCases; ++k) {
        const SiluModel m = silu_model(rng, t, sigmoid_first, /*expose_sigmoid=*/false);
        CpuRun run = testing::expect_exact(m.bytes, {{"x", testing::random_q(rng, t, {2, 8, 9, 10})}}, m.what);
        EXPECT_TRUE(profile_has(run.profile, "edgeserve.QLinearTable")) << m.what << testing::profile_text(run.profile);
        EXPECT_FALSE(profile_has(run.profile, "com.microsoft.QLinearMul")) << m.what;
        EXPECT_FALSE(profile_has(run.profile, "com.microsoft.QLinearSigmoid")) << m.what;
      }
    }
  }
}

TEST(QLinearTableFusion, SigmoidReadElsewhereKeepsTheProduct) {
  std::mt19937 rng(8);
  for (DType t : {DType::kUint8, DType::kInt8}) {
    const SiluModel m = silu_model(rng, t, false, /*expose_sigmoid=*/true);
    CpuRun run = testing::expect_exact(m.bytes, {{"x", testing::random_q(rng, t, {2, 8, 9, 10})}}, m.what);
    EXPECT_TRUE(profile_has(run.profile, "com.microsoft.QLinearMul")) << m.what << testing::profile_text(run.profile);
    EXPECT_TRUE(profile_has(run.profile, "edgeserve.QLinearTable")) << m.what;  // the sigmoid alone
  }
}

TEST(QLinearTableFusion, LeakyReluBecomesATable) {
  std::mt19937 rng(9);
  for (DType t : {DType::kUint8, DType::kInt8}) {
    QuantModelBuilder b;
    b.input("x", t, {1, 4, 16, 16});
    b.scale("xs", 0.05f).zero("xz", t, t == DType::kUint8 ? 130 : 2);
    b.scale("ys", 0.04f).zero("yz", t, t == DType::kUint8 ? 60 : -60);
    auto* n = b.node("QLinearLeakyRelu", {"x", "xs", "xz", "ys", "yz"}, {"y"}, "com.microsoft");
    auto* alpha = n->add_attribute();
    alpha->set_name("alpha");
    alpha->set_type(onnx::AttributeProto::FLOAT);
    alpha->set_f(0.1f);
    b.output("y");
    CpuRun run = testing::expect_exact(b.bytes(), {{"x", testing::random_q(rng, t, {1, 4, 16, 16})}}, dtype_name(t));
    EXPECT_TRUE(profile_has(run.profile, "edgeserve.QLinearTable")) << testing::profile_text(run.profile);
  }
}

}  // namespace
}  // namespace edgeserve
