// QdqOptions::keep_ends_fp32 / sensitive_end_nodes(): the first layer on a graph input and the
// output end of the network (back from each graph output to the first weighted layer) stay FP32.
#include <gtest/gtest.h>

#include "engine/onnx/model_import.h"
#include "engine/quantize/qdq_plan.h"
#include "imported_model.h"
#include "onnx_model_builder.h"

namespace edgeserve::quant {
namespace {

using edgeserve::testing::OnnxModelBuilder;

// x -> conv0 -> relu0 -> conv1 -> relu1 -> conv2 -> relu2 -> concat -> gap -> softmax -> y
//                                      \-> conv3 ------------------/
std::string chain_bytes() {
  OnnxModelBuilder m(13);
  m.input("x", {"1", "2", "4", "4"});
  std::vector<float> w(4, 0.5f);
  m.initializer("W0", {2, 2, 1, 1}, w).initializer("W1", {2, 2, 1, 1}, w).initializer("W2", {2, 2, 1, 1}, w);
  m.initializer("W3", {2, 2, 1, 1}, w);
  m.node("Conv", {"x", "W0"}, {"c0"})->set_name("conv0");
  m.node("Relu", {"c0"}, {"r0"})->set_name("relu0");
  m.node("Conv", {"r0", "W1"}, {"c1"})->set_name("conv1");
  m.node("Relu", {"c1"}, {"r1"})->set_name("relu1");
  m.node("Conv", {"r1", "W2"}, {"c2"})->set_name("conv2");
  m.node("Relu", {"c2"}, {"r2"})->set_name("relu2");
  m.node("Conv", {"r1", "W3"}, {"c3"})->set_name("conv3");
  auto* cat = m.node("Concat", {"r2", "c3"}, {"cat"});
  cat->set_name("concat");
  edgeserve::testing::set_int(cat, "axis", 1);
  m.node("GlobalAveragePool", {"cat"}, {"gap"})->set_name("gap");
  m.node("Softmax", {"gap"}, {"y"})->set_name("softmax");
  return m.output("y").bytes();
}

using edgeserve::testing::import;

TEST(QuantizeEnds, FirstLayerAndEveryPathBackToAWeightedLayer) {
  Model model = import(chain_bytes());
  EXPECT_EQ(sensitive_end_nodes(*model.graph), (std::set<std::string>{"conv0", "conv2", "conv3", "concat", "gap"}));
}

TEST(QuantizeEnds, KeptWithTheirReasonOnlyWhenAsked) {
  Model model = import(chain_bytes());
  auto all = plan_qdq(*model.graph, QdqOptions{true, {}});
  ASSERT_TRUE(all.is_ok()) << all.status().message();
  // All but gap: only the float Softmax reads it.
  EXPECT_EQ(all->kept_fp32, (std::map<std::string, KeepReason>{{"gap", KeepReason::kFloatReaders}}));
  EXPECT_EQ(all->quantized.size(), 5u);
  QdqOptions o{true, {{"conv2", KeepReason::kExcludedByUser}}};
  o.keep_ends_fp32 = true;
  auto ends = plan_qdq(*model.graph, o);
  ASSERT_TRUE(ends.is_ok()) << ends.status().message();
  ASSERT_EQ(ends->quantized.size(), 1u);
  EXPECT_EQ(ends->quantized[0]->name, "conv1");
  EXPECT_EQ(ends->kept_fp32.at("conv2"), KeepReason::kExcludedByUser);  // the user's reason wins
  EXPECT_EQ(ends->kept_fp32.at("conv0"), KeepReason::kSensitive);
  EXPECT_EQ(ends->kept_fp32.at("gap"), KeepReason::kSensitive);
}

}  // namespace
}  // namespace edgeserve::quant
