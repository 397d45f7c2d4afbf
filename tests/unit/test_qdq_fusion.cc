// QDQ fusion (engine/passes/qdq_fusion.h): each DQ -> op -> Q pattern becomes its integer op, and
// each pattern that would not be exact is left alone; the real MobileNetV2 QDQ model folds into
// exactly the structure of the QOperator model it was derived from.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <random>
#include <tuple>

#include "edgeserve/session.h"
#include "engine/ep/reference/reference_provider.h"
#include "engine/onnx/model_import.h"
#include "engine/onnx/tensor_file.h"
#include "engine/passes/qdq_fusion.h"
#include "onnx/onnx_pb.h"
#include "onnx_model_builder.h"

namespace edgeserve {
namespace {

namespace fs = std::filesystem;

// ONNX models with typed inputs and initializers (the shared builder has float ones only).
class QdqModel {
 public:
  explicit QdqModel(int opset = 13) {
    model_.set_ir_version(8);
    model_.add_opset_import()->set_version(opset);
  }

  QdqModel& input(const std::string& name, int32_t elem_type, const std::vector<int64_t>& dims) {
    auto* vi = graph()->add_input();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem_type);
    auto* shape = tt->mutable_shape();  // dims {}: a scalar
    for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
    return *this;
  }

  template <typename T>
  QdqModel& init(const std::string& name, const std::vector<int64_t>& dims, const std::vector<T>& values) {
    auto* t = graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(static_cast<int32_t>(dtype_of<T>));  // DType values are ONNX's codes
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
    return *this;
  }

  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& domain = "") {
    auto* n = graph()->add_node();
    n->set_op_type(op);
    n->set_name(op + "_" + std::to_string(graph()->node_size()));
    if (!domain.empty()) n->set_domain(domain);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return n;
  }

  // DQ(name) -> name + "_f", with a per-tensor scale and zero point added as initializers.
  template <typename Q>
  QdqModel& dq(const std::string& name, float scale, Q zero_point) {
    init<float>(name + "_s", {}, {scale}).init<Q>(name + "_zp", {}, {zero_point});
    node("DequantizeLinear", {name, name + "_s", name + "_zp"}, {name + "_f"});
    return *this;
  }

  // Q(name + "_f") -> name.
  template <typename Q>
  QdqModel& q(const std::string& name, float scale, Q zero_point) {
    init<float>(name + "_s", {}, {scale}).init<Q>(name + "_zp", {}, {zero_point});
    node("QuantizeLinear", {name + "_f", name + "_s", name + "_zp"}, {name});
    return *this;
  }

  QdqModel& output(const std::string& name) {
    graph()->add_output()->set_name(name);
    return *this;
  }

  std::string bytes() const { return model_.SerializeAsString(); }

 private:
  onnx::GraphProto* graph() { return model_.mutable_graph(); }
  onnx::ModelProto model_;
};

constexpr int32_t kU8 = onnx::TensorProto::UINT8;
constexpr int32_t kI8 = onnx::TensorProto::INT8;

using Histogram = std::map<std::string, int>;

Histogram histogram(const Graph& g) {
  Histogram h;
  for (const auto& n : g.nodes()) ++h[n->domain.empty() ? n->op_type : n->domain + "." + n->op_type];
  return h;
}

// Imports `bytes` and runs the pass; the graph and its op histograms before and after.
struct Folded {
  Model model;
  Histogram before;
  Histogram after;
  const Node* find(const std::string& op_type) const {
    for (const auto& n : model.graph->nodes()) {
      if (n->op_type == op_type) return n.get();
    }
    return nullptr;
  }
};

Folded fold(const std::string& bytes) {
  auto model = import_model_bytes(bytes);
  EXPECT_TRUE(model.is_ok()) << model.status().message();
  if (!model.is_ok()) return {};
  Folded f{std::move(model).value(), {}, {}};
  f.before = histogram(*f.model.graph);
  Status st = fuse_qdq(*f.model.graph);
  EXPECT_TRUE(st.is_ok()) << st.message();
  f.after = histogram(*f.model.graph);
  return f;
}

std::vector<std::string> input_names(const Node* n) {
  std::vector<std::string> names;
  for (const Value* v : n->inputs) names.push_back(v == nullptr ? "" : v->name);
  return names;
}

template <typename T>
std::vector<T> values_of(const Value* v) {
  if (v == nullptr || !v->constant) return {};
  const Tensor& t = *v->constant;
  return std::vector<T>(t.data<T>(), t.data<T>() + t.num_elements());
}

// x (uint8 [1, 2, 4, 4]) -> DQ -> Conv(w int8 [3, 2, 1, 1] per channel, [bias]) -> [act] -> Q -> y.
// `bias_scale_factor` multiplies the bias DQ's scale (1: exactly x_scale * w_scale).
struct ConvCase {
  bool bias = true;
  float bias_scale_factor = 1.f;
  std::string activation;  // "", "Relu", "Clip", "Silu" (Mul(c, Sigmoid(c)))
  float clip_max = 6.f;
  float y_scale = 0.05f;
  uint8_t y_zero_point = 0;
};

const std::vector<float> kWeightScales = {0.25f, 0.5f, 0.125f};
constexpr float kXScale = 0.5f;

std::string conv_model(const ConvCase& c) {
  QdqModel m;
  m.input("x", kU8, {1, 2, 4, 4}).dq<uint8_t>("x", kXScale, 128);
  m.init<int8_t>("w", {3, 2, 1, 1}, {1, -2, 3, -4, 5, -6}).init<float>("w_s", {3}, kWeightScales);
  m.init<int8_t>("w_zp", {3}, {0, 0, 0});
  testing::set_int(m.node("DequantizeLinear", {"w", "w_s", "w_zp"}, {"w_f"}), "axis", 0);
  std::vector<std::string> conv_inputs = {"x_f", "w_f"};
  if (c.bias) {
    std::vector<float> scales;
    for (float ws : kWeightScales) scales.push_back(kXScale * ws * c.bias_scale_factor);
    m.init<int32_t>("b", {3}, {7, -9, 1000}).init<float>("b_s", {3}, scales).init<int32_t>("b_zp", {3}, {0, 0, 0});
    testing::set_int(m.node("DequantizeLinear", {"b", "b_s", "b_zp"}, {"b_f"}), "axis", 0);
    conv_inputs.push_back("b_f");
  }
  const std::string conv_out = c.activation.empty() ? "y_f" : "c";
  m.node("Conv", conv_inputs, {conv_out});
  if (c.activation == "Relu") m.node("Relu", {"c"}, {"y_f"});
  if (c.activation == "Clip") {
    m.init<float>("lo", {}, {0.f}).init<float>("hi", {}, {c.clip_max});
    m.node("Clip", {"c", "lo", "hi"}, {"y_f"});
  }
  if (c.activation == "Silu") {
    m.node("Sigmoid", {"c"}, {"c_sigmoid"});
    m.node("Mul", {"c", "c_sigmoid"}, {"y_f"});
  }
  m.q<uint8_t>("y", c.y_scale, c.y_zero_point).output("y");
  return m.bytes();
}

int64_t integer_at(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kUint8 ? t.data<uint8_t>()[i] : t.data<int8_t>()[i];
}

// Runs `bytes` as float emulation (level 0) and fused (level 2, the reference provider's integer
// kernels) on seeded random inputs. The integer outputs may differ by `max_step` quantization
// steps: the emulation rounds the float op's result once, the integer kernels requantize their
// own way (ONNX Runtime's). Skipped where the reference provider has no QLinear kernels.
void expect_fused_close(const std::string& bytes, int64_t max_step) {
  Node probe;
  probe.op_type = "QLinearConv";
  probe.opset = 13;
  if (!ReferenceProvider().supports(probe)) return;
  SessionOptions opts;
  opts.provider = Provider::kReference;
  opts.optimization_level = 0;
  auto emulated = Session::load_from_bytes(bytes, opts);
  opts.optimization_level = 2;
  auto fused = Session::load_from_bytes(bytes, opts);
  ASSERT_TRUE(emulated.is_ok() && fused.is_ok()) << (fused.is_ok() ? emulated : fused).status().message();
  ASSERT_NE((*emulated)->summary().op_histogram, (*fused)->summary().op_histogram);
  std::mt19937 rng(7);
  std::vector<NamedTensor> inputs;
  for (const TensorInfo& info : (*emulated)->inputs()) {
    Dims dims;
    for (const Dim& d : *info.type.dims) dims.push_back(d.value);
    Tensor t = Tensor::allocate(info.type.dtype, dims).value();
    auto* bytes_out = static_cast<uint8_t*>(t.mutable_raw_data());
    for (size_t i = 0; i < t.byte_size(); ++i) bytes_out[i] = static_cast<uint8_t>(rng());
    inputs.push_back({info.name, t});
  }
  auto want = (*emulated)->run(inputs);
  auto got = (*fused)->run(inputs);
  ASSERT_TRUE(want.is_ok() && got.is_ok()) << (got.is_ok() ? want : got).status().message();
  ASSERT_EQ(want->size(), got->size());
  for (size_t o = 0; o < want->size(); ++o) {
    const Tensor& w = (*want)[o];
    const Tensor& g = (*got)[o];
    ASSERT_EQ(w.dims(), g.dims());
    ASSERT_EQ(w.dtype(), g.dtype());
    int64_t worst = 0;
    for (int64_t i = 0; i < w.num_elements(); ++i) worst = std::max(worst, std::abs(integer_at(w, i) - integer_at(g, i)));
    EXPECT_LE(worst, max_step) << "output " << o;
  }
}

TEST(QdqFusion, ConvWithQuantizedBiasBecomesQLinearConv) {
  Folded f = fold(conv_model({}));
  EXPECT_EQ(f.before, (Histogram{{"DequantizeLinear", 3}, {"Conv", 1}, {"QuantizeLinear", 1}}));
  EXPECT_EQ(f.after, (Histogram{{"QLinearConv", 1}}));
  const Node* conv = f.find("QLinearConv");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->domain, "");
  EXPECT_EQ(conv->opset, 13);
  // The integer tensors and parameters themselves, the int32 bias as it was: names survive.
  EXPECT_EQ(input_names(conv), (std::vector<std::string>{"x", "x_s", "x_zp", "w", "w_s", "w_zp", "y_s", "y_zp", "b"}));
  EXPECT_EQ(conv->outputs[0]->name, "y");
  EXPECT_EQ(conv->outputs[0]->type.dtype, DType::kUint8);
  expect_fused_close(conv_model({}), 1);
}

TEST(QdqFusion, ConvBiasWithAnotherScaleIsRequantized) {
  ConvCase c;
  c.bias_scale_factor = 2.f;  // the bias's float values are 2 * q * x_scale * w_scale
  Folded f = fold(conv_model(c));
  EXPECT_EQ(f.after, (Histogram{{"QLinearConv", 1}}));
  const Node* conv = f.find("QLinearConv");
  ASSERT_NE(conv, nullptr);
  ASSERT_TRUE(conv->has_input(8));
  EXPECT_NE(conv->inputs[8]->name, "b");
  EXPECT_EQ(values_of<int32_t>(conv->inputs[8]), (std::vector<int32_t>{14, -18, 2000}));
  expect_fused_close(conv_model(c), 1);
}

// x -> DQ -> Conv(DQ(w), float bias) -> Q, with x_scale * w_scale = {0.125, 0.25, 0.0625}.
std::string float_bias_conv_model(const std::vector<float>& bias) {
  QdqModel m;
  m.input("x", kU8, {1, 2, 4, 4}).dq<uint8_t>("x", kXScale, 128);
  m.init<int8_t>("w", {3, 2, 1, 1}, {1, -2, 3, -4, 5, -6}).init<float>("w_s", {3}, {0.25f, 0.5f, 0.125f});
  m.init<int8_t>("w_zp", {3}, {0, 0, 0});
  testing::set_int(m.node("DequantizeLinear", {"w", "w_s", "w_zp"}, {"w_f"}), "axis", 0);
  m.init<float>("b", {3}, bias);
  m.node("Conv", {"x_f", "w_f", "b"}, {"y_f"});
  m.q<uint8_t>("y", 0.05f, 0).output("y");
  return m.bytes();
}

TEST(QdqFusion, FloatConvBiasIsQuantizedHalfToEvenAndSaturated) {
  // 1.5 -> 2, 2.5 -> 2 (ties to even), 1e12 saturates (the accumulator then wraps, as in ONNX
  // Runtime: a model quantized that way is broken either way).
  Folded f = fold(float_bias_conv_model({0.1875f, 0.625f, 1e12f}));
  const Node* conv = f.find("QLinearConv");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(values_of<int32_t>(conv->inputs[8]), (std::vector<int32_t>{2, 2, 2147483647}));
  EXPECT_EQ(conv->inputs[8]->name, "b_quantized");
  // Biases on the int32 grid, so that only the kernels' rounding differs from the emulation.
  expect_fused_close(float_bias_conv_model({0.375f, -0.5f, 0.3125f}), 1);
}

TEST(QdqFusion, ConvWithoutBias) {
  ConvCase c;
  c.bias = false;
  Folded f = fold(conv_model(c));
  EXPECT_EQ(f.after, (Histogram{{"QLinearConv", 1}}));
  EXPECT_EQ(f.find("QLinearConv")->inputs.size(), 8u);
  expect_fused_close(conv_model(c), 1);
}

TEST(QdqFusion, ReluIsAbsorbedWhenTheOutputZeroPointIsTheTypeMinimum) {
  ConvCase c;
  c.activation = "Relu";
  Folded f = fold(conv_model(c));
  EXPECT_EQ(f.before, (Histogram{{"DequantizeLinear", 3}, {"Conv", 1}, {"Relu", 1}, {"QuantizeLinear", 1}}));
  EXPECT_EQ(f.after, (Histogram{{"QLinearConv", 1}}));
  expect_fused_close(conv_model(c), 1);
}

// SiLU between the conv and Q: edgeserve.QLinearConv applies it to the real-valued accumulator
// (float SiLU, then one rounding), as the float emulation does.
TEST(QdqFusion, SiluBetweenConvAndQBecomesEdgeserveQLinearConv) {
  ConvCase c;
  c.activation = "Silu";
  c.y_zero_point = 10;  // SiLU dips to -0.28: a zero point above the type minimum keeps it
  Folded f = fold(conv_model(c));
  EXPECT_EQ(f.after, (Histogram{{"edgeserve.QLinearConv", 1}}));
  const Node* conv = f.find("QLinearConv");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->attr_string("activation").value(), "Silu");
  EXPECT_EQ(conv->inputs.size(), 9u);
  expect_fused_close(conv_model(c), 1);
}

TEST(QdqFusion, ReluIsLeftAloneWhenQDoesNotSaturateBelowZero) {
  ConvCase c;
  c.activation = "Relu";
  c.y_zero_point = 10;  // Q(-0.5) = 0 != Q(Relu(-0.5)) = 10
  Folded f = fold(conv_model(c));
  EXPECT_EQ(f.after, f.before);
}

TEST(QdqFusion, ClipIsAbsorbedOnlyWhenItsMaximumSaturates) {
  ConvCase c;
  c.activation = "Clip";
  c.clip_max = 6.f;
  c.y_scale = 6.f / 255.f;  // round(6 / y_scale) = 255: values above 6 saturate anyway
  EXPECT_EQ(fold(conv_model(c)).after, (Histogram{{"QLinearConv", 1}}));
  expect_fused_close(conv_model(c), 1);
  c.y_scale = 0.01f;  // Q(6) = 255, but so does everything above 2.55: Clip(0, 6) is redundant
  EXPECT_EQ(fold(conv_model(c)).after, (Histogram{{"QLinearConv", 1}}));
  c.y_scale = 0.1f;  // Q(6) = 60: Clip changes Q(7) from 70 to 60
  Folded kept = fold(conv_model(c));
  EXPECT_EQ(kept.after, kept.before);
}

TEST(QdqFusion, SharedFloatOutputIsLeftAlone) {
  // The Conv's float output also feeds a Sigmoid: the float value must stay.
  QdqModel m;
  m.input("x", kU8, {1, 2, 4, 4}).dq<uint8_t>("x", 0.5f, 128);
  m.init<int8_t>("w", {3, 2, 1, 1}, {1, -2, 3, -4, 5, -6}).dq<int8_t>("w", 0.25f, 0);
  m.node("Conv", {"x_f", "w_f"}, {"y_f"});
  m.q<uint8_t>("y", 0.05f, 0);
  m.node("Sigmoid", {"y_f"}, {"z"});
  m.output("y").output("z");
  Folded f = fold(m.bytes());
  EXPECT_EQ(f.after, f.before);
}

TEST(QdqFusion, NonConstantScaleIsLeftAlone) {
  QdqModel m;
  m.input("a", kU8, {2, 4}).input("b", kU8, {2, 4}).input("a_s", onnx::TensorProto::FLOAT, {});
  m.init<uint8_t>("a_zp", {}, {128});
  m.node("DequantizeLinear", {"a", "a_s", "a_zp"}, {"a_f"});
  m.dq<uint8_t>("b", 0.5f, 128);
  m.node("Add", {"a_f", "b_f"}, {"y_f"});
  m.q<uint8_t>("y", 0.5f, 128).output("y");
  Folded f = fold(m.bytes());
  EXPECT_EQ(f.before, (Histogram{{"DequantizeLinear", 2}, {"Add", 1}, {"QuantizeLinear", 1}}));
  EXPECT_EQ(f.after, f.before);
}

// DQ(a), DQ(b) -> op -> Q for the binary com.microsoft ops; b may be a constant.
std::string binary_model(const std::string& op, bool constant_b) {
  QdqModel m;
  m.input("a", kI8, {2, 3, 4});
  if (constant_b) m.init<int8_t>("b", {4}, {1, 2, 3, 4});
  else m.input("b", kI8, {2, 3, 4});
  m.dq<int8_t>("a", 0.1f, -3).dq<int8_t>("b", 0.2f, 5);
  m.node(op, {"a_f", "b_f"}, {"y_f"});
  m.q<int8_t>("y", 0.3f, 1).output("y");
  return m.bytes();
}

TEST(QdqFusion, AddAndMulBecomeMicrosoftQLinearOps) {
  for (const char* op : {"Add", "Mul"}) {
    Folded f = fold(binary_model(op, /*constant_b=*/true));
    const std::string qop = std::string("QLinear") + op;
    EXPECT_EQ(f.after, (Histogram{{"com.microsoft." + qop, 1}})) << op;
    const Node* n = f.find(qop);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->domain, "com.microsoft");
    EXPECT_EQ(n->opset, 1);
    EXPECT_EQ(input_names(n), (std::vector<std::string>{"a", "a_s", "a_zp", "b", "b_s", "b_zp", "y_s", "y_zp"}));
    expect_fused_close(binary_model(op, /*constant_b=*/true), 1);
    expect_fused_close(binary_model(op, /*constant_b=*/false), 1);
  }
}

TEST(QdqFusion, MixedIntegerTypesAreLeftAlone) {
  QdqModel m;
  m.input("a", kU8, {2, 4}).input("b", kI8, {2, 4});
  m.dq<uint8_t>("a", 0.1f, 128).dq<int8_t>("b", 0.1f, 0);
  m.node("Add", {"a_f", "b_f"}, {"y_f"});
  m.q<uint8_t>("y", 0.3f, 128).output("y");
  Folded f = fold(m.bytes());
  EXPECT_EQ(f.after, f.before);
}

TEST(QdqFusion, OmittedZeroPointsBecomeZeroConstants) {
  QdqModel m;
  m.input("a", kU8, {2, 4}).input("b", kU8, {2, 4});
  m.init<float>("a_s", {}, {0.1f}).init<float>("b_s", {}, {0.2f}).init<float>("y_s", {}, {0.3f});
  m.node("DequantizeLinear", {"a", "a_s"}, {"a_f"});
  m.node("DequantizeLinear", {"b", "b_s"}, {"b_f"});
  m.node("Add", {"a_f", "b_f"}, {"y_f"});
  m.node("QuantizeLinear", {"y_f", "y_s"}, {"y"});  // no zero point: uint8
  m.output("y");
  Folded f = fold(m.bytes());
  const Node* n = f.find("QLinearAdd");
  ASSERT_NE(n, nullptr);
  ASSERT_EQ(n->inputs.size(), 8u);
  for (size_t i : {size_t{2}, size_t{5}, size_t{7}}) {
    EXPECT_EQ(values_of<uint8_t>(n->inputs[i]), std::vector<uint8_t>{0}) << i;
  }
}

TEST(QdqFusion, ResidualBranchGetsTheIntegerTensorAndOtherReadersKeepTheDq) {
  // DQ(x) feeds an Add with DQ(r) (fused), the Add's second operand too... and a Softmax (float).
  QdqModel m;
  m.input("x", kU8, {2, 4}).input("r", kU8, {2, 4});
  m.dq<uint8_t>("x", 0.1f, 128).dq<uint8_t>("r", 0.1f, 128);
  m.node("Add", {"x_f", "r_f"}, {"y_f"});
  m.q<uint8_t>("y", 0.2f, 128);
  m.node("Mul", {"x_f", "y_f2"}, {"z_f"});
  m.node("Sigmoid", {"x_f"}, {"s"});
  m.output("y").output("s");
  // y_f2 = DQ(y): a second residual consumer of a quantized tensor.
  m.init<float>("y2_s", {}, {0.2f}).init<uint8_t>("y2_zp", {}, {128});
  m.node("DequantizeLinear", {"y", "y2_s", "y2_zp"}, {"y_f2"});
  m.q<uint8_t>("z", 0.4f, 128).output("z");
  Folded f = fold(m.bytes());
  EXPECT_EQ(f.after,
            (Histogram{{"DequantizeLinear", 1}, {"Sigmoid", 1}, {"com.microsoft.QLinearAdd", 1},
                       {"com.microsoft.QLinearMul", 1}}));
  EXPECT_EQ(input_names(f.find("QLinearAdd"))[0], "x");
  EXPECT_EQ(input_names(f.find("QLinearMul"))[0], "x");
  EXPECT_EQ(input_names(f.find("QLinearMul"))[3], "y");
  EXPECT_EQ(input_names(f.find("DequantizeLinear"))[0], "x");  // kept for the Sigmoid
}

TEST(QdqFusion, MatMulBecomesQLinearMatMulWithPerColumnWeights) {
  QdqModel m;
  m.input("a", kU8, {2, 5, 3}).dq<uint8_t>("a", 0.1f, 128);
  m.init<int8_t>("b", {3, 2}, {1, 2, 3, 4, 5, 6}).init<float>("b_s", {2}, {0.5f, 0.25f});
  m.init<int8_t>("b_zp", {2}, {0, 0});
  testing::set_int(m.node("DequantizeLinear", {"b", "b_s", "b_zp"}, {"b_f"}), "axis", 1);
  m.node("MatMul", {"a_f", "b_f"}, {"y_f"});
  m.q<uint8_t>("y", 0.3f, 100).output("y");
  Folded f = fold(m.bytes());
  EXPECT_EQ(f.after, (Histogram{{"QLinearMatMul", 1}}));
  EXPECT_EQ(input_names(f.find("QLinearMatMul")),
            (std::vector<std::string>{"a", "a_s", "a_zp", "b", "b_s", "b_zp", "y_s", "y_zp"}));
  expect_fused_close(m.bytes(), 1);
}

std::string gemm_model(bool with_c) {
  QdqModel m;
  m.input("a", kU8, {2, 3}).dq<uint8_t>("a", 0.1f, 128);
  m.init<int8_t>("b", {2, 3}, {1, 2, 3, 4, 5, 6}).init<float>("b_s", {2}, {0.5f, 0.25f});
  m.init<int8_t>("b_zp", {2}, {0, 0});
  testing::set_int(m.node("DequantizeLinear", {"b", "b_s", "b_zp"}, {"b_f"}), "axis", 0);
  std::vector<std::string> inputs = {"a_f", "b_f"};
  if (with_c) {
    m.init<float>("c", {2}, {0.5f, -0.5f});
    inputs.push_back("c");
  }
  testing::set_int(m.node("Gemm", inputs, {"y_f"}), "transB", 1);
  m.q<uint8_t>("y", 0.3f, 100).output("y");
  return m.bytes();
}

TEST(QdqFusion, GemmWithTransposedWeightsBecomesQLinearMatMul) {
  Folded f = fold(gemm_model(/*with_c=*/false));
  EXPECT_EQ(f.after, (Histogram{{"QLinearMatMul", 1}}));
  const Node* n = f.find("QLinearMatMul");
  ASSERT_NE(n, nullptr);
  EXPECT_TRUE(n->attributes.empty());
  EXPECT_EQ(values_of<int8_t>(n->inputs[3]), (std::vector<int8_t>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(n->inputs[3]->constant->dims(), (Dims{3, 2}));
  EXPECT_EQ(n->inputs[4]->name, "b_s");  // per output column either way
  expect_fused_close(gemm_model(/*with_c=*/false), 1);
}

TEST(QdqFusion, GemmWithFloatBiasBecomesQGemm) {
  Folded f = fold(gemm_model(/*with_c=*/true));
  EXPECT_EQ(f.after, (Histogram{{"com.microsoft.QGemm", 1}}));
}

// DQ -> op -> Q for a single-input op with `attrs` applied.
std::string unary_model(const std::string& op, float y_scale, std::function<void(onnx::NodeProto*)> attrs = {}) {
  QdqModel m;
  m.input("x", kU8, {1, 2, 4, 4}).dq<uint8_t>("x", 0.1f, 128);
  auto* n = m.node(op, {"x_f"}, {"y_f"});
  if (attrs) attrs(n);
  m.q<uint8_t>("y", y_scale, 128).output("y");
  return m.bytes();
}

TEST(QdqFusion, PoolsAndActivationsBecomeMicrosoftQLinearOps) {
  const auto pool_attrs = [](onnx::NodeProto* n) {
    testing::set_ints(n, "kernel_shape", {2, 2});
    testing::set_ints(n, "strides", {2, 2});
  };
  const auto alpha = [](onnx::NodeProto* n) { testing::set_float(n, "alpha", 0.2f); };
  const std::vector<std::tuple<std::string, std::string, std::function<void(onnx::NodeProto*)>>> cases = {
      {"GlobalAveragePool", "QLinearGlobalAveragePool", {}},
      {"AveragePool", "QLinearAveragePool", pool_attrs},
      {"Sigmoid", "QLinearSigmoid", {}},
      {"LeakyRelu", "QLinearLeakyRelu", alpha},
  };
  for (const auto& [op, qop, attrs] : cases) {
    Folded f = fold(unary_model(op, 0.2f, attrs));
    EXPECT_EQ(f.after, (Histogram{{"com.microsoft." + qop, 1}})) << op;
    const Node* n = f.find(qop);
    ASSERT_NE(n, nullptr) << op;
    EXPECT_EQ(input_names(n), (std::vector<std::string>{"x", "x_s", "x_zp", "y_s", "y_zp"}));
    if (op == "AveragePool") {
      EXPECT_EQ(n->attr_ints("kernel_shape").value(), (std::vector<int64_t>{2, 2}));
      EXPECT_EQ(n->attr_int("channels_last").value(), 0);
    }
    if (op == "LeakyRelu") {
      EXPECT_EQ(n->attr_float("alpha").value(), 0.2f);
    }
    expect_fused_close(unary_model(op, 0.2f, attrs), 1);
  }
}

TEST(QdqFusion, ConcatBecomesQLinearConcat) {
  QdqModel m;
  m.input("a", kU8, {1, 2, 3}).input("b", kU8, {1, 4, 3});
  m.dq<uint8_t>("a", 0.1f, 128).dq<uint8_t>("b", 0.2f, 120);
  testing::set_int(m.node("Concat", {"a_f", "b_f"}, {"y_f"}), "axis", 1);
  m.q<uint8_t>("y", 0.2f, 120).output("y");
  Folded f = fold(m.bytes());
  EXPECT_EQ(f.after, (Histogram{{"com.microsoft.QLinearConcat", 1}}));
  const Node* n = f.find("QLinearConcat");
  EXPECT_EQ(input_names(n), (std::vector<std::string>{"y_s", "y_zp", "a", "a_s", "a_zp", "b", "b_s", "b_zp"}));
  EXPECT_EQ(n->attr_int("axis").value(), 1);
  expect_fused_close(m.bytes(), 1);
}

TEST(QdqFusion, MaxPoolRunsOnTheIntegerTensorOnlyWithTheSameScale) {
  const auto attrs = [](onnx::NodeProto* n) { testing::set_ints(n, "kernel_shape", {2, 2}); };
  Folded same = fold(unary_model("MaxPool", 0.1f, attrs));  // DQ and Q: 0.1, 128
  EXPECT_EQ(same.after, (Histogram{{"MaxPool", 1}}));
  const Node* n = same.find("MaxPool");
  EXPECT_EQ(input_names(n)[0], "x");
  EXPECT_EQ(n->outputs[0]->name, "y");
  expect_fused_close(unary_model("MaxPool", 0.1f, attrs), 0);
  Folded other = fold(unary_model("MaxPool", 0.2f, attrs));
  EXPECT_EQ(other.after, other.before);
}

TEST(QdqFusion, ShapeOpsRunOnTheIntegerTensor) {
  QdqModel m;
  m.input("x", kI8, {2, 3, 4}).dq<int8_t>("x", 0.1f, 3);
  m.init<int64_t>("shape", {2}, {6, 4}).init<int64_t>("axes", {1}, {0});
  m.node("Reshape", {"x_f", "shape"}, {"r_f"});
  m.init<float>("r_s", {}, {0.1f}).init<int8_t>("r_zp", {}, {3});
  m.node("QuantizeLinear", {"r_f", "r_s", "r_zp"}, {"r"});
  m.node("DequantizeLinear", {"r", "r_s", "r_zp"}, {"r_f2"});
  testing::set_ints(m.node("Transpose", {"r_f2"}, {"t_f"}), "perm", {1, 0});
  m.node("QuantizeLinear", {"t_f", "r_s", "r_zp"}, {"t"});
  m.node("DequantizeLinear", {"t", "r_s", "r_zp"}, {"t_f2"});
  m.node("Unsqueeze", {"t_f2", "axes"}, {"u_f"});
  m.node("QuantizeLinear", {"u_f", "r_s", "r_zp"}, {"u"});
  m.output("u");
  Folded f = fold(m.bytes());
  EXPECT_EQ(f.after, (Histogram{{"Reshape", 1}, {"Transpose", 1}, {"Unsqueeze", 1}}));
  EXPECT_EQ(f.model.graph->outputs[0]->type.dtype, DType::kInt8);
  expect_fused_close(m.bytes(), 0);
}

TEST(QdqFusion, ResizeFoldsOnlyWhenNearest) {
  for (const char* mode : {"nearest", "linear"}) {
    QdqModel m;
    m.input("x", kU8, {1, 1, 2, 2}).dq<uint8_t>("x", 0.1f, 128);
    m.init<float>("scales", {4}, {1.f, 1.f, 2.f, 2.f});
    testing::set_string(m.node("Resize", {"x_f", "", "scales"}, {"y_f"}), "mode", mode);
    m.q<uint8_t>("y", 0.1f, 128).output("y");
    Folded f = fold(m.bytes());
    const bool nearest = std::string(mode) == "nearest";
    const Histogram expected = nearest ? Histogram{{"Resize", 1}} : f.before;
    EXPECT_EQ(f.after, expected) << mode;
    if (nearest) expect_fused_close(m.bytes(), 0);
  }
}

// ../shared/models, when present.
fs::path shared_models() {
  if (const char* dir = std::getenv("EDGE_SHARED_MODELS")) return dir;
  return fs::path(__FILE__).parent_path() / ".." / ".." / ".." / "shared" / "models";
}

fs::path mobilenet_dir() { return shared_models() / "mobilenetv2-12-int8"; }

TEST(QdqFusion, MobileNetV2QdqFoldsIntoTheQOperatorModel) {
  const fs::path qdq = mobilenet_dir() / "mobilenetv2-12-int8.qdq-derived.onnx";
  if (!fs::exists(qdq)) GTEST_SKIP() << qdq << " is absent";
  // Through the whole level-2 pipeline and the ONNX writer, as `edgeserve optimize` does.
  const fs::path out = fs::path(::testing::TempDir()) / "qdq_fusion_mobilenet.onnx";
  Status st = optimize_model(qdq.string(), out.string(), 2);
  ASSERT_TRUE(st.is_ok()) << st.message();
  auto folded = import_model_file(out.string());
  ASSERT_TRUE(folded.is_ok()) << folded.status().message();
  auto original = import_model_file((mobilenet_dir() / "mobilenetv2-12-int8.onnx").string());
  ASSERT_TRUE(original.is_ok()) << original.status().message();
  Histogram h = histogram(*folded->graph);
  EXPECT_EQ(h["QLinearConv"], 52);
  EXPECT_EQ(h["com.microsoft.QLinearAdd"], 11);
  EXPECT_EQ(h["com.microsoft.QLinearGlobalAveragePool"], 1);
  EXPECT_EQ(h["QLinearMatMul"], 1);
  EXPECT_EQ(h["QuantizeLinear"], 1);
  EXPECT_EQ(folded->opsets.at("com.microsoft"), 1);
  // Every quantized node is the original's: same op, same integer tensors and parameters by
  // name. DQ only where the original has one (the flatten's shape arithmetic, which other passes
  // may fold, is not compared).
  std::map<std::string, const Node*> by_output;
  Histogram quantized_ops;
  const auto is_quantized = [](const Node& n) {
    return n.op_type.rfind("QLinear", 0) == 0 || n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear";
  };
  for (const auto& n : original->graph->nodes()) {
    by_output[n->outputs[0]->name] = n.get();
    if (is_quantized(*n) && n->op_type != "DequantizeLinear") ++quantized_ops[n->op_type];
  }
  for (const auto& n : folded->graph->nodes()) {
    if (!is_quantized(*n)) continue;
    if (n->op_type != "DequantizeLinear") --quantized_ops[n->op_type];
    auto it = by_output.find(n->outputs[0]->name);
    ASSERT_NE(it, by_output.end()) << n->describe();
    EXPECT_EQ(n->op_type, it->second->op_type) << n->describe();
    EXPECT_EQ(n->domain, it->second->domain) << n->describe();
    EXPECT_EQ(input_names(n.get()), input_names(it->second)) << n->describe();
  }
  for (const auto& [op, missing] : quantized_ops) EXPECT_EQ(missing, 0) << op;
}

TEST(QdqFusion, MobileNetV2QdqRunsBitIdenticallyToOnnxRuntime) {
  const fs::path qdq = mobilenet_dir() / "mobilenetv2-12-int8.qdq-derived.onnx";
  const fs::path data = mobilenet_dir() / "test_data_set_qdq_fused";
  if (!fs::exists(qdq)) GTEST_SKIP() << qdq << " is absent";
  Node probe;
  probe.op_type = "QLinearConv";
  probe.opset = 13;
  if (!ReferenceProvider().supports(probe)) GTEST_SKIP() << "the reference provider has no QLinearConv yet";
  SessionOptions opts;
  opts.provider = Provider::kReference;
  auto session = Session::load(qdq.string(), opts);
  ASSERT_TRUE(session.is_ok()) << session.status().message();
  auto input = read_tensor_file((data / "input_0.pb").string());
  auto expected = read_tensor_file((data / "output_0.pb").string());
  ASSERT_TRUE(input.is_ok() && expected.is_ok());
  auto outputs = (*session)->run({{"input", input->tensor}});
  ASSERT_TRUE(outputs.is_ok()) << outputs.status().message();
  const Tensor& got = (*outputs)[0];
  const Tensor& want = expected->tensor;
  ASSERT_EQ(got.dims(), want.dims());
  int mismatches = 0;
  for (int64_t i = 0; i < want.num_elements(); ++i) {
    if (got.data<float>()[i] != want.data<float>()[i] && ++mismatches <= 5) {
      ADD_FAILURE() << "logit " << i << ": " << got.data<float>()[i] << " != " << want.data<float>()[i];
    }
  }
  EXPECT_EQ(mismatches, 0);
}

// ---- Gemm with a bias -> com.microsoft.QGemm ------------------------------------------------------

// a (uint8 [2, 3]) -> DQ -> Gemm(W int8 per column, bias) [-> Relu] [-> Q] -> y. `bias`: "dq" (int32
// with scale a_scale * w_scale, or times `bias_scale_factor`), "float" (a float constant) or "".
struct QGemmCase {
  bool trans_b = true;
  std::string bias = "dq";
  float bias_scale_factor = 1.f;
  bool relu = false;
  bool q = true;
  float alpha = 1.f;
};

std::string qgemm_model(const QGemmCase& c) {
  const std::vector<float> w_scales = {0.5f, 0.25f};
  QdqModel m;
  m.input("a", kU8, {2, 3}).dq<uint8_t>("a", 0.1f, 128);
  m.init<int8_t>("w", c.trans_b ? std::vector<int64_t>{2, 3} : std::vector<int64_t>{3, 2}, {1, 2, 3, 4, 5, 6});
  m.init<float>("w_s", {2}, w_scales).init<int8_t>("w_zp", {2}, {0, 0});
  testing::set_int(m.node("DequantizeLinear", {"w", "w_s", "w_zp"}, {"w_f"}), "axis", c.trans_b ? 0 : 1);
  std::vector<std::string> inputs = {"a_f", "w_f"};
  if (c.bias == "dq") {
    std::vector<float> scales;
    for (float ws : w_scales) scales.push_back(0.1f * ws * c.bias_scale_factor);
    m.init<int32_t>("c", {2}, {40, -300}).init<float>("c_s", {2}, scales).init<int32_t>("c_zp", {2}, {0, 0});
    testing::set_int(m.node("DequantizeLinear", {"c", "c_s", "c_zp"}, {"c_f"}), "axis", 0);
    inputs.push_back("c_f");
  } else if (c.bias == "float") {
    m.init<float>("c_f", {2}, {0.5f, -0.5f});
    inputs.push_back("c_f");
  }
  const std::string gemm_out = c.relu ? "g" : (c.q ? "y_f" : "y");
  auto* gemm = m.node("Gemm", inputs, {gemm_out});
  testing::set_int(gemm, "transB", c.trans_b ? 1 : 0);
  if (c.alpha != 1.f) testing::set_float(gemm, "alpha", c.alpha);
  if (c.relu) m.node("Relu", {"g"}, {c.q ? "y_f" : "y"});
  if (c.q) m.q<uint8_t>("y", 0.3f, 0);
  m.output("y");
  return m.bytes();
}

TEST(QdqFusion, GemmWithQuantizedBiasAndReluBecomesQGemm) {
  for (bool trans_b : {true, false}) {
    QGemmCase c;
    c.trans_b = trans_b;
    c.relu = true;  // Q with zero point 0 saturates at 0 anyway
    Folded f = fold(qgemm_model(c));
    EXPECT_EQ(f.after, (Histogram{{"com.microsoft.QGemm", 1}})) << trans_b;
    const Node* n = f.find("QGemm");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(input_names(n), (std::vector<std::string>{"a", "a_s", "a_zp", "w", "w_s", "w_zp", "c", "y_s", "y_zp"}));
    EXPECT_EQ(n->attributes.size(), 1u);
    EXPECT_EQ(n->attr_int("transB", 0).value(), trans_b ? 1 : 0);
    EXPECT_EQ(n->outputs[0]->name, "y");
    expect_fused_close(qgemm_model(c), 1);
  }
}

TEST(QdqFusion, QGemmBiasIsRequantizedWhenItsScaleDiffers) {
  QGemmCase c;
  c.bias_scale_factor = 2.f;  // the int32 values stand for twice their value at a_scale * w_scale
  Folded f = fold(qgemm_model(c));
  EXPECT_EQ(f.after, (Histogram{{"com.microsoft.QGemm", 1}}));
  const Node* n = f.find("QGemm");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(values_of<int32_t>(n->inputs[6]), (std::vector<int32_t>{80, -600}));
  c.bias = "float";  // 0.5 / 0.05 = 10, -0.5 / 0.025 = -20
  f = fold(qgemm_model(c));
  n = f.find("QGemm");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(values_of<int32_t>(n->inputs[6]), (std::vector<int32_t>{10, -20}));
  expect_fused_close(qgemm_model(c), 1);
}

TEST(QdqFusion, GemmWithFloatOutputBecomesQGemmOnlyAsOnnxRuntimeFusesIt) {
  QGemmCase c;
  c.q = false;  // int32 bias at exactly a_scale * w_scale: ORT's QGemm with a float output
  Folded f = fold(qgemm_model(c));
  EXPECT_EQ(f.after, (Histogram{{"com.microsoft.QGemm", 1}}));
  const Node* n = f.find("QGemm");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(input_names(n), (std::vector<std::string>{"a", "a_s", "a_zp", "w", "w_s", "w_zp", "c"}));
  EXPECT_EQ(n->outputs[0]->name, "y");
  c.relu = true;  // a Relu ORT cannot drop without a Q stays, reading the float output
  f = fold(qgemm_model(c));
  EXPECT_EQ(f.after, (Histogram{{"com.microsoft.QGemm", 1}, {"Relu", 1}}));
  for (const char* bias : {"float", ""}) {  // a float bias: ORT keeps the float Gemm; no bias: QGemm
    QGemmCase k;
    k.q = false;
    k.bias = bias;
    f = fold(qgemm_model(k));
    if (k.bias.empty()) {
      EXPECT_EQ(f.after, (Histogram{{"com.microsoft.QGemm", 1}}));
    } else {
      EXPECT_EQ(f.after, f.before);
    }
  }
  c = QGemmCase{};
  c.q = false;
  c.bias_scale_factor = 2.f;  // would need requantizing, which ORT does not do: left alone
  f = fold(qgemm_model(c));
  EXPECT_EQ(f.after, f.before);
}

TEST(QdqFusion, GemmWithAlphaIsLeftAlone) {
  QGemmCase c;
  c.alpha = 2.f;
  Folded f = fold(qgemm_model(c));
  EXPECT_EQ(f.after, f.before);
}

}  // namespace
}  // namespace edgeserve
