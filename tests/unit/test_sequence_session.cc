// Sequences and optionals through Session and files: declared container inputs are checked
// against what a request binds, tensor ops refuse a container with an error naming the input,
// sequence values flow into tensor ops and out as outputs on both providers, and
// write_value_file / read_value_file round-trip SequenceProto and OptionalProto files.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "edgeserve/session.h"
#include "edgeserve/tensor_io.h"
#include "onnx_graph_util.h"

namespace edgeserve {
namespace {

using namespace testing;  // NOLINT: the graph helpers
constexpr int kFloat = onnx::TensorProto::FLOAT;

Tensor vec(std::vector<float> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return Tensor::from_vector<float>({n}, v);
}

// n = SequenceLength(s), with s declared as a sequence of float tensors.
std::unique_ptr<Session> length_session() {
  onnx::GraphProto g;
  add_sequence(g.mutable_input(), "s", kFloat);
  add_node(&g, "SequenceLength", {"s"}, {"n"});
  add_tensor(g.mutable_output(), "n", onnx::TensorProto::INT64, {});
  auto s = Session::load_from_bytes(model_bytes(g), options_for(Provider::kReference));
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  return s.is_ok() ? std::move(s).value() : nullptr;
}

TEST(SequenceSession, DeclaresAndAcceptsASequenceInput) {
  auto s = length_session();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->inputs()[0].type.to_string(), "seq(float32[?])");
  auto out = s->run({{"s", Tensor::sequence(DType::kFloat32, {vec({1}), vec({2, 3})})}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(elements<int64_t>((*out)[0]), (std::vector<int64_t>{2}));
}

TEST(SequenceSession, ASequenceInputRejectsOtherValues) {
  auto s = length_session();
  ASSERT_NE(s, nullptr);
  auto tensor = s->run({{"s", vec({1, 2})}});
  ASSERT_FALSE(tensor.is_ok());
  EXPECT_TRUE(contains(tensor.status().message(), "input 's': expected seq(float32[?]), got a tensor"))
      << tensor.status().to_string();
  auto none = s->run({{"s", Tensor::none(DType::kFloat32)}});
  ASSERT_FALSE(none.is_ok());
  EXPECT_TRUE(contains(none.status().message(), "got an empty optional")) << none.status().to_string();
  auto ints = s->run({{"s", Tensor::sequence(DType::kInt64, {Tensor::scalar<int64_t>(1)})}});
  ASSERT_FALSE(ints.is_ok());
  EXPECT_TRUE(contains(ints.status().message(), "a sequence element is not a float32 tensor"))
      << ints.status().to_string();
}

TEST(SequenceSession, ATensorInputRejectsASequence) {
  onnx::GraphProto g;
  add_tensor(g.mutable_input(), "x", kFloat, {"2"});
  add_node(&g, "Relu", {"x"}, {"y"});
  add_tensor(g.mutable_output(), "y", kFloat, {"2"});
  auto s = Session::load_from_bytes(model_bytes(g), options_for(Provider::kReference));
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  auto out = (*s)->run({{"x", Tensor::sequence(DType::kFloat32, {vec({1, 2})})}});
  ASSERT_FALSE(out.is_ok());
  EXPECT_TRUE(contains(out.status().message(), "input 'x': expected a tensor")) << out.status().to_string();
}

TEST(SequenceSession, AnOptionalInputMayBeEmptyOrHoldATensor) {
  onnx::GraphProto g;
  add_optional(g.mutable_input(), "o", kFloat);
  add_node(&g, "OptionalHasElement", {"o"}, {"has"});
  add_tensor(g.mutable_output(), "has", onnx::TensorProto::BOOL, {});
  auto s = Session::load_from_bytes(model_bytes(g, 17), options_for(Provider::kReference));
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ((*s)->inputs()[0].type.to_string(), "optional(float32[?])");
  auto empty = (*s)->run({{"o", Tensor::none(DType::kFloat32)}});
  ASSERT_TRUE(empty.is_ok()) << empty.status().to_string();
  EXPECT_EQ(elements<bool>((*empty)[0]), (std::vector<bool>{false}));
  auto present = (*s)->run({{"o", vec({3})}});
  ASSERT_TRUE(present.is_ok()) << present.status().to_string();
  EXPECT_EQ(elements<bool>((*present)[0]), (std::vector<bool>{true}));
  auto seq = (*s)->run({{"o", Tensor::sequence(DType::kFloat32, {})}});
  EXPECT_FALSE(seq.is_ok());
}

class SequenceProviders : public ::testing::TestWithParam<Provider> {};

// y = Relu(SequenceConstruct(x, x)): the executor refuses the sequence before Relu runs. With
// an Identity between them (kept at optimization level 0), the error names the Identity's output.
TEST_P(SequenceProviders, ATensorOpFedASequenceNamesTheInput) {
  for (bool identity : {false, true}) {
    onnx::GraphProto g;
    add_tensor(g.mutable_input(), "x", kFloat, {"2"});
    add_node(&g, "SequenceConstruct", {"x", "x"}, {"s"});
    if (identity) add_node(&g, "Identity", {"s"}, {"t"});
    add_node(&g, "Relu", {identity ? "t" : "s"}, {"y"});
    g.add_output()->set_name("y");
    SessionOptions options = options_for(GetParam());
    if (identity) options.optimization_level = 0;
    auto s = Session::load_from_bytes(model_bytes(g), options);
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    auto out = (*s)->run({{"x", vec({-1, 1})}});
    ASSERT_FALSE(out.is_ok());
    const std::string expected = identity ? "input 't' is a sequence" : "input 's' is a sequence; 'Relu' takes tensors";
    EXPECT_TRUE(contains(out.status().message(), expected)) << out.status().to_string();
  }
}

// x [5, 2] -> SplitToSequence (rows, keepdims 0) -> SequenceAt(-1) -> Relu, and the sequence
// itself as an output.
TEST_P(SequenceProviders, SequenceValuesFlowIntoTensorOpsAndOut) {
  onnx::GraphProto g;
  add_tensor(g.mutable_input(), "x", kFloat, {"5", "2"});
  add_int64_init(&g, "last", -1);
  auto* split = add_node(&g, "SplitToSequence", {"x"}, {"rows"});
  auto* keep = split->add_attribute();
  keep->set_name("keepdims");
  keep->set_type(onnx::AttributeProto::INT);
  keep->set_i(0);
  add_node(&g, "SequenceAt", {"rows", "last"}, {"row"});
  add_node(&g, "Relu", {"row"}, {"y"});
  g.add_output()->set_name("y");
  g.add_output()->set_name("rows");
  auto s = Session::load_from_bytes(model_bytes(g), options_for(GetParam()));
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  Tensor x = Tensor::from_vector<float>({5, 2}, {0, 1, 2, 3, 4, 5, 6, 7, -8, 9});
  auto out = (*s)->run({{"x", x}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(elements<float>((*out)[0]), (std::vector<float>{0, 9}));
  ASSERT_TRUE((*out)[1].is_sequence());
  ASSERT_EQ((*out)[1].items().size(), 5u);
  EXPECT_EQ((*out)[1].items()[1].dims(), (Dims{2}));
  EXPECT_EQ(elements<float>((*out)[1].items()[1]), (std::vector<float>{2, 3}));
}

INSTANTIATE_TEST_SUITE_P(Providers, SequenceProviders, ::testing::Values(Provider::kReference, Provider::kCpu),
                         [](const ::testing::TestParamInfo<Provider>& p) { return std::string(provider_name(p.param)); });

// ---- value files ----

class ValueFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "edge_value_file_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // Writes `value` as `type` and reads it back.
  NamedTensor round_trip(const Tensor& value, ValueKind kind, DType dtype = DType::kFloat32) {
    TensorType type;
    type.dtype = dtype;
    type.kind = kind;
    const std::string path = dir_ + "/value.pb";
    Status st = write_value_file(path, "v", value, type);
    EXPECT_TRUE(st.is_ok()) << st.to_string();
    auto back = read_value_file(path, type);
    EXPECT_TRUE(back.is_ok()) << back.status().to_string();
    return back.is_ok() ? std::move(back).value() : NamedTensor{};
  }
  std::string dir_;
};

TEST_F(ValueFile, SequenceRoundTrips) {
  NamedTensor back = round_trip(Tensor::sequence(DType::kFloat32, {vec({1, 2}), vec({3, 4, 5})}), ValueKind::kSequence);
  EXPECT_EQ(back.name, "v");
  ASSERT_TRUE(back.tensor.is_sequence());
  ASSERT_EQ(back.tensor.items().size(), 2u);
  EXPECT_EQ(back.tensor.items()[1].dims(), (Dims{3}));
  EXPECT_EQ(elements<float>(back.tensor.items()[0]), (std::vector<float>{1, 2}));
  EXPECT_EQ(elements<float>(back.tensor.items()[1]), (std::vector<float>{3, 4, 5}));
}

TEST_F(ValueFile, EmptySequenceKeepsTheDeclaredElementType) {
  NamedTensor back = round_trip(Tensor::sequence(DType::kInt64, {}), ValueKind::kSequence, DType::kInt64);
  ASSERT_TRUE(back.tensor.is_sequence());
  EXPECT_TRUE(back.tensor.items().empty());
  EXPECT_EQ(back.tensor.dtype(), DType::kInt64);
}

TEST_F(ValueFile, EmptyOptionalRoundTrips) {
  NamedTensor back = round_trip(Tensor::none(DType::kFloat32), ValueKind::kOptionalTensor);
  EXPECT_EQ(back.name, "v");
  EXPECT_TRUE(back.tensor.is_none());
  EXPECT_FALSE(back.tensor.is_sequence());
}

TEST_F(ValueFile, OptionalHoldingATensorRoundTrips) {
  NamedTensor back = round_trip(Tensor::from_vector<float>({2, 1}, {6, 7}), ValueKind::kOptionalTensor);
  EXPECT_FALSE(back.tensor.is_container());
  EXPECT_EQ(back.tensor.dims(), (Dims{2, 1}));
  EXPECT_EQ(elements<float>(back.tensor), (std::vector<float>{6, 7}));
}

TEST_F(ValueFile, OptionalHoldingASequenceRoundTrips) {
  NamedTensor back = round_trip(Tensor::sequence(DType::kFloat32, {vec({8})}), ValueKind::kOptionalSequence);
  ASSERT_TRUE(back.tensor.is_sequence());
  ASSERT_EQ(back.tensor.items().size(), 1u);
  EXPECT_EQ(elements<float>(back.tensor.items()[0]), (std::vector<float>{8}));
}

TEST_F(ValueFile, MissingOrMalformedFilesAreErrors) {
  TensorType seq;
  seq.dtype = DType::kFloat32;
  seq.kind = ValueKind::kSequence;
  EXPECT_EQ(read_value_file(dir_ + "/absent.pb", seq).status().code(), StatusCode::kNotFound);
  const std::string path = dir_ + "/garbage.pb";
  {
    std::ofstream out(path, std::ios::binary);
    out << "\xff\xff\xff garbage";
  }
  auto bad = read_value_file(path, seq);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_TRUE(contains(bad.status().message(), "not a valid SequenceProto")) << bad.status().to_string();
}

}  // namespace
}  // namespace edgeserve
