// Google Benchmark micro-benchmarks of the main kernels, each a one-node model run through a
// Session on the cpu provider and on the reference provider (the ratio is the figure to quote).
// Run: build/bench/edge_kernels_bench [--benchmark_filter=Conv]
#include <benchmark/benchmark.h>

#include <random>

#include "edgeserve/session.h"
#include "onnx_model_builder.h"

namespace edgeserve {
namespace {

using testing::OnnxModelBuilder;

std::vector<std::string> dims_str(const Dims& d) {
  std::vector<std::string> s;
  for (int64_t x : d) s.push_back(std::to_string(x));
  return s;
}

Tensor random_tensor(const Dims& dims) {
  std::mt19937 rng(1);
  Tensor t = Tensor::allocate(DType::kFloat32, dims).value();
  auto v = testing::random_floats(rng, static_cast<size_t>(t.num_elements()));
  std::copy(v.begin(), v.end(), t.mutable_data<float>());
  return t;
}

// Runs `model` on input x in a loop; reports GFLOP/s when `flops` (per run) is given.
void run_model(benchmark::State& state, const std::string& model, const Dims& x_dims, double flops) {
  SessionOptions opts;
  opts.provider = state.range(0) == 0 ? Provider::kCpu : Provider::kReference;
  opts.threads = 2;
  auto session = Session::load_from_bytes(model, opts);
  if (!session.is_ok()) {
    state.SkipWithError(session.status().message().c_str());
    return;
  }
  const std::vector<NamedTensor> inputs = {{"x", random_tensor(x_dims)}};
  for (auto _ : state) {
    auto out = (*session)->run(inputs);
    benchmark::DoNotOptimize(out);
  }
  state.SetLabel(opts.provider == Provider::kCpu ? "cpu" : "reference");
  if (flops > 0) state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void conv(benchmark::State& state, int64_t c, int64_t m, int64_t hw, int64_t k, int64_t group) {
  std::mt19937 rng(2);
  OnnxModelBuilder b;
  const Dims x = {1, c, hw, hw};
  b.input("x", dims_str(x));
  b.initializer("w", {m, c / group, k, k}, testing::random_floats(rng, m * (c / group) * k * k));
  b.initializer("b", {m}, testing::random_floats(rng, m));
  auto* n = b.node("Conv", {"x", "w", "b"}, {"c"});
  testing::set_ints(n, "pads", {k / 2, k / 2, k / 2, k / 2});
  testing::set_int(n, "group", group);
  b.node("Relu", {"c"}, {"y"});
  b.output("y");
  run_model(state, b.bytes(), x, 2.0 * m * (c / group) * k * k * hw * hw);
}

void BM_Conv3x3_64(benchmark::State& s) { conv(s, 64, 64, 56, 3, 1); }
void BM_Conv1x1_256to64(benchmark::State& s) { conv(s, 256, 64, 56, 1, 1); }
void BM_ConvDepthwise3x3_96(benchmark::State& s) { conv(s, 96, 96, 56, 3, 96); }

void BM_Gemm2048x1000(benchmark::State& state) {
  std::mt19937 rng(3);
  OnnxModelBuilder b;
  b.input("x", {"1", "2048"});
  b.initializer("w", {1000, 2048}, testing::random_floats(rng, 2048 * 1000));
  b.initializer("b", {1000}, testing::random_floats(rng, 1000));
  testing::set_int(b.node("Gemm", {"x", "w", "b"}, {"y"}), "transB", 1);
  b.output("y");
  run_model(state, b.bytes(), {1, 2048}, 2.0 * 2048 * 1000);
}

void BM_MaxPool3x3s2(benchmark::State& state) {
  OnnxModelBuilder b;
  b.input("x", {"1", "64", "112", "112"});
  auto* n = b.node("MaxPool", {"x"}, {"y"});
  testing::set_ints(n, "kernel_shape", {3, 3});
  testing::set_ints(n, "strides", {2, 2});
  testing::set_ints(n, "pads", {1, 1, 1, 1});
  b.output("y");
  run_model(state, b.bytes(), {1, 64, 112, 112}, 0);
}

// Arg 0: cpu provider, 1: reference provider. Real time: the runs are multi-threaded.
BENCHMARK(BM_Conv3x3_64)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv1x1_256to64)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ConvDepthwise3x3_96)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Gemm2048x1000)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MaxPool3x3s2)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace edgeserve

BENCHMARK_MAIN();
