// QDQ insertion on small built graphs: which nodes get Q/DQ pairs, the scales and zero points
// they carry, per-channel int8 weights exactly round(w / s) with s = max|w| / 127, int32 biases,
// Concat's shared scale, --exclude, opset upgrade, and that the result loads and runs close to FP32.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "edgeserve/session.h"
#include "engine/onnx/model_export.h"
#include "engine/onnx/model_import.h"
#include "engine/quantize/opset_upgrade.h"
#include "engine/quantize/qdq_plan.h"
#include "engine/quantize/qdq_rewrite.h"
#include "imported_model.h"
#include "onnx_model_builder.h"

namespace edgeserve::quant {
namespace {

using edgeserve::testing::OnnxModelBuilder;

int count_ops(const Graph& g, const std::string& op) {
  int n = 0;
  for (const auto& node : g.nodes()) n += node->op_type == op ? 1 : 0;
  return n;
}

const Node* find_node(const Graph& g, const std::string& name) {
  for (const auto& n : g.nodes()) {
    if (n->name == name) return n.get();
  }
  return nullptr;
}

// x[1,2,4,4] -> Conv(W[3,2,1,1], B[3]) -> Relu -> MaxPool 2x2 -> Conv(W2[1,3,1,1]) -> y
struct ConvModel {
  std::vector<float> w = {0.5f, -0.25f, 1.0f, 0.1f, -0.03f, 0.02f};  // per channel max|w|: 0.5, 1.0, 0.03
  std::vector<float> b = {0.1f, -0.2f, 0.3f};
  std::string bytes(int opset = 13) const {
    OnnxModelBuilder m(opset);
    m.input("x", {"1", "2", "4", "4"}).initializer("W", {3, 2, 1, 1}, w).initializer("B", {3}, b);
    m.initializer("W2", {1, 3, 1, 1}, std::vector<float>{0.5f, 0.25f, -0.5f});
    m.node("Conv", {"x", "W", "B"}, {"c"})->set_name("conv");
    m.node("Relu", {"c"}, {"r"})->set_name("relu");
    auto* pool = m.node("MaxPool", {"r"}, {"p"});
    pool->set_name("pool");
    edgeserve::testing::set_ints(pool, "kernel_shape", {2, 2});
    edgeserve::testing::set_ints(pool, "strides", {2, 2});
    m.node("Conv", {"p", "W2"}, {"y"})->set_name("conv2");
    return m.output("y").bytes();
  }
};

using edgeserve::testing::import;

TEST(QuantizeQdq, ConvReluPoolPlanAndCounts) {
  Model model = import(ConvModel{}.bytes());
  auto plan = plan_qdq(*model.graph, QdqOptions{true, {}});
  ASSERT_TRUE(plan.is_ok()) << plan.status().message();
  ASSERT_EQ(plan->quantized.size(), 1u);
  EXPECT_EQ(plan->quantized[0]->name, "conv");
  // conv2 writes the graph output, which stays FP32: no int8 kernel for it, int8 weights only.
  ASSERT_EQ(plan->weight_only.size(), 1u);
  EXPECT_EQ(plan->weight_only[0]->name, "conv2");
  EXPECT_EQ(plan->passthrough.size(), 2u);  // the folded Relu and the MaxPool
  // x and the Relu output get pairs, the MaxPool output reuses the Relu's range; y is only a
  // graph output.
  EXPECT_EQ(plan->activations, (std::map<std::string, std::string>{{"p", "r"}, {"r", "r"}, {"x", "x"}}));
  RangeMap ranges = {{"x", {-1.0f, 2.0f}}, {"r", {0.0f, 5.1f}}};
  ASSERT_TRUE(apply_qdq(model, *plan, ranges).is_ok());
  const Graph& g = *model.graph;
  EXPECT_EQ(count_ops(g, "QuantizeLinear"), 3);
  EXPECT_EQ(count_ops(g, "DequantizeLinear"), 6);  // x, r, p, W, B, W2
  EXPECT_EQ(find_node(g, "conv")->inputs[0]->name, "x_dequantized");
  EXPECT_EQ(find_node(g, "relu")->inputs[0]->name, "c");  // no pair between Conv and Relu
  EXPECT_EQ(find_node(g, "pool")->inputs[0]->name, "r_dequantized");
  EXPECT_EQ(find_node(g, "conv2")->inputs[0]->name, "p_dequantized");
  EXPECT_EQ(g.outputs[0]->name, "y");
  EXPECT_EQ(g.inputs[0]->name, "x");
  const Value* xs = g.find_value("x_scale");
  const Value* xz = g.find_value("x_zero_point");
  ASSERT_TRUE(xs && xz && xs->constant && xz->constant);
  EXPECT_FLOAT_EQ(xs->constant->data<float>()[0], 3.0f / 255);
  EXPECT_EQ(xz->constant->data<uint8_t>()[0], 85);
  EXPECT_FLOAT_EQ(g.find_value("r_scale")->constant->data<float>()[0], 0.02f);
}

TEST(QuantizeQdq, PerChannelWeightsAreRoundOfWOverMaxAbsOver127) {
  ConvModel cm;
  Model model = import(cm.bytes());
  auto plan = plan_qdq(*model.graph, QdqOptions{true, {}});
  ASSERT_TRUE(plan.is_ok());
  ASSERT_TRUE(apply_qdq(model, *plan, {{"x", {-1.0f, 2.0f}}, {"r", {0.0f, 5.1f}}}).is_ok());
  const Graph& g = *model.graph;
  const Tensor& wq = *g.find_value("W_quantized")->constant;
  const Tensor& ws = *g.find_value("W_scale")->constant;
  ASSERT_EQ(wq.dtype(), DType::kInt8);
  ASSERT_EQ(ws.dims(), (Dims{3}));
  const float max_abs[3] = {0.5f, 1.0f, 0.03f};
  for (int c = 0; c < 3; ++c) {
    const float s = max_abs[c] / 127.0f;
    EXPECT_FLOAT_EQ(ws.data<float>()[c], s);
    for (int k = 0; k < 2; ++k) {
      const float w = cm.w[static_cast<size_t>(c * 2 + k)];
      EXPECT_EQ(wq.data<int8_t>()[c * 2 + k], static_cast<int8_t>(std::nearbyint(w / s))) << c << "," << k;
    }
  }
  const Node* dq = g.find_value("W_dequantized")->producer;
  EXPECT_EQ(dq->attr_int("axis").value(), 0);
  // Bias: int32 at x_scale * w_scale[c], zero point 0.
  const Value* bq = find_node(g, "conv")->inputs[2]->producer->inputs[0];
  ASSERT_EQ(bq->constant->dtype(), DType::kInt32);
  for (int c = 0; c < 3; ++c) {
    const float s = (3.0f / 255) * (max_abs[c] / 127.0f);
    EXPECT_EQ(bq->constant->data<int32_t>()[c], static_cast<int32_t>(std::nearbyint(cm.b[static_cast<size_t>(c)] / s)));
  }
}

TEST(QuantizeQdq, PerTensorWeightHasOneScale) {
  Model model = import(ConvModel{}.bytes());
  auto plan = plan_qdq(*model.graph, QdqOptions{false, {}});
  ASSERT_TRUE(plan.is_ok());
  ASSERT_TRUE(apply_qdq(model, *plan, {{"x", {-1.0f, 2.0f}}, {"r", {0.0f, 5.1f}}}).is_ok());
  const Tensor& ws = *model.graph->find_value("W_scale")->constant;
  EXPECT_EQ(ws.num_elements(), 1);
  EXPECT_FLOAT_EQ(ws.data<float>()[0], 1.0f / 127);
  EXPECT_EQ(model.graph->find_value("W_quantized")->constant->data<int8_t>()[5], 3);  // 0.02 * 127 = 2.54
}

TEST(QuantizeQdq, QuantizedModelExportsLoadsAndStaysCloseToFp32) {
  ConvModel cm;
  Model model = import(cm.bytes());
  auto plan = plan_qdq(*model.graph, QdqOptions{true, {}});
  ASSERT_TRUE(plan.is_ok());
  ASSERT_TRUE(apply_qdq(model, *plan, {{"x", {-1.0f, 1.0f}}, {"r", {0.0f, 1.5f}}}).is_ok());
  auto bytes = export_model_bytes(model);
  ASSERT_TRUE(bytes.is_ok()) << bytes.status().message();
  SessionOptions so;
  so.provider = Provider::kReference;
  auto q = Session::load_from_bytes(*bytes, so);
  ASSERT_TRUE(q.is_ok()) << q.status().message();
  auto f = Session::load_from_bytes(cm.bytes(), so);
  ASSERT_TRUE(f.is_ok());
  std::mt19937 rng(3);
  Tensor x = Tensor::from_vector<float>({1, 2, 4, 4}, edgeserve::testing::random_floats(rng, 32));
  auto yq = (*q)->run({{"x", x}});
  auto yf = (*f)->run({{"x", x}});
  ASSERT_TRUE(yq.is_ok() && yf.is_ok());
  float max_diff = 0;
  for (int64_t i = 0; i < (*yf)[0].num_elements(); ++i) {
    max_diff = std::max(max_diff, std::fabs((*yq)[0].data<float>()[i] - (*yf)[0].data<float>()[i]));
  }
  EXPECT_GT(max_diff, 0.0f);           // it is quantized...
  EXPECT_LT(max_diff, 3 * 1.5f / 255);  // ...within a few output steps
}

// x -> conv_a -> a; x -> conv_b -> b; Concat(a, b) -> c -> Add(c, c) -> y
std::string concat_model() {
  OnnxModelBuilder m;
  m.input("x", {"1", "1", "2", "2"}).initializer("Wa", {1, 1, 1, 1}, {1.0f}).initializer("Wb", {1, 1, 1, 1}, {-2.0f});
  m.node("Conv", {"x", "Wa"}, {"a"})->set_name("conv_a");
  m.node("Conv", {"x", "Wb"}, {"b"})->set_name("conv_b");
  edgeserve::testing::set_int(m.node("Concat", {"a", "b"}, {"c"}), "axis", 1);
  m.node("Add", {"c", "c"}, {"y"})->set_name("add");
  return m.output("y").bytes();
}

TEST(QuantizeQdq, ConcatInputsShareTheOutputScale) {
  Model model = import(concat_model());
  auto plan = plan_qdq(*model.graph, QdqOptions{});
  ASSERT_TRUE(plan.is_ok());
  EXPECT_EQ(plan->activations.at("a"), "c");
  EXPECT_EQ(plan->activations.at("b"), "c");
  ASSERT_TRUE(apply_qdq(model, *plan, {{"x", {0, 1}}, {"a", {0, 1}}, {"b", {-2, 0}}, {"c", {-2, 1}}}).is_ok());
  const Graph& g = *model.graph;
  for (const char* t : {"a_scale", "b_scale", "c_scale"}) {
    EXPECT_FLOAT_EQ(g.find_value(t)->constant->data<float>()[0], 3.0f / 255) << t;
  }
  EXPECT_EQ(count_ops(g, "QuantizeLinear"), 4);  // x, a, b, c
}

TEST(QuantizeQdq, ExcludedNodeKeepsFloatWeightsAndUnknownNamesFail) {
  Model model = import(concat_model());
  QdqOptions options;
  options.keep_fp32["conv_b"] = KeepReason::kExcludedByUser;
  auto plan = plan_qdq(*model.graph, options);
  ASSERT_TRUE(plan.is_ok());
  EXPECT_EQ(plan->kept_fp32.count("conv_b"), 1u);
  ASSERT_TRUE(apply_qdq(model, *plan, {{"x", {0, 1}}, {"a", {0, 1}}, {"b", {-2, 0}}, {"c", {-2, 1}}}).is_ok());
  const Node* conv_b = find_node(*model.graph, "conv_b");
  EXPECT_EQ(conv_b->inputs[0]->name, "x");  // FP32 input: its producer is not quantized
  EXPECT_EQ(conv_b->inputs[1]->name, "Wb");
  EXPECT_EQ(model.graph->find_value("Wb_quantized"), nullptr);
  options.keep_fp32["nope"] = KeepReason::kExcludedByUser;
  auto bad = plan_qdq(*model.graph, options);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("'nope'"), std::string::npos);
}

// x -> Conv -> c -> {Sigmoid -> s, Mul(c, s) -> m} -> Conv -> y: SiLU folds into the first Conv.
TEST(QuantizeQdq, SiluIsQuantizedAsItsTwoOpsWithItsInputFloored) {
  OnnxModelBuilder m;
  m.input("x", {"1", "1", "2", "2"}).initializer("W1", {1, 1, 1, 1}, {1.0f}).initializer("W2", {1, 1, 1, 1}, {2.0f});
  m.node("Conv", {"x", "W1"}, {"c"})->set_name("conv1");
  m.node("Sigmoid", {"c"}, {"s"})->set_name("sig");
  m.node("Mul", {"c", "s"}, {"m"})->set_name("mul");
  m.node("Conv", {"m", "W2"}, {"y"})->set_name("conv2");
  Model model = import(m.output("y").bytes());
  auto plan = plan_qdq(*model.graph, QdqOptions{});
  ASSERT_TRUE(plan.is_ok());
  // int8 kernels turn Sigmoid + Mul into one 256-entry table on the int8 conv output.
  ASSERT_EQ(plan->quantized.size(), 3u);
  EXPECT_EQ(plan->quantized[1]->name, "sig");
  EXPECT_EQ(plan->quantized[2]->name, "mul");
  EXPECT_EQ(plan->activations, (std::map<std::string, std::string>{{"c", "c"}, {"m", "m"}, {"s", "s"}, {"x", "x"}}));
  EXPECT_EQ(plan->tensors_of.at("conv1").output, "c");
  // c feeds the SiLU only, which flattens everything below the floor; m feeds conv2.
  EXPECT_EQ(plan->range_floor, (std::map<std::string, float>{{"c", kSigmoidInputFloor}}));
}

// x -> Conv -> Relu -> GlobalAveragePool -> p, then either p is the output (a classifier's
// scores) or two more Convs follow (the last one, on the graph output, computes in float).
std::string pooled_model(bool conv_after_pool) {
  OnnxModelBuilder m;
  m.input("x", {"1", "2", "4", "4"}).initializer("W", {2, 2, 1, 1}, {1.0f, 0.5f, -1.0f, 2.0f});
  m.initializer("W2", {1, 2, 1, 1}, std::vector<float>{0.5f, -0.5f});
  m.node("Conv", {"x", "W"}, {"c"})->set_name("conv");
  m.node("Relu", {"c"}, {"r"})->set_name("relu");
  m.node("GlobalAveragePool", {"r"}, {"p"})->set_name("pool");
  if (!conv_after_pool) return m.output("p").bytes();
  m.initializer("W3", {1, 1, 1, 1}, std::vector<float>{2.0f});
  m.node("Conv", {"p", "W2"}, {"q"})->set_name("conv2");
  m.node("Conv", {"q", "W3"}, {"y"})->set_name("conv3");
  return m.output("y").bytes();
}

// Requantizing pooled scores for a float reader would only round them (ties between the top
// classes); the pool stays int8 where an int8 node reads its output.
TEST(QuantizeQdq, PoolReadOnlyInFloatStaysFloat) {
  Model tail = import(pooled_model(false));
  auto plan = plan_qdq(*tail.graph, QdqOptions{});
  ASSERT_TRUE(plan.is_ok());
  ASSERT_EQ(plan->quantized.size(), 1u);
  EXPECT_EQ(plan->quantized[0]->name, "conv");
  EXPECT_EQ(plan->activations, (std::map<std::string, std::string>{{"r", "r"}, {"x", "x"}}));
  EXPECT_EQ(plan->kept_fp32.at("pool"), KeepReason::kFloatReaders);
  Model inner = import(pooled_model(true));
  plan = plan_qdq(*inner.graph, QdqOptions{});
  ASSERT_TRUE(plan.is_ok());
  ASSERT_EQ(plan->quantized.size(), 3u);
  EXPECT_EQ(plan->quantized[1]->name, "pool");
  EXPECT_EQ(plan->activations.count("p"), 1u);
}

TEST(QuantizeQdq, GemmWeightAxisFollowsTransB) {
  OnnxModelBuilder m;
  m.input("x", {"1", "3"}).initializer("W", {2, 3}, {1, 2, 3, -4, 5, 6}).initializer("C", {2}, {0.5f, -0.5f});
  auto* gemm = m.node("Gemm", {"x", "W", "C"}, {"y"});
  edgeserve::testing::set_int(gemm, "transB", 1);
  Model model = import(m.output("y").bytes());
  auto plan = plan_qdq(*model.graph, QdqOptions{true, {}});
  ASSERT_TRUE(plan.is_ok());
  ASSERT_EQ(plan->consts.size(), 2u);
  EXPECT_EQ(plan->consts[0].axis, 0);  // W is [N, K] with transB
  EXPECT_EQ(plan->consts[1].role, ConstRole::kBias);
  ASSERT_TRUE(apply_qdq(model, *plan, {{"x", {-1, 1}}}).is_ok());
  const Tensor& ws = *model.graph->find_value("W_scale")->constant;
  EXPECT_FLOAT_EQ(ws.data<float>()[0], 3.0f / 127);
  EXPECT_FLOAT_EQ(ws.data<float>()[1], 6.0f / 127);
}

TEST(QuantizeQdq, OpsetUpgradeMovesSoftmaxAndClipTo13) {
  OnnxModelBuilder m(7);
  m.input("x", {"1", "4", "1", "1"});
  auto* clip = m.node("Clip", {"x"}, {"c"});
  edgeserve::testing::set_float(clip, "min", 0.0f);
  edgeserve::testing::set_float(clip, "max", 6.0f);
  m.node("Softmax", {"c"}, {"y"});
  Model model = import(m.output("y").bytes());
  ASSERT_TRUE(upgrade_opset(model).is_ok());
  EXPECT_EQ(model.opsets.at(""), 13);
  auto bytes = export_model_bytes(model);
  ASSERT_TRUE(bytes.is_ok());
  auto s = Session::load_from_bytes(*bytes);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  auto y = (*s)->run({{"x", Tensor::from_vector<float>({1, 4, 1, 1}, {-1.0f, 0.0f, 7.0f, 1.0f})}});
  ASSERT_TRUE(y.is_ok()) << y.status().message();
  const float* v = (*y)[0].data<float>();
  const float e = std::exp(6.0f), sum = 2 + e + std::exp(1.0f);
  EXPECT_NEAR(v[2], e / sum, 1e-6);
  EXPECT_NEAR(v[0], 1 / sum, 1e-6);  // clipped to 0
}

}  // namespace
}  // namespace edgeserve::quant
