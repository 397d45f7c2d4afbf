// Per-channel calibration ranges, the depthwise coarse-input rule (channel_spread.h), and the
// plan's handling of pairs between FP32 nodes and of tensors kept float.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/onnx/model_import.h"
#include "engine/quantize/channel_spread.h"
#include "engine/quantize/qdq_plan.h"
#include "imported_model.h"
#include "onnx_model_builder.h"

namespace edgeserve::quant {
namespace {

using edgeserve::testing::OnnxModelBuilder;

using edgeserve::testing::import;

TEST(QuantizeChannels, ChannelRangesAreAxisOneAndSkipNonFinite) {
  TensorStats s;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // [N=2, C=2, 2]: channel 0 holds 1, -3, 5, 2; channel 1 holds 0.5, NaN, 0.25, 0.75.
  const std::vector<float> x = {1, -3, 0.5f, nan, 5, 2, 0.25f, 0.75f};
  s.add_channels(x.data(), {2, 2, 2});
  ASSERT_EQ(s.channel_min.size(), 2u);
  EXPECT_EQ(s.channel_min[0], -3.0f);
  EXPECT_EQ(s.channel_max[0], 5.0f);
  EXPECT_EQ(s.channel_min[1], 0.0f);  // ranges start at 0, like the tensor's
  EXPECT_EQ(s.channel_max[1], 0.75f);
  s.add_channels(x.data(), {8});  // rank 1: no channels
  s.add_channels(x.data(), {1, 4, 2});  // another channel count: ignored
  EXPECT_EQ(s.channel_max.size(), 2u);
  EXPECT_EQ(s.channel_max[1], 0.75f);
}

// x[1,3,4,4] -> depthwise Conv(Wd[3,1,1,1], group 3) -> d;  x -> Conv(W[2,3,1,1]) -> c
std::string depthwise_bytes() {
  OnnxModelBuilder m(13);
  m.input("x", {"1", "3", "4", "4"});
  m.initializer("Wd", {3, 1, 1, 1}, std::vector<float>{1, 2, 3});
  m.initializer("W", {2, 3, 1, 1}, std::vector<float>(6, 0.5f));
  auto* dw = m.node("Conv", {"x", "Wd"}, {"d"});
  dw->set_name("dw");
  edgeserve::testing::set_int(dw, "group", 3);
  m.node("Conv", {"x", "W"}, {"c"})->set_name("full");
  return m.output("d").output("c").bytes();
}

StatsMap stats_with_channels(std::vector<float> channel_max) {
  TensorStats s;
  s.max = 10.0f;  // one uint8 step: 10 / 255 = 0.039
  s.channel_min.assign(channel_max.size(), 0.0f);
  s.channel_max = std::move(channel_max);
  return {{"x", s}};
}

TEST(QuantizeChannels, DepthwiseConvWithANarrowInputChannelStaysFp32) {
  Model model = import(depthwise_bytes());
  EXPECT_EQ(depthwise_conv_inputs(*model.graph), (std::set<std::string>{"x"}));
  // Channel 1 spans 0.05 (1.3 steps): narrow. Channel 2 is all zero: exact, not narrow.
  auto coarse = coarse_depthwise_inputs(*model.graph, stats_with_channels({10.0f, 0.05f, 0.0f}),
                                        CalibrationMethod::kMinMax, 99.99);
  ASSERT_EQ(coarse.size(), 1u);  // the regular conv mixes channels: not judged
  const CoarseInput& c = coarse.at("dw");
  EXPECT_EQ(c.tensor, "x");
  EXPECT_EQ(c.narrow, 1);
  EXPECT_EQ(c.channels, 3);
  EXPECT_TRUE(coarse_depthwise_inputs(*model.graph, stats_with_channels({10.0f, 0.2f, 0.0f}),
                                      CalibrationMethod::kMinMax, 99.99).empty());  // 5 steps
  StatsMap no_channels = {{"x", TensorStats{}}};
  EXPECT_TRUE(coarse_depthwise_inputs(*model.graph, no_channels, CalibrationMethod::kMinMax, 99.99).empty());
}

// x -> conv1 -> Sigmoid/Mul (SiLU) -> s -> conv2 -> y
std::string silu_chain_bytes() {
  OnnxModelBuilder m(13);
  m.input("x", {"1", "2", "4", "4"});
  m.initializer("W1", {2, 2, 1, 1}, std::vector<float>{1, -1, 0.5f, 2});
  m.initializer("W2", {1, 2, 1, 1}, std::vector<float>{0.5f, 0.25f});
  m.node("Conv", {"x", "W1"}, {"c1"})->set_name("conv1");
  m.node("Sigmoid", {"c1"}, {"g1"})->set_name("sig1");
  m.node("Mul", {"c1", "g1"}, {"s"})->set_name("mul1");
  m.node("Conv", {"s", "W2"}, {"y"})->set_name("conv2");
  return m.output("y").bytes();
}

std::vector<std::string> names(const std::vector<const Node*>& nodes) {
  std::vector<std::string> out;
  for (const Node* n : nodes) out.push_back(n->name);
  return out;
}

TEST(QuantizeChannels, PairBetweenFp32NodesIsDropped) {
  Model model = import(silu_chain_bytes());
  auto all = plan_qdq(*model.graph, QdqOptions{true, {}});
  ASSERT_TRUE(all.is_ok()) << all.status().message();
  EXPECT_EQ(names(all->quantized), (std::vector<std::string>{"conv1", "sig1", "mul1"}));
  EXPECT_EQ(names(all->weight_only), (std::vector<std::string>{"conv2"}));  // writes the FP32 graph output
  // s stays: mul1 writes it as int8 even though conv2 reads float.
  EXPECT_EQ(all->activations, (std::map<std::string, std::string>{{"c1", "c1"}, {"g1", "g1"}, {"s", "s"}, {"x", "x"}}));
  auto plan = plan_qdq(*model.graph, QdqOptions{true, {{"conv1", KeepReason::kExcludedByUser}}});
  ASSERT_TRUE(plan.is_ok()) << plan.status().message();
  // x sits between the graph input and the FP32 conv1: no pair.
  EXPECT_EQ(plan->activations, (std::map<std::string, std::string>{{"c1", "c1"}, {"g1", "g1"}, {"s", "s"}}));
}

TEST(QuantizeChannels, FloatTensorsLoseTheirPairsAndTheirWritersRunWeightOnly) {
  Model model = import(silu_chain_bytes());
  QdqOptions o{true, {{"sig1", KeepReason::kCoarseInput}, {"mul1", KeepReason::kCoarseInput}}};
  o.float_tensors = {"c1"};
  auto plan = plan_qdq(*model.graph, o);
  ASSERT_TRUE(plan.is_ok()) << plan.status().message();
  // conv1 lost its output pair: int8 weights, float input (x's pair goes too) and output.
  EXPECT_EQ(names(plan->weight_only), (std::vector<std::string>{"conv1", "conv2"}));
  EXPECT_TRUE(plan->quantized.empty());
  EXPECT_TRUE(plan->activations.empty());
  EXPECT_EQ(plan->consts.size(), 2u);  // the two weights
}

}  // namespace
}  // namespace edgeserve::quant
