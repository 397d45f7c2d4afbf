// The cpu provider against the reference provider: single ops over random shapes and
// attributes, and small fused graphs. Tolerance: 1e-4 of the reference output's range — oneDNN
// sums in another order (blocked, vectorised) and evaluates exp/tanh/erf with its own
// polynomials, both well inside that bound for these sizes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

#include "edgeserve/session.h"
#include "onnx_model_builder.h"

namespace edgeserve {
namespace {

using testing::OnnxModelBuilder;
using testing::random_floats;

Tensor random_tensor(std::mt19937& rng, const Dims& dims) {
  Tensor t = Tensor::allocate(DType::kFloat32, dims).value();
  auto v = random_floats(rng, static_cast<size_t>(t.num_elements()));
  std::copy(v.begin(), v.end(), t.mutable_data<float>());
  return t;
}

// Runs `model` on both providers and expects the same outputs; returns the cpu session's steps.
SessionOptions cpu_options() {
  SessionOptions opts;
  opts.provider = Provider::kCpu;
  opts.threads = 2;
  return opts;
}

std::vector<std::string> expect_same_outputs(const std::string& model, const std::vector<NamedTensor>& inputs,
                                             const std::string& what, const SessionOptions& cpu_opts = cpu_options()) {
  SessionOptions ref_opts;
  ref_opts.provider = Provider::kReference;
  ref_opts.optimization_level = 0;
  auto ref = Session::load_from_bytes(model, ref_opts);
  auto cpu = Session::load_from_bytes(model, cpu_opts);
  EXPECT_TRUE(ref.is_ok()) << what << ": " << ref.status().message();
  EXPECT_TRUE(cpu.is_ok()) << what << ": " << cpu.status().message();
  if (!ref.is_ok() || !cpu.is_ok()) return {};
  auto expected = (*ref)->run(inputs);
  auto actual = (*cpu)->run(inputs);
  EXPECT_TRUE(expected.is_ok()) << what << ": " << expected.status().message();
  EXPECT_TRUE(actual.is_ok()) << what << ": " << actual.status().message();
  if (!expected.is_ok() || !actual.is_ok()) return {};
  for (size_t o = 0; o < expected->size(); ++o) {
    const Tensor& e = (*expected)[o];
    const Tensor& a = (*actual)[o];
    EXPECT_EQ(e.dims(), a.dims()) << what;
    if (e.dims() != a.dims()) continue;
    float range = 0.f;
    for (int64_t i = 0; i < e.num_elements(); ++i) range = std::max(range, std::fabs(e.data<float>()[i]));
    const float tol = 1e-4f * std::max(range, 1.f);
    int64_t bad = 0;
    for (int64_t i = 0; i < e.num_elements(); ++i) bad += std::fabs(e.data<float>()[i] - a.data<float>()[i]) > tol;
    EXPECT_EQ(bad, 0) << what << ": output " << o << " differs in " << bad << " of " << e.num_elements();
  }
  return (*cpu)->step_providers();
}

std::string str(int64_t v) { return std::to_string(v); }

TEST(CpuProvider, ConvMatchesReferenceOverRandomAttributes) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 40; ++trial) {
    const int64_t n = 1 + rng() % 2, c = std::vector<int64_t>{1, 3, 8, 17, 32}[rng() % 5], h = 5 + rng() % 12, w = 5 + rng() % 12;
    const bool depthwise = c > 1 && rng() % 3 == 0;
    const int64_t group = depthwise ? c : 1;
    const int64_t m = depthwise ? c : 1 + rng() % 24;
    const int64_t k = std::vector<int64_t>{1, 3, 5}[rng() % 3], stride = 1 + rng() % 2, dil = 1 + rng() % 2;
    const int64_t pad = rng() % 3;
    const bool bias = rng() % 2;
    OnnxModelBuilder b;
    b.input("x", {str(n), str(c), str(h), str(w)});
    b.initializer("w", {m, c / group, k, k}, random_floats(rng, m * (c / group) * k * k));
    if (bias) b.initializer("b", {m}, random_floats(rng, m));
    auto* conv = b.node("Conv", bias ? std::vector<std::string>{"x", "w", "b"} : std::vector<std::string>{"x", "w"}, {"y"});
    testing::set_ints(conv, "strides", {stride, stride});
    testing::set_ints(conv, "dilations", {dil, dil});
    testing::set_ints(conv, "pads", {pad, pad, pad + trial % 2, pad});
    testing::set_int(conv, "group", group);
    b.output("y");
    if ((h + 2 * pad - dil * (k - 1) - 1) < 0 || (w + 2 * pad - dil * (k - 1) - 1) < 0) continue;
    auto steps = expect_same_outputs(b.bytes(), {{"x", random_tensor(rng, {n, c, h, w})}}, "conv trial " + str(trial));
    EXPECT_EQ(steps, std::vector<std::string>{"cpu"});
  }
}

TEST(CpuProvider, PoolingMatchesReference) {
  std::mt19937 rng(12);
  for (const char* op : {"MaxPool", "AveragePool"}) {
    for (int trial = 0; trial < 16; ++trial) {
      const int64_t k = 2 + rng() % 2, stride = 1 + rng() % 2, pad = rng() % 2, size = 6 + rng() % 9;
      OnnxModelBuilder b;
      b.input("x", {"2", "19", str(size), str(size)});
      auto* pool = b.node(op, {"x"}, {"y"});
      testing::set_ints(pool, "kernel_shape", {k, k});
      testing::set_ints(pool, "strides", {stride, stride});
      testing::set_ints(pool, "pads", {pad, pad, pad, pad});
      testing::set_int(pool, "ceil_mode", trial % 2);
      if (std::string(op) == "AveragePool") testing::set_int(pool, "count_include_pad", trial % 2 == 0 ? trial % 4 / 2 : 0);
      b.output("y");
      auto steps = expect_same_outputs(b.bytes(), {{"x", random_tensor(rng, {2, 19, size, size})}},
                                       std::string(op) + " trial " + str(trial));
      EXPECT_EQ(steps, std::vector<std::string>{"cpu"});
    }
  }
  for (const char* op : {"GlobalAveragePool", "GlobalMaxPool"}) {
    OnnxModelBuilder b;
    b.input("x", {"1", "40", "7", "9"});
    b.node(op, {"x"}, {"y"});
    b.output("y");
    expect_same_outputs(b.bytes(), {{"x", random_tensor(rng, {1, 40, 7, 9})}}, op);
  }
}

TEST(CpuProvider, ActivationsMatchReference) {
  std::mt19937 rng(13);
  for (const char* op : {"Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSwish", "HardSigmoid", "Elu", "Softplus", "Exp",
                         "Abs", "Neg"}) {
    OnnxModelBuilder b(14);  // HardSwish arrived in opset 14
    b.input("x", {"2", "5", "3", "4"});
    b.node(op, {"x"}, {"y"});
    b.output("y");
    auto steps = expect_same_outputs(b.bytes(), {{"x", random_tensor(rng, {2, 5, 3, 4})}}, op);
    EXPECT_EQ(steps, std::vector<std::string>{"cpu"}) << op;
  }
  OnnxModelBuilder b;
  b.input("x", {"2", "5"});
  b.initializer("lo", {}, {-0.25f}).initializer("hi", {}, {0.5f});
  b.node("Clip", {"x", "lo", "hi"}, {"y"});
  b.output("y");
  expect_same_outputs(b.bytes(), {{"x", random_tensor(rng, {2, 5})}}, "Clip");
}

TEST(CpuProvider, BroadcastingBinaryOpsMatchReference) {
  std::mt19937 rng(14);
  const std::vector<std::pair<Dims, Dims>> shapes = {
      {{2, 8, 5, 5}, {2, 8, 5, 5}}, {{2, 8, 5, 5}, {1, 8, 1, 1}}, {{2, 8, 5, 5}, {5}}, {{1, 8, 1, 1}, {2, 8, 5, 5}},
      {{3, 4}, {4}}};
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Max", "Min"}) {
    for (const auto& [a, c] : shapes) {
      auto as_strings = [](const Dims& d) {
        std::vector<std::string> s;
        for (int64_t x : d) s.push_back(str(x));
        return s;
      };
      OnnxModelBuilder b;
      b.input("a", as_strings(a)).input("b", as_strings(c));
      b.node(op, {"a", "b"}, {"y"});
      b.output("y");
      Tensor tb = random_tensor(rng, c);
      if (std::string(op) == "Div") {
        for (int64_t i = 0; i < tb.num_elements(); ++i) tb.mutable_data<float>()[i] += 2.f;  // away from 0
      }
      expect_same_outputs(b.bytes(), {{"a", random_tensor(rng, a)}, {"b", tb}}, std::string(op));
    }
  }
}

TEST(CpuProvider, ConcatGemmSoftmaxAndViewsMatchReference) {
  std::mt19937 rng(15);
  OnnxModelBuilder b;
  b.input("x", {"batch", "6", "4", "4"}).input("z", {"batch", "10", "4", "4"});
  b.initializer("w", {3, 6, 1, 1}, random_floats(rng, 18));
  b.initializer("fc", {10, 16 * 19}, random_floats(rng, 16 * 19 * 10));
  b.initializer("fcb", {10}, random_floats(rng, 10));
  b.int_initializer("shape", {0, -1});
  b.node("Conv", {"x", "w"}, {"c"});
  testing::set_int(b.node("Concat", {"c", "x", "z"}, {"cat"}), "axis", 1);
  b.node("Reshape", {"cat", "shape"}, {"flat"});
  testing::set_int(b.node("Gemm", {"flat", "fc", "fcb"}, {"g"}), "transB", 1);
  b.node("Softmax", {"g"}, {"y"});
  b.output("y");
  for (int64_t batch : {1, 3}) {
    auto steps = expect_same_outputs(b.bytes(),
                                     {{"x", random_tensor(rng, {batch, 6, 4, 4})}, {"z", random_tensor(rng, {batch, 10, 4, 4})}},
                                     "concat-gemm batch " + str(batch));
    EXPECT_EQ(steps, std::vector<std::string>{"cpu"});
  }
}

// Conv -> Add(residual) -> Relu and Conv -> SiLU fuse at level 2 and still match the unfused
// reference graph.
TEST(CpuProvider, FusedConvResidualAndSiluMatchReference) {
  std::mt19937 rng(16);
  OnnxModelBuilder b;
  b.input("x", {"1", "16", "8", "8"});
  b.initializer("w1", {16, 16, 3, 3}, random_floats(rng, 16 * 16 * 9, -0.2f, 0.2f));
  b.initializer("b1", {16}, random_floats(rng, 16));
  b.initializer("w2", {16, 16, 1, 1}, random_floats(rng, 256, -0.2f, 0.2f));
  testing::set_ints(b.node("Conv", {"x", "w1", "b1"}, {"c1"}), "pads", {1, 1, 1, 1});
  b.node("Add", {"c1", "x"}, {"s"});
  b.node("Relu", {"s"}, {"r"});
  b.node("Conv", {"r", "w2"}, {"c2"});
  b.node("Sigmoid", {"c2"}, {"sig"});
  b.node("Mul", {"c2", "sig"}, {"y"});
  b.output("y");
  expect_same_outputs(b.bytes(), {{"x", random_tensor(rng, {1, 16, 8, 8})}}, "fused");
  SessionOptions opts;
  opts.provider = Provider::kReference;
  auto fused = Session::load_from_bytes(b.bytes(), opts);
  ASSERT_TRUE(fused.is_ok()) << fused.status().message();
  auto hist = (*fused)->summary().op_histogram;
  EXPECT_EQ(hist["edgeserve.FusedConv"], 2);
  EXPECT_EQ(hist.size(), 1u) << "Add, Relu, Sigmoid and Mul are absorbed";
}

}  // namespace
}  // namespace edgeserve

namespace edgeserve {
namespace {

TEST(CpuProvider, SliceTransposeResizeAndPlainConcatMatchReference) {
  std::mt19937 rng(17);
  OnnxModelBuilder b;
  b.input("x", {"1", "3", "8", "10"});
  b.int_initializer("s0", {0, 0}).int_initializer("e", {INT64_MAX, INT64_MAX}).int_initializer("ax", {2, 3});
  b.int_initializer("st", {2, 3}).int_initializer("s1", {1, 0});
  b.initializer("scales", {4}, {1.f, 1.f, 2.f, 3.f}).initializer("roi", {0}, {});
  b.node("Slice", {"x", "s0", "e", "ax", "st"}, {"a"});
  b.node("Slice", {"x", "s1", "e", "ax", "st"}, {"c"});
  testing::set_int(b.node("Concat", {"a", "c"}, {"cat"}), "axis", 1);
  auto* resize = b.node("Resize", {"cat", "roi", "scales"}, {"r"});
  testing::set_string(resize, "mode", "nearest");
  testing::set_string(resize, "coordinate_transformation_mode", "asymmetric");
  testing::set_string(resize, "nearest_mode", "floor");
  testing::set_ints(b.node("Transpose", {"r"}, {"y"}), "perm", {0, 2, 3, 1});
  b.output("y");
  auto steps = expect_same_outputs(b.bytes(), {{"x", random_tensor(rng, {1, 3, 8, 10})}}, "slice-concat-resize");
  EXPECT_EQ(steps, std::vector<std::string>{"cpu"});
}

}  // namespace
}  // namespace edgeserve

namespace edgeserve {
namespace {

TEST(CpuProvider, MatMulWithBroadcastBatchDimsMatchesReference) {
  std::mt19937 rng(18);
  auto strs = [](const Dims& d) {
    std::vector<std::string> s;
    for (int64_t x : d) s.push_back(std::to_string(x));
    return s;
  };
  struct Case { Dims a, b; bool constant_b; };
  for (const Case& c : std::vector<Case>{{{2, 3, 4, 5}, {5, 6}, true}, {{3, 4}, {4, 5}, true},
                                         {{2, 1, 4, 5}, {3, 5, 6}, false}, {{4, 5}, {2, 5, 3}, false}}) {
    OnnxModelBuilder b;
    b.input("x", strs(c.a));
    int64_t nb = 1;
    for (int64_t d : c.b) nb *= d;
    if (c.constant_b) b.initializer("w", c.b, random_floats(rng, nb));
    else b.input("w", strs(c.b));
    b.node("MatMul", {"x", "w"}, {"y"});
    b.output("y");
    std::vector<NamedTensor> inputs = {{"x", random_tensor(rng, c.a)}};
    if (!c.constant_b) inputs.push_back({"w", random_tensor(rng, c.b)});
    auto steps = expect_same_outputs(b.bytes(), inputs, "matmul");
    EXPECT_EQ(steps, std::vector<std::string>{"cpu"});
  }
}

// The kernels a cpu session ran for `model`, from one profiled run.
std::vector<std::string> kernels_run(const std::string& model, const std::vector<NamedTensor>& inputs,
                                     const SessionOptions& opts) {
  auto session = Session::load_from_bytes(model, opts);
  EXPECT_TRUE(session.is_ok()) << session.status().message();
  if (!session.is_ok()) return {};
  RunProfile profile;
  EXPECT_TRUE((*session)->run(inputs, &profile).is_ok());
  std::vector<std::string> kernels;
  for (const auto& e : profile.entries) kernels.push_back(e.kernel);
  return kernels;
}

bool any_contains(const std::vector<std::string>& v, const std::string& part) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return s.find(part) != std::string::npos; });
}

// Winograd is picked by measurement in production; here it is forced (and forbidden) so that
// its outputs, with bias, residual sum and activation post-ops, are checked on every run.
TEST(CpuProvider, WinogradConvMatchesReference) {
  std::mt19937 rng(19);
  struct Case { int64_t n, c, m, h, w; bool residual; };
  for (const Case& k : std::vector<Case>{{1, 64, 64, 28, 28, false}, {2, 32, 48, 13, 17, true}, {1, 16, 32, 56, 56, true}}) {
    OnnxModelBuilder b;
    b.input("x", {str(k.n), str(k.c), str(k.h), str(k.w)});
    b.initializer("w", {k.m, k.c, 3, 3}, random_floats(rng, k.m * k.c * 9, -0.2f, 0.2f));
    b.initializer("b", {k.m}, random_floats(rng, k.m));
    testing::set_ints(b.node("Conv", {"x", "w", "b"}, {"c"}), "pads", {1, 1, 1, 1});
    std::string last = "c";
    if (k.residual) {
      b.input("r", {str(k.n), str(k.m), str(k.h), str(k.w)});
      b.node("Add", {"c", "r"}, {"s"});
      last = "s";
    }
    b.node("Relu", {last}, {"y"});
    b.output("y");
    std::vector<NamedTensor> inputs = {{"x", random_tensor(rng, {k.n, k.c, k.h, k.w})}};
    if (k.residual) inputs.push_back({"r", random_tensor(rng, {k.n, k.m, k.h, k.w})});
    const std::string what = "winograd " + str(k.c) + "->" + str(k.m) + " " + str(k.h) + "x" + str(k.w);
    SessionOptions winograd = cpu_options();
    winograd.conv_algorithm = ConvAlgorithm::kWinograd;
    expect_same_outputs(b.bytes(), inputs, what, winograd);
    EXPECT_TRUE(any_contains(kernels_run(b.bytes(), inputs, winograd), "wino")) << what;
    SessionOptions direct = cpu_options();
    direct.conv_algorithm = ConvAlgorithm::kDirect;
    EXPECT_FALSE(any_contains(kernels_run(b.bytes(), inputs, direct), "wino")) << what;
    expect_same_outputs(b.bytes(), inputs, what + " (measured choice)");
  }
}

// A Winograd conv needs a scratchpad. oneDNN's default keeps one per *creating* thread: a Session
// compiled on a thread that has exited then ran on freed memory (the server crashed on
// resnet50), and runs on several threads shared one buffer. Every Program binds its own now.
std::string winograd_model(std::mt19937& rng) {
  OnnxModelBuilder b;
  b.input("x", {"1", "32", "20", "20"});
  b.initializer("w", {32, 32, 3, 3}, random_floats(rng, 32 * 32 * 9, -0.2f, 0.2f));
  testing::set_ints(b.node("Conv", {"x", "w"}, {"c"}), "pads", {1, 1, 1, 1});
  b.node("Relu", {"c"}, {"y"});
  b.output("y");
  return b.bytes();
}

std::vector<float> values(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.num_elements()}; }

TEST(CpuProvider, SessionCompiledOnAnExitedThreadRunsElsewhere) {
  std::mt19937 rng(23);
  const std::string model = winograd_model(rng);
  const std::vector<NamedTensor> inputs = {{"x", random_tensor(rng, {1, 32, 20, 20})}};
  SessionOptions opts = cpu_options();
  opts.conv_algorithm = ConvAlgorithm::kWinograd;
  std::unique_ptr<Session> session;
  std::vector<float> expected;
  std::thread loader([&] {
    auto loaded = Session::load_from_bytes(model, opts);
    ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
    session = std::move(loaded).value();
    auto out = session->run(inputs);  // compiles the program on this thread
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    expected = values((*out)[0]);
  });
  loader.join();
  ASSERT_TRUE(session != nullptr);
  ASSERT_TRUE(any_contains(kernels_run(model, inputs, opts), "wino"));
  for (int i = 0; i < 3; ++i) {
    auto out = session->run(inputs);
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    EXPECT_EQ(values((*out)[0]), expected) << "run " << i << " after the compiling thread exited";
  }
}

TEST(CpuProvider, ConcurrentWinogradRunsEachGetTheirOwnResult) {
  std::mt19937 rng(29);
  const std::string model = winograd_model(rng);
  SessionOptions opts = cpu_options();
  opts.threads = 1;
  opts.conv_algorithm = ConvAlgorithm::kWinograd;
  auto session = Session::load_from_bytes(model, opts);
  ASSERT_TRUE(session.is_ok()) << session.status().message();
  constexpr int kThreads = 4;
  std::vector<std::vector<NamedTensor>> inputs;
  std::vector<std::vector<float>> expected;
  for (int t = 0; t < kThreads; ++t) {
    inputs.push_back({{"x", random_tensor(rng, {1, 32, 20, 20})}});
    auto out = (*session)->run(inputs.back());
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    expected.push_back(values((*out)[0]));
  }
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto out = (*session)->run(inputs[t]);
        mismatches[t] += !out.is_ok() || values((*out)[0]) != expected[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

// ResNet's pattern: the residual `a` is read first by the block's first conv, then summed into the
// last one. Once its earlier reader has run, the sum may overwrite `a` in place: the fused conv
// must be one step, with no copy of the residual before it.
TEST(CpuProvider, ResidualReadEarlierIsSummedInPlace) {
  std::mt19937 rng(20);
  OnnxModelBuilder b;
  b.input("x", {"1", "16", "10", "10"});
  for (const char* w : {"w0", "w1", "w2"}) b.initializer(w, {16, 16, 1, 1}, random_floats(rng, 256, -0.3f, 0.3f));
  b.node("Conv", {"x", "w0"}, {"a"});
  b.node("Conv", {"a", "w1"}, {"c1"});
  b.node("Conv", {"c1", "w2"}, {"c2"});
  b.node("Add", {"c2", "a"}, {"s"});
  b.node("Relu", {"s"}, {"y"});
  b.output("y");
  std::vector<NamedTensor> inputs = {{"x", random_tensor(rng, {1, 16, 10, 10})}};
  expect_same_outputs(b.bytes(), inputs, "residual in place");
  auto session = Session::load_from_bytes(b.bytes(), cpu_options());
  ASSERT_TRUE(session.is_ok()) << session.status().message();
  RunProfile profile;
  ASSERT_TRUE((*session)->run(inputs, &profile).is_ok());
  const auto fused_steps = std::count_if(profile.entries.begin(), profile.entries.end(),
                                         [](const auto& e) { return e.op_type == "edgeserve.FusedConv"; });
  EXPECT_EQ(fused_steps, 1) << "the residual was copied before the fused conv";
}

// Squeeze-and-excitation: the gate fused as the projection conv's input scale. Batch 1 with a
// small weight scales the weights; batch 2, or weights larger than the activation, scale the
// activation instead — all must match the reference.
TEST(CpuProvider, ChannelScaledConvMatchesReferenceOnEveryPath) {
  std::mt19937 rng(21);
  struct Case { int64_t n, c, m, hw; };
  for (const Case& k : std::vector<Case>{{1, 32, 16, 24}, {2, 32, 16, 12}, {1, 64, 96, 2}}) {
    OnnxModelBuilder b;
    b.input("x", {str(k.n), str(k.c), str(k.hw), str(k.hw)});
    b.initializer("w_se", {k.c, k.c, 1, 1}, random_floats(rng, k.c * k.c, -0.3f, 0.3f));
    b.initializer("w_proj", {k.m, k.c, 3, 3}, random_floats(rng, k.m * k.c * 9, -0.3f, 0.3f));
    b.node("GlobalAveragePool", {"x"}, {"pooled"});
    b.node("Conv", {"pooled", "w_se"}, {"s"});
    b.node("Sigmoid", {"s"}, {"gate"});
    b.node("Mul", {"x", "gate"}, {"scaled"});
    testing::set_ints(b.node("Conv", {"scaled", "w_proj"}, {"y"}), "pads", {1, 1, 1, 1});
    b.output("y");
    const std::string what = "channel scale n=" + str(k.n) + " c=" + str(k.c) + " m=" + str(k.m);
    const Tensor x = random_tensor(rng, {k.n, k.c, k.hw, k.hw});
    auto steps = expect_same_outputs(b.bytes(), {{"x", x}}, what);
    EXPECT_EQ(steps, std::vector<std::string>{"cpu"}) << what;
    SessionOptions winograd = cpu_options();  // a 3x3 conv: must not pick Winograd with scaled weights
    winograd.conv_algorithm = ConvAlgorithm::kWinograd;
    steps = expect_same_outputs(b.bytes(), {{"x", x}}, what + " (winograd allowed)", winograd);
    EXPECT_EQ(steps, std::vector<std::string>{"cpu"}) << what;
  }
}

// An efficientnet-style block — 1x1 expand + SiLU, 3x3 and 5x5 depthwise, squeeze-and-excitation,
// 1x1 projection with residual — in each activation layout the cpu provider can pick.
TEST(CpuProvider, MobileBlockMatchesReferenceInEveryActivationLayout) {
  std::mt19937 rng(22);
  OnnxModelBuilder b;
  b.input("x", {"1", "16", "14", "14"});
  b.initializer("w_exp", {64, 16, 1, 1}, random_floats(rng, 64 * 16, -0.3f, 0.3f));
  b.initializer("w_dw3", {64, 1, 3, 3}, random_floats(rng, 64 * 9, -0.3f, 0.3f));
  b.initializer("w_dw5", {64, 1, 5, 5}, random_floats(rng, 64 * 25, -0.2f, 0.2f));
  b.initializer("w_se1", {16, 64, 1, 1}, random_floats(rng, 16 * 64, -0.3f, 0.3f));
  b.initializer("w_se2", {64, 16, 1, 1}, random_floats(rng, 64 * 16, -0.3f, 0.3f));
  b.initializer("w_proj", {16, 64, 1, 1}, random_floats(rng, 16 * 64, -0.3f, 0.3f));
  b.node("Conv", {"x", "w_exp"}, {"e"});
  b.node("Sigmoid", {"e"}, {"e_sig"});
  b.node("Mul", {"e", "e_sig"}, {"e_act"});
  auto* dw3 = b.node("Conv", {"e_act", "w_dw3"}, {"d3"});
  testing::set_int(dw3, "group", 64);
  testing::set_ints(dw3, "pads", {1, 1, 1, 1});
  auto* dw5 = b.node("Conv", {"d3", "w_dw5"}, {"d5"});
  testing::set_int(dw5, "group", 64);
  testing::set_ints(dw5, "pads", {2, 2, 2, 2});
  b.node("Relu", {"d5"}, {"d"});
  b.node("GlobalAveragePool", {"d"}, {"pooled"});
  b.node("Conv", {"pooled", "w_se1"}, {"s1"});
  b.node("Relu", {"s1"}, {"s1r"});
  b.node("Conv", {"s1r", "w_se2"}, {"s2"});
  b.node("Sigmoid", {"s2"}, {"gate"});
  b.node("Mul", {"d", "gate"}, {"scaled"});
  b.node("Conv", {"scaled", "w_proj"}, {"p"});
  b.node("Add", {"p", "x"}, {"y"});
  b.output("y");
  const Tensor x = random_tensor(rng, {1, 16, 14, 14});
  for (ActivationLayout layout : {ActivationLayout::kAuto, ActivationLayout::kBlocked16, ActivationLayout::kMeasure}) {
    SessionOptions opts = cpu_options();
    opts.layout = layout;
    auto steps = expect_same_outputs(b.bytes(), {{"x", x}}, activation_layout_name(layout), opts);
    EXPECT_EQ(steps, std::vector<std::string>{"cpu"}) << activation_layout_name(layout);
  }
  SessionOptions blocked = cpu_options();
  blocked.layout = ActivationLayout::kBlocked16;
  // brgconv/brdgmm are oneDNN's channels-last kernels: none may run in the blocked layout.
  EXPECT_FALSE(any_contains(kernels_run(b.bytes(), {{"x", x}}, blocked), "brg"));
  SessionOptions automatic = cpu_options();
  automatic.layout = ActivationLayout::kAuto;
  EXPECT_TRUE(any_contains(kernels_run(b.bytes(), {{"x", x}}, automatic), "brg"));  // the check can fail
}

TEST(CpuProvider, BatchAndLayerNormalizationMatchReference) {
  std::mt19937 rng(23);
  // BatchNormalization that nothing folds: after a Relu (in the producer's layout) and on 2-D input.
  for (const Dims& dims : std::vector<Dims>{{2, 6}, {1, 16, 5, 7}, {2, 5, 9}}) {
    const int64_t c = dims[1];
    OnnxModelBuilder b;
    std::vector<std::string> dim_names;
    for (int64_t d : dims) dim_names.push_back(str(d));
    b.input("x", dim_names);
    b.initializer("scale", {c}, random_floats(rng, c, 0.5f, 1.5f));
    b.initializer("bias", {c}, random_floats(rng, c));
    b.initializer("mean", {c}, random_floats(rng, c));
    b.initializer("var", {c}, random_floats(rng, c, 0.1f, 2.f));
    b.node("Relu", {"x"}, {"r"});
    testing::set_float(b.node("BatchNormalization", {"r", "scale", "bias", "mean", "var"}, {"y"}), "epsilon", 1e-3f);
    b.output("y");
    auto steps = expect_same_outputs(b.bytes(), {{"x", random_tensor(rng, dims)}}, "batchnorm rank " + str(static_cast<int64_t>(dims.size())));
    EXPECT_EQ(steps, std::vector<std::string>{"cpu"});
  }
  struct LnCase { Dims dims; int64_t axis; bool bias; };
  for (const LnCase& k : std::vector<LnCase>{{{2, 7, 32}, -1, true}, {{3, 4, 6}, 1, false}, {{5, 16}, -1, false}}) {
    OnnxModelBuilder b(17);
    std::vector<std::string> dim_names;
    for (int64_t d : k.dims) dim_names.push_back(str(d));
    b.input("x", dim_names);
    const int64_t axis = k.axis < 0 ? k.axis + static_cast<int64_t>(k.dims.size()) : k.axis;
    Dims normalized(k.dims.begin() + axis, k.dims.end());
    int64_t inner = 1;
    for (int64_t d : normalized) inner *= d;
    b.initializer("scale", normalized, random_floats(rng, inner, 0.5f, 1.5f));
    if (k.bias) b.initializer("bias", normalized, random_floats(rng, inner));
    auto* ln = b.node("LayerNormalization", k.bias ? std::vector<std::string>{"x", "scale", "bias"}
                                                   : std::vector<std::string>{"x", "scale"}, {"y"});
    testing::set_int(ln, "axis", k.axis);
    b.output("y");
    auto steps = expect_same_outputs(b.bytes(), {{"x", random_tensor(rng, k.dims)}}, "layernorm axis " + str(k.axis));
    EXPECT_EQ(steps, std::vector<std::string>{"cpu"});
  }
}

TEST(CpuProvider, GemmWithFusedGeluMatchesReference) {
  std::mt19937 rng(24);
  OnnxModelBuilder b;
  b.input("x", {"4", "32"});
  b.initializer("w", {32, 24}, random_floats(rng, 32 * 24));
  b.initializer("bias", {24}, random_floats(rng, 24));
  b.initializer("sqrt2", {}, {1.4142135f}).initializer("one", {}, {1.f}).initializer("half", {}, {0.5f});
  b.node("MatMul", {"x", "w"}, {"mm"});
  b.node("Add", {"mm", "bias"}, {"g"});  // MatMul + Add -> Gemm, then GELU fuses into it
  b.node("Div", {"g", "sqrt2"}, {"d"});
  b.node("Erf", {"d"}, {"e"});
  b.node("Add", {"e", "one"}, {"a"});
  b.node("Mul", {"g", "a"}, {"m"});
  b.node("Mul", {"m", "half"}, {"y"});
  b.output("y");
  auto steps = expect_same_outputs(b.bytes(), {{"x", random_tensor(rng, {4, 32})}}, "gemm + gelu");
  EXPECT_EQ(steps, std::vector<std::string>{"cpu"});
  auto session = Session::load_from_bytes(b.bytes(), cpu_options());
  ASSERT_TRUE(session.is_ok());
  EXPECT_EQ((*session)->summary().op_histogram, (std::map<std::string, int>{{"edgeserve.FusedGemm", 1}}));
}

}  // namespace
}  // namespace edgeserve
