// `edgeserve bench` statistics: percentiles, latency summary, profile aggregation, VmHWM parsing.
#include <gtest/gtest.h>

#include "apps/edgeserve/bench_profile.h"
#include "apps/edgeserve/bench_stats.h"
#include "apps/edgeserve/process_info.h"

namespace edgeserve::cli {
namespace {

TEST(BenchStats, PercentileInterpolatesBetweenRanks) {
  const std::vector<double> v = {1, 2, 3, 4, 5};
  EXPECT_DOUBLE_EQ(percentile(v, 0), 1);
  EXPECT_DOUBLE_EQ(percentile(v, 50), 3);
  EXPECT_DOUBLE_EQ(percentile(v, 90), 4.6);  // rank 3.6: 4 + 0.6 * (5 - 4)
  EXPECT_DOUBLE_EQ(percentile(v, 100), 5);
  EXPECT_DOUBLE_EQ(percentile({7}, 99), 7);
  EXPECT_DOUBLE_EQ(percentile({}, 50), 0);
}

TEST(BenchStats, SummarySortsAndAverages) {
  LatencyStats s = summarize_latencies({4, 1, 3, 2});
  EXPECT_EQ(s.count, 4u);
  EXPECT_DOUBLE_EQ(s.min_ms, 1);
  EXPECT_DOUBLE_EQ(s.max_ms, 4);
  EXPECT_DOUBLE_EQ(s.mean_ms, 2.5);
  EXPECT_DOUBLE_EQ(s.p50_ms, 2.5);
  EXPECT_NEAR(s.p99_ms, 3.97, 1e-12);
}

TEST(BenchStats, ProfileTotalsAverageOverRunsAndCountStepsOnce) {
  RunProfile run;
  run.entries = {{"conv0", "Conv", 3.0, {}},
                 {"fused", "FusedConvRelu", 4.0, {}},
                 {"inner_conv", "Conv", 3.5, "fused"},
                 {"relu0", "Relu", 1.0, {}}};
  ProfileTotals a, b;
  a.add_run(run);
  b.add_run(run);
  a.merge(b);
  EXPECT_EQ(a.runs(), 2);
  EXPECT_DOUBLE_EQ(a.step_ms_per_run(), 8.0);  // the inner entry is part of "fused"
  // Op types count leaves: the fused step is replaced by its inner entries.
  auto ops = a.by_op_type();
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].op_type, "Conv");
  EXPECT_DOUBLE_EQ(ops[0].ms_per_run, 6.5);
  EXPECT_DOUBLE_EQ(ops[0].percent, 100 * 6.5 / 8);
  EXPECT_DOUBLE_EQ(ops[0].nodes_per_run, 2);
  EXPECT_EQ(ops[1].op_type, "Relu");
  EXPECT_DOUBLE_EQ(ops[1].ms_per_run, 1.0);
  auto nodes = a.by_node();
  ASSERT_EQ(nodes.size(), 4u);
  EXPECT_EQ(nodes[0].node, "fused");
  EXPECT_EQ(nodes[1].node, "inner_conv");
  EXPECT_EQ(nodes[1].parent, "fused");
}

TEST(BenchStats, ParsesVmHwm) {
  EXPECT_EQ(parse_vm_hwm_bytes("Name:\tx\nVmPeak:\t  999 kB\nVmHWM:\t    1234 kB\nVmRSS: 1 kB\n"), 1234 * 1024);
  EXPECT_FALSE(parse_vm_hwm_bytes("VmRSS:\t 12 kB\n").has_value());
  EXPECT_FALSE(parse_vm_hwm_bytes("VmHWM:\t kB\n").has_value());
  EXPECT_FALSE(parse_vm_hwm_bytes("VmHWM:\t 12 MB\n").has_value());
}

TEST(BenchStats, ProcessFactsAreSane) {
  EXPECT_GE(available_cores(), 1);
  auto rss = peak_rss_bytes();
  ASSERT_TRUE(rss.has_value());
  EXPECT_GT(*rss, 1 << 20);
}

}  // namespace
}  // namespace edgeserve::cli
