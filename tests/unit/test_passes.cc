// Graph passes: each rewrite is checked by its node counts before and after (level 0 vs the
// level that enables it) and by unchanged outputs on the reference provider.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "edgeserve/session.h"
#include "onnx_model_builder.h"

namespace edgeserve {
namespace {

using testing::OnnxModelBuilder;
using testing::random_floats;

struct Loaded {
  std::unique_ptr<Session> session;
  std::map<std::string, int> ops;
};

Loaded load(const std::string& model, int level) {
  SessionOptions opts;
  opts.provider = Provider::kReference;
  opts.optimization_level = level;
  auto s = Session::load_from_bytes(model, opts);
  EXPECT_TRUE(s.is_ok()) << s.status().message();
  if (!s.is_ok()) return {};
  auto ops = (*s)->summary().op_histogram;
  return {std::move(s).value(), ops};
}

// Loads at levels 0 and `level`, expects the same outputs, returns both op histograms.
std::pair<std::map<std::string, int>, std::map<std::string, int>> compare_levels(const std::string& model, int level,
                                                                                 const Dims& input_dims) {
  Loaded before = load(model, 0);
  Loaded after = load(model, level);
  if (!before.session || !after.session) return {};
  std::mt19937 rng(3);
  Tensor x = Tensor::allocate(DType::kFloat32, input_dims).value();
  auto v = random_floats(rng, static_cast<size_t>(x.num_elements()));
  std::copy(v.begin(), v.end(), x.mutable_data<float>());
  auto a = before.session->run({{"x", x}});
  auto b = after.session->run({{"x", x}});
  EXPECT_TRUE(a.is_ok() && b.is_ok());
  if (!a.is_ok() || !b.is_ok()) return {};
  const Tensor& e = (*a)[0];
  const Tensor& g = (*b)[0];
  EXPECT_EQ(e.dims(), g.dims());
  for (int64_t i = 0; i < e.num_elements() && e.dims() == g.dims(); ++i) {
    EXPECT_NEAR(e.data<float>()[i], g.data<float>()[i], 1e-4f * (1.f + std::fabs(e.data<float>()[i]))) << i;
  }
  return {before.ops, after.ops};
}

TEST(Passes, BatchNormFoldsIntoConvAndReluFusesAfter) {
  std::mt19937 rng(1);
  OnnxModelBuilder b;
  b.input("x", {"1", "4", "6", "6"});
  b.initializer("w", {8, 4, 3, 3}, random_floats(rng, 8 * 4 * 9));
  b.initializer("bias", {8}, random_floats(rng, 8));
  b.initializer("gamma", {8}, random_floats(rng, 8, 0.5f, 1.5f));
  b.initializer("beta", {8}, random_floats(rng, 8));
  b.initializer("mean", {8}, random_floats(rng, 8));
  b.initializer("var", {8}, random_floats(rng, 8, 0.1f, 2.f));
  b.node("Conv", {"x", "w", "bias"}, {"c"});
  testing::set_float(b.node("BatchNormalization", {"c", "gamma", "beta", "mean", "var"}, {"n"}), "epsilon", 1e-3f);
  b.node("Relu", {"n"}, {"y"});
  b.output("y");
  auto [before, after] = compare_levels(b.bytes(), 2, {1, 4, 6, 6});
  EXPECT_EQ(before, (std::map<std::string, int>{{"BatchNormalization", 1}, {"Conv", 1}, {"Relu", 1}}));
  EXPECT_EQ(after, (std::map<std::string, int>{{"edgeserve.FusedConv", 1}}));
}

TEST(Passes, ResidualAddAndClipFuseIntoConv) {
  std::mt19937 rng(2);
  OnnxModelBuilder b;
  b.input("x", {"1", "8", "5", "5"});
  b.initializer("w", {8, 8, 1, 1}, random_floats(rng, 64));
  b.initializer("lo", {}, {0.f}).initializer("hi", {}, {6.f});
  b.node("Conv", {"x", "w"}, {"c"});
  b.node("Add", {"x", "c"}, {"s"});
  b.node("Clip", {"s", "lo", "hi"}, {"y"});
  b.output("y");
  auto [before, after] = compare_levels(b.bytes(), 2, {1, 8, 5, 5});
  EXPECT_EQ(before.size(), 3u);
  EXPECT_EQ(after, (std::map<std::string, int>{{"edgeserve.FusedConv", 1}}));
}

TEST(Passes, SiluAndGemmActivationFuse) {
  std::mt19937 rng(3);
  OnnxModelBuilder b;
  b.input("x", {"2", "6"});
  b.initializer("w", {6, 5}, random_floats(rng, 30));
  b.initializer("w2", {5, 3}, random_floats(rng, 15));
  b.node("Gemm", {"x", "w"}, {"g"});
  b.node("Sigmoid", {"g"}, {"s"});
  b.node("Mul", {"s", "g"}, {"m"});  // SiLU with the operands swapped
  b.node("Gemm", {"m", "w2"}, {"g2"});
  b.node("Tanh", {"g2"}, {"y"});
  b.output("y");
  auto [before, after] = compare_levels(b.bytes(), 2, {2, 6});
  EXPECT_EQ(before.size(), 4u);
  EXPECT_EQ(after, (std::map<std::string, int>{{"edgeserve.FusedGemm", 2}}));
}

// A Conv output read twice (here by a graph output) must not fuse: the unfused value is needed.
TEST(Passes, ActivationDoesNotFuseAwayAValueReadElsewhere) {
  std::mt19937 rng(4);
  OnnxModelBuilder b;
  b.input("x", {"1", "2", "4", "4"});
  b.initializer("w", {2, 2, 1, 1}, random_floats(rng, 4));
  b.node("Conv", {"x", "w"}, {"c"});
  b.node("Relu", {"c"}, {"r"});
  b.node("Add", {"r", "c"}, {"y"});
  b.output("y");
  auto [before, after] = compare_levels(b.bytes(), 2, {1, 2, 4, 4});
  EXPECT_EQ(after.count("Relu"), 1u);
  EXPECT_EQ(after.count("edgeserve.FusedConv"), 0u);
}

TEST(Passes, ConstantFoldingAndIdentityEliminationAtLevelOne) {
  std::mt19937 rng(5);
  OnnxModelBuilder b;
  b.input("x", {"2", "3"});
  b.initializer("w", {3, 2}, random_floats(rng, 6));
  b.node("Transpose", {"w"}, {"wt"});      // constant: folded
  b.node("Transpose", {"wt"}, {"wtt"});    // constant: folded
  b.node("Identity", {"x"}, {"xi"});       // eliminated
  b.node("MatMul", {"xi", "wtt"}, {"m"});
  b.node("Relu", {"m"}, {"y"});
  b.output("y");
  auto [before, after] = compare_levels(b.bytes(), 1, {2, 3});
  EXPECT_EQ(before, (std::map<std::string, int>{{"Identity", 1}, {"MatMul", 1}, {"Relu", 1}, {"Transpose", 2}}));
  EXPECT_EQ(after, (std::map<std::string, int>{{"MatMul", 1}, {"Relu", 1}}));
}

// A squeezenet-style fire module: two expand convs concatenated, pooled, then squeezed.
// `expand` channels per branch; `squeeze` output channels of the last Conv.
std::string fire_module(std::mt19937& rng, int64_t expand, int64_t squeeze, bool concat_is_output = false) {
  OnnxModelBuilder b;
  b.input("x", {"1", "8", "9", "9"});
  b.initializer("w1", {expand, 8, 1, 1}, random_floats(rng, expand * 8));
  b.initializer("w3", {expand, 8, 3, 3}, random_floats(rng, expand * 8 * 9));
  b.initializer("b3", {expand}, random_floats(rng, expand));
  b.initializer("ws", {squeeze, 2 * expand, 1, 1}, random_floats(rng, squeeze * 2 * expand, -0.3f, 0.3f));
  b.initializer("bs", {squeeze}, random_floats(rng, squeeze));
  b.node("Conv", {"x", "w1"}, {"e1"});
  b.node("Relu", {"e1"}, {"r1"});
  testing::set_ints(b.node("Conv", {"x", "w3", "b3"}, {"e3"}), "pads", {1, 1, 1, 1});
  b.node("Relu", {"e3"}, {"r3"});
  testing::set_int(b.node("Concat", {"r1", "r3"}, {"cat"}), "axis", 1);
  auto* pool = b.node("MaxPool", {"cat"}, {"p"});
  testing::set_ints(pool, "kernel_shape", {3, 3});
  testing::set_ints(pool, "strides", {2, 2});
  testing::set_int(pool, "ceil_mode", 1);
  b.node("Conv", {"p", "ws", "bs"}, {"s"});
  b.node("Relu", {"s"}, {"y"});
  b.output("y");
  if (concat_is_output) b.output("cat");
  return b.bytes();
}

TEST(Passes, PoolMovesBeforeConcatAndConvSplitsOverItsParts) {
  std::mt19937 rng(6);
  auto [before, after] = compare_levels(fire_module(rng, 24, 16), 2, {1, 8, 9, 9});
  EXPECT_EQ(before, (std::map<std::string, int>{{"Concat", 1}, {"Conv", 3}, {"MaxPool", 1}, {"Relu", 3}}));
  // Two expand convs + the squeeze conv split in two parts; one pool per part; no Concat.
  EXPECT_EQ(after, (std::map<std::string, int>{{"MaxPool", 2}, {"edgeserve.FusedConv", 4}}));
}

TEST(Passes, ConcatStaysForThinPartsWideningConvsAndGraphOutputs) {
  std::mt19937 rng(7);
  // Parts of 8 channels: below kMinSplitChannels. The pool still moves before the Concat.
  auto [b1, thin] = compare_levels(fire_module(rng, 8, 4), 2, {1, 8, 9, 9});
  EXPECT_EQ(thin, (std::map<std::string, int>{{"Concat", 1}, {"MaxPool", 2}, {"edgeserve.FusedConv", 3}}));
  // 48 -> 64 channels: the Conv widens.
  auto [b2, widening] = compare_levels(fire_module(rng, 24, 64), 2, {1, 8, 9, 9});
  EXPECT_EQ(widening, (std::map<std::string, int>{{"Concat", 1}, {"MaxPool", 2}, {"edgeserve.FusedConv", 3}}));
  // The Concat's output is read by the caller: nothing moves.
  auto [b3, output] = compare_levels(fire_module(rng, 24, 16, true), 2, {1, 8, 9, 9});
  EXPECT_EQ(output, (std::map<std::string, int>{{"Concat", 1}, {"MaxPool", 1}, {"edgeserve.FusedConv", 3}}));
}

TEST(Passes, SqueezeExcitationScaleFusesIntoTheProjectionConv) {
  std::mt19937 rng(8);
  OnnxModelBuilder b;
  b.input("x", {"1", "16", "7", "7"});
  b.initializer("w_se1", {4, 16, 1, 1}, random_floats(rng, 64));
  b.initializer("w_se2", {16, 4, 1, 1}, random_floats(rng, 64));
  b.initializer("w_proj", {8, 16, 1, 1}, random_floats(rng, 128));
  b.initializer("b_proj", {8}, random_floats(rng, 8));
  b.node("GlobalAveragePool", {"x"}, {"pooled"});
  b.node("Conv", {"pooled", "w_se1"}, {"s1"});
  b.node("Relu", {"s1"}, {"r1"});
  b.node("Conv", {"r1", "w_se2"}, {"s2"});
  b.node("Sigmoid", {"s2"}, {"gate"});
  b.node("Mul", {"gate", "x"}, {"scaled"});  // the gate first: either operand order fuses
  b.node("Conv", {"scaled", "w_proj", "b_proj"}, {"y"});
  b.output("y");
  auto [before, after] = compare_levels(b.bytes(), 2, {1, 16, 7, 7});
  EXPECT_EQ(before, (std::map<std::string, int>{
                        {"Conv", 3}, {"GlobalAveragePool", 1}, {"Mul", 1}, {"Relu", 1}, {"Sigmoid", 1}}));
  EXPECT_EQ(after, (std::map<std::string, int>{{"GlobalAveragePool", 1}, {"edgeserve.FusedConv", 3}}));
}

TEST(Passes, ElementwiseMulDoesNotFuseAsAChannelScale) {
  std::mt19937 rng(9);
  OnnxModelBuilder b;
  b.input("x", {"1", "4", "5", "5"});
  b.initializer("w", {4, 4, 1, 1}, random_floats(rng, 16));
  b.node("Sigmoid", {"x"}, {"g"});      // full-size gate, not one per channel
  b.node("Mul", {"x", "g"}, {"m"});     // (this is SiLU, but nothing before it to fuse into)
  b.node("Conv", {"m", "w"}, {"y"});
  b.output("y");
  auto [before, after] = compare_levels(b.bytes(), 2, {1, 4, 5, 5});
  EXPECT_EQ(after.count("Mul"), 1u);
  EXPECT_EQ(after.count("Conv"), 1u);
}

TEST(Passes, ShapeSubgraphFoldsAndReshapeChainCollapses) {
  OnnxModelBuilder b;
  b.input("x", {"batch", "3", "4", "5"});  // dynamic batch: only dims 1.. are foldable
  b.int_initializer("spatial", {2, 3}).int_initializer("minus_one", {-1}).int_initializer("flat", {-1, 20});
  b.node("Shape", {"x"}, {"s"});
  b.node("Gather", {"s", "spatial"}, {"hw"});                 // [4, 5]: known dims
  testing::set_int(b.node("Concat", {"minus_one", "hw"}, {"target"}), "axis", 0);
  b.node("Reshape", {"x", "target"}, {"r1"});                  // [3 * batch, 4, 5]
  b.node("Reshape", {"r1", "flat"}, {"r2"});                   // [3 * batch, 20]: reads x directly
  b.node("Relu", {"r2"}, {"y"});
  b.output("y");
  auto [before, after] = compare_levels(b.bytes(), 1, {2, 3, 4, 5});
  EXPECT_EQ(before, (std::map<std::string, int>{{"Concat", 1}, {"Gather", 1}, {"Relu", 1}, {"Reshape", 2}, {"Shape", 1}}));
  EXPECT_EQ(after, (std::map<std::string, int>{{"Relu", 1}, {"Reshape", 1}}));
}

TEST(Passes, TransposeChainsComposeAndIdentityPermutationsVanish) {
  OnnxModelBuilder b;
  b.input("x", {"2", "3", "4"});
  testing::set_ints(b.node("Transpose", {"x"}, {"t1"}), "perm", {1, 0, 2});
  testing::set_ints(b.node("Transpose", {"t1"}, {"t2"}), "perm", {1, 0, 2});   // undoes t1
  testing::set_ints(b.node("Transpose", {"x"}, {"t3"}), "perm", {2, 0, 1});
  testing::set_ints(b.node("Transpose", {"t3"}, {"t4"}), "perm", {0, 2, 1});
  testing::set_ints(b.node("Transpose", {"t4"}, {"t5"}), "perm", {2, 1, 0});   // t3..t5 = identity
  testing::set_ints(b.node("Transpose", {"x"}, {"t6"}), "perm", {0, 2, 1});
  testing::set_ints(b.node("Transpose", {"t6"}, {"t7"}), "perm", {0, 2, 1});   // undoes t6...
  b.node("Relu", {"t2"}, {"a"});
  b.node("Add", {"a", "t5"}, {"s"});
  b.node("Add", {"s", "t7"}, {"y"});
  b.node("Sigmoid", {"t6"}, {"z"});  // ...but t6 is read here too: it stays
  b.output("y").output("z");
  auto [before, after] = compare_levels(b.bytes(), 1, {2, 3, 4});
  EXPECT_EQ(before.at("Transpose"), 7);
  EXPECT_EQ(after, (std::map<std::string, int>{{"Add", 2}, {"Relu", 1}, {"Sigmoid", 1}, {"Transpose", 1}}));
}

TEST(Passes, MatMulPlusBiasBecomesGemmAndTakesTheActivation) {
  std::mt19937 rng(10);
  OnnxModelBuilder b;
  b.input("x", {"3", "8"});
  b.initializer("w", {8, 4}, random_floats(rng, 32));
  b.initializer("bias", {4}, random_floats(rng, 4));
  b.node("MatMul", {"x", "w"}, {"m"});
  b.node("Add", {"bias", "m"}, {"a"});  // bias first: either operand order fuses
  b.node("Relu", {"a"}, {"y"});
  b.output("y");
  auto [before, after] = compare_levels(b.bytes(), 2, {3, 8});
  EXPECT_EQ(before, (std::map<std::string, int>{{"Add", 1}, {"MatMul", 1}, {"Relu", 1}}));
  EXPECT_EQ(after, (std::map<std::string, int>{{"edgeserve.FusedGemm", 1}}));
}

TEST(Passes, MatMulWithComputedWeightsStaysMatMul) {
  OnnxModelBuilder b;
  b.input("x", {"3", "8"});
  b.initializer("bias", {8}, std::vector<float>(8, 0.5f));
  b.node("Transpose", {"x"}, {"xt"});
  b.node("MatMul", {"x", "xt"}, {"m"});  // [3, 3]: B is not a constant
  b.node("Add", {"m", "m"}, {"y"});
  b.output("y");
  auto [before, after] = compare_levels(b.bytes(), 2, {3, 8});
  EXPECT_EQ(after.count("Gemm"), 0u);
  EXPECT_EQ(after.count("MatMul"), 1u);
}

// GELU as exporters write it, in both orders of the 0.5 factor, fused into the Gemm before it.
TEST(Passes, GeluErfPatternFusesIntoGemm) {
  for (bool half_first : {false, true}) {
    std::mt19937 rng(11);
    OnnxModelBuilder b;
    b.input("x", {"3", "8"});
    b.initializer("w", {8, 6}, random_floats(rng, 48));
    b.initializer("bias", {6}, random_floats(rng, 6));
    b.initializer("sqrt2", {}, {1.4142135f}).initializer("one", {}, {1.f}).initializer("half", {}, {0.5f});
    b.node("Gemm", {"x", "w", "bias"}, {"g"});
    b.node("Div", {"g", "sqrt2"}, {"d"});
    b.node("Erf", {"d"}, {"e"});
    b.node("Add", {"e", "one"}, {"a"});
    if (half_first) {
      b.node("Mul", {"g", "half"}, {"h"});
      b.node("Mul", {"h", "a"}, {"y"});
    } else {
      b.node("Mul", {"g", "a"}, {"m"});
      b.node("Mul", {"m", "half"}, {"y"});
    }
    b.output("y");
    auto [before, after] = compare_levels(b.bytes(), 2, {3, 8});
    EXPECT_EQ(before, (std::map<std::string, int>{{"Add", 1}, {"Div", 1}, {"Erf", 1}, {"Gemm", 1}, {"Mul", 2}}));
    EXPECT_EQ(after, (std::map<std::string, int>{{"edgeserve.FusedGemm", 1}})) << "half first: " << half_first;
  }
}

TEST(Passes, BatchNormFoldsIntoGemmWithTransposedWeightsAndScaledBias) {
  std::mt19937 rng(12);
  OnnxModelBuilder b;
  b.input("x", {"3", "8"});
  b.initializer("w", {6, 8}, random_floats(rng, 48));  // transB: [N, K]
  b.initializer("c", {6}, random_floats(rng, 6));
  b.initializer("gamma", {6}, random_floats(rng, 6, 0.5f, 1.5f));
  b.initializer("beta", {6}, random_floats(rng, 6));
  b.initializer("mean", {6}, random_floats(rng, 6));
  b.initializer("var", {6}, random_floats(rng, 6, 0.1f, 2.f));
  auto* gemm = b.node("Gemm", {"x", "w", "c"}, {"g"});
  testing::set_int(gemm, "transB", 1);
  testing::set_float(gemm, "alpha", 0.5f);
  testing::set_float(gemm, "beta", 2.f);
  b.node("BatchNormalization", {"g", "gamma", "beta", "mean", "var"}, {"n"});
  b.node("Relu", {"n"}, {"y"});
  b.output("y");
  auto [before, after] = compare_levels(b.bytes(), 2, {3, 8});
  EXPECT_EQ(before, (std::map<std::string, int>{{"BatchNormalization", 1}, {"Gemm", 1}, {"Relu", 1}}));
  EXPECT_EQ(after, (std::map<std::string, int>{{"edgeserve.FusedGemm", 1}}));
}

TEST(Passes, MatMulAddBatchNormBecomesOneGemm) {
  std::mt19937 rng(13);
  OnnxModelBuilder b;
  b.input("x", {"2", "5"});
  b.initializer("w", {5, 4}, random_floats(rng, 20));
  b.initializer("bias", {4}, random_floats(rng, 4));
  b.initializer("gamma", {4}, random_floats(rng, 4, 0.5f, 1.5f));
  b.initializer("beta", {4}, random_floats(rng, 4));
  b.initializer("mean", {4}, random_floats(rng, 4));
  b.initializer("var", {4}, random_floats(rng, 4, 0.1f, 2.f));
  b.node("MatMul", {"x", "w"}, {"m"});
  b.node("Add", {"m", "bias"}, {"a"});
  b.node("BatchNormalization", {"a", "gamma", "beta", "mean", "var"}, {"y"});
  b.output("y");
  auto [before, after] = compare_levels(b.bytes(), 2, {2, 5});
  EXPECT_EQ(after, (std::map<std::string, int>{{"Gemm", 1}}));
}

}  // namespace
}  // namespace edgeserve
