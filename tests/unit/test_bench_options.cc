// `edgeserve bench` option parsing: defaults, thread split between streams, rejected values.
#include <gtest/gtest.h>

#include <cmath>

#include "apps/edgeserve/bench_options.h"

namespace edgeserve::cli {
namespace {

Result<BenchOptions> parse(std::vector<std::string> words, int cores = 4) {
  std::vector<char*> argv = {const_cast<char*>("edgeserve"), const_cast<char*>("bench")};
  for (auto& w : words) argv.push_back(w.data());
  EDGE_ASSIGN_OR_RETURN(Args args, parse_args(static_cast<int>(argv.size()), argv.data(), 2, bench_arg_spec()));
  return parse_bench_options(args, cores);
}

TEST(BenchOptions, Defaults) {
  auto o = parse({"m.onnx"});
  ASSERT_TRUE(o.is_ok()) << o.status().to_string();
  EXPECT_EQ(o->batch, 1);
  EXPECT_EQ(o->threads, 4);  // the available cores
  EXPECT_EQ(o->streams, 1);
  EXPECT_EQ(o->level, 2);
  const LoopLimits m = o->measure_limits();
  EXPECT_EQ(m.max_runs, kDefaultIterations);
  EXPECT_EQ(m.max_seconds, kDefaultMeasureCapS);
  const LoopLimits w = o->warmup_limits();
  EXPECT_EQ(w.max_runs, kDefaultWarmup);
  EXPECT_EQ(w.max_seconds, kDefaultWarmupCapS);
}

TEST(BenchOptions, StreamsShareTheThreads) {
  auto o = parse({"m.onnx", "--threads", "4", "--streams", "3"});
  ASSERT_TRUE(o.is_ok());
  EXPECT_EQ(o->session_threads, 1);
  auto many = parse({"m.onnx", "--threads=2", "--streams=4"});
  ASSERT_TRUE(many.is_ok());
  EXPECT_EQ(many->session_threads, 1);  // never 0
  EXPECT_EQ(many->measure_limits().streams, 4);
}

TEST(BenchOptions, ExplicitCountsAreExact) {
  auto o = parse({"m.onnx", "--iterations", "7", "--warmup", "0"});
  ASSERT_TRUE(o.is_ok());
  EXPECT_EQ(o->measure_limits().max_runs, 7);
  EXPECT_TRUE(std::isinf(o->measure_limits().max_seconds));
  EXPECT_EQ(o->warmup_limits().max_runs, 0);
  auto d = parse({"m.onnx", "--duration", "1.5"});
  ASSERT_TRUE(d.is_ok());
  EXPECT_EQ(d->measure_limits().max_seconds, 1.5);
}

TEST(BenchOptions, RejectsBadValues) {
  const std::vector<std::vector<std::string>> bad = {
      {"m.onnx", "--batch", "0"},        {"m.onnx", "--threads", "-2"},   {"m.onnx", "--threads", "5000"},
      {"m.onnx", "--streams", "0"},      {"m.onnx", "--iterations", "1.5"}, {"m.onnx", "--duration", "-1"},
      {"m.onnx", "--duration", "nan"},   {"m.onnx", "--warmup", "-1"},    {"m.onnx", "--level", "9"},
      {"m.onnx", "--provider", "gpu"},   {"m.onnx", "--shape", "x"},
      {"m.onnx", "--iterations", "2", "--duration", "1"},
      {},
      {"a.onnx", "b.onnx"}};
  for (const auto& words : bad) {
    std::string joined;
    for (const auto& w : words) joined += w + " ";
    EXPECT_FALSE(parse(words).is_ok()) << joined;
  }
}

}  // namespace
}  // namespace edgeserve::cli
