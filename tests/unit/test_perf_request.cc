// `edgeserve perf` requests without a server: shapes from model metadata, the HTTP infer body
// in both input encodings (read back with the server's own decoder), and metadata/error decoding.
#include <gtest/gtest.h>

#include <cstring>

#include "apps/edgeserve/perf_request.h"
#include "serving/api/json_codec.h"

namespace edgeserve::cli {
namespace {

using serving::TensorMetadata;

std::vector<TensorMetadata> two_inputs() {
  return {{"images", "FP32", {-1, 3, 4, 4}}, {"scale", "INT64", {2}}};
}

TEST(PerfShapes, BatchTakesAVariableFirstDim) {
  auto s = resolve_perf_shapes(two_inputs(), 8, {});
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0].name, "images");
  EXPECT_EQ((*s)[0].dtype, DType::kFloat32);
  EXPECT_EQ((*s)[0].dims, (Dims{8, 3, 4, 4}));
  EXPECT_EQ((*s)[1].dtype, DType::kInt64);
  EXPECT_EQ((*s)[1].dims, (Dims{2}));
  auto one = resolve_perf_shapes(two_inputs(), 1, {});
  ASSERT_TRUE(one.is_ok());
  EXPECT_EQ((*one)[0].dims, (Dims{1, 3, 4, 4}));
}

TEST(PerfShapes, OverridesAndErrors) {
  const std::vector<TensorMetadata> dynamic = {{"x", "FP16", {-1, -1}}};
  auto missing = resolve_perf_shapes(dynamic, 1, {});
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("input 'x' dim 1 is -1: give the input's shape with --shape x=DIMS"),
            std::string::npos)
      << missing.status().message();
  auto given = resolve_perf_shapes(dynamic, 1, {{"x", {2, 7}}, {"x", {3, 5}}});
  ASSERT_TRUE(given.is_ok());
  EXPECT_EQ((*given)[0].dims, (Dims{3, 5}));  // the last --shape wins
  auto unknown = resolve_perf_shapes(dynamic, 1, {{"y", {1}}});
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_EQ(unknown.status().message(), "--shape: the model has no input 'y'");
  auto fixed_batch = resolve_perf_shapes({{"x", "FP32", {1, 4}}}, 4, {});
  ASSERT_FALSE(fixed_batch.is_ok());
  EXPECT_NE(fixed_batch.status().message().find("--batch 4: no input has a variable (-1) first dim"), std::string::npos);
  auto bad_type = resolve_perf_shapes({{"x", "FP128", {1}}}, 1, {});
  ASSERT_FALSE(bad_type.is_ok());
  EXPECT_EQ(bad_type.status().message(), "input 'x' has unknown datatype 'FP128'");
}

TEST(PerfInputs, SeededAndShaped) {
  serving::ModelMetadata m{"m", {"1"}, "onnxruntime_onnx", two_inputs(), {}};
  auto a = make_perf_inputs(m, 2, {}, 1);
  auto b = make_perf_inputs(m, 2, {}, 1);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].tensor.dims(), (Dims{2, 3, 4, 4}));
  ASSERT_EQ((*a)[0].tensor.byte_size(), (*b)[0].tensor.byte_size());
  EXPECT_EQ(std::memcmp((*a)[0].tensor.raw_data(), (*b)[0].tensor.raw_data(), (*a)[0].tensor.byte_size()), 0);
  m.inputs.clear();
  EXPECT_FALSE(make_perf_inputs(m, 1, {}, 1).is_ok());
}

// The body must be what a KServe server reads: check it with edgeserve's own request decoder.
void expect_body_decodes(const std::vector<NamedTensor>& inputs, bool binary) {
  const HttpInferBody body = encode_http_infer_body(inputs, binary);
  EXPECT_EQ(body.json_length.has_value(), binary);
  auto req = serving::decode_infer_request(body.body, body.json_length);
  ASSERT_TRUE(req.is_ok()) << req.status().to_string();
  EXPECT_TRUE(req->binary_outputs);
  EXPECT_TRUE(req->outputs.empty());  // all outputs
  ASSERT_EQ(req->inputs.size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& sent = inputs[i].tensor;
    const Tensor& got = req->inputs[i].tensor;
    EXPECT_EQ(req->inputs[i].name, inputs[i].name);
    EXPECT_EQ(got.dtype(), sent.dtype());
    EXPECT_EQ(got.dims(), sent.dims());
    ASSERT_EQ(got.byte_size(), sent.byte_size());
    // JSON floats are written with 9 significant digits: float32 values survive exactly.
    EXPECT_EQ(std::memcmp(got.raw_data(), sent.raw_data(), sent.byte_size()), 0) << inputs[i].name;
  }
}

TEST(PerfHttpBody, BinaryAndJsonInputsDecode) {
  const std::vector<TensorMetadata> inputs = {
      {"f", "FP32", {-1, 3}}, {"i", "INT64", {4}}, {"b", "BOOL", {2}}, {"h", "FP16", {3}}, {"u", "UINT8", {5}}};
  auto tensors = make_perf_inputs({"m", {}, "", inputs, {}}, 2, {}, 7);
  ASSERT_TRUE(tensors.is_ok()) << tensors.status().to_string();
  expect_body_decodes(*tensors, true);
  expect_body_decodes(*tensors, false);
}

TEST(PerfHttpBody, BinaryLayout) {
  auto tensors = make_perf_inputs({"m", {}, "", {{"x", "FP32", {2}}}, {}}, 1, {}, 1);
  ASSERT_TRUE(tensors.is_ok());
  const HttpInferBody body = encode_http_infer_body(*tensors, true);
  ASSERT_TRUE(body.json_length.has_value());
  EXPECT_EQ(body.body.size(), *body.json_length + 8);
  EXPECT_EQ(body.body.substr(0, *body.json_length),
            R"({"inputs":[{"name":"x","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}}],)"
            R"("parameters":{"binary_data_output":true}})");
}

TEST(PerfMetadata, Decodes) {
  auto m = decode_model_metadata_json(
      R"({"name":"add","versions":["1","2"],"platform":"onnxruntime_onnx",)"
      R"("inputs":[{"name":"x","datatype":"FP32","shape":[-1,4]}],)"
      R"("outputs":[{"name":"y","datatype":"FP32","shape":[-1,4]},{"name":"z","datatype":"INT8","shape":[]}]})");
  ASSERT_TRUE(m.is_ok()) << m.status().to_string();
  EXPECT_EQ(m->name, "add");
  EXPECT_EQ(m->versions, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(m->platform, "onnxruntime_onnx");
  ASSERT_EQ(m->inputs.size(), 1u);
  EXPECT_EQ(m->inputs[0].name, "x");
  EXPECT_EQ(m->inputs[0].shape, (std::vector<int64_t>{-1, 4}));
  ASSERT_EQ(m->outputs.size(), 2u);
  EXPECT_TRUE(m->outputs[1].shape.empty());
  // OVMS and Triton omit or add fields; only name and the tensors' three fields are needed.
  EXPECT_TRUE(decode_model_metadata_json(R"({"name":"m","inputs":[]})").is_ok());
}

TEST(PerfMetadata, RejectsMalformed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "model metadata is not valid JSON"},
      {"[1]", "model metadata must be a JSON object"},
      {R"({"inputs":[]})", "model metadata: 'name' must be a string"},
      {R"({"name":"m","inputs":[3]})", "inputs[0] must be an object"},
      {R"({"name":"m","inputs":[{"name":"x","datatype":"FP32"}]})", "inputs[0]: 'shape' must be an array"},
      {R"({"name":"m","inputs":[{"name":"x","datatype":"FP32","shape":["a"]}]})", "inputs[0]: 'shape' must hold integers"},
      {R"({"name":"m","outputs":[{"name":"x","shape":[1]}]})", "outputs[0]: 'datatype' must be a string"},
  };
  for (const auto& [json, message] : cases) {
    auto m = decode_model_metadata_json(json);
    ASSERT_FALSE(m.is_ok()) << json;
    EXPECT_NE(m.status().message().find(message), std::string::npos) << m.status().message();
  }
}

TEST(PerfErrorBody, MessageOrRawBody) {
  EXPECT_EQ(decode_error_body(R"({"error":"unknown model 'x'"})"), "unknown model 'x'");
  EXPECT_EQ(decode_error_body("Bad Gateway"), "Bad Gateway");
  EXPECT_EQ(decode_error_body(""), "(empty body)");
  EXPECT_EQ(decode_error_body(std::string(500, 'a')).size(), 200u);
  EXPECT_EQ(decode_error_body(R"({"error":3})"), R"({"error":3})");
}

}  // namespace
}  // namespace edgeserve::cli
