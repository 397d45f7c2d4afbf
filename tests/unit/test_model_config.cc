// config.pbtxt parsing, auto-completion and checks against a model interface built by hand,
// version selection and the JSON form (serving/repository/model_config_io.h).
#include <gtest/gtest.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <initializer_list>
#include <string>

#include "serving/repository/model_config_io.h"

namespace edgeserve::serving {
namespace {

using inference::ModelConfig;

const std::string kPath = "models/m/config.pbtxt";

Dim sym(const char* name) { return Dim{-1, name}; }
Dim fixed(int64_t v) { return Dim{v, ""}; }

TensorInfo tensor(const std::string& name, DType dtype, std::vector<Dim> dims) {
  TensorInfo t;
  t.name = name;
  t.type.dtype = dtype;
  t.type.dims = std::move(dims);
  return t;
}

// images[batch, 3, 224, 224] -> logits[batch, 1000]
ModelInterface batchable_model() {
  return {{tensor("images", DType::kFloat32, {sym("batch"), fixed(3), fixed(224), fixed(224)})},
          {tensor("logits", DType::kFloat32, {sym("batch"), fixed(1000)})}};
}

// x[1, 3, 4, 4], mask[1, 4] -> y[1, 10]
ModelInterface fixed_model() {
  return {{tensor("x", DType::kFloat32, {fixed(1), fixed(3), fixed(4), fixed(4)}),
           tensor("mask", DType::kInt64, {fixed(1), fixed(4)})},
          {tensor("y", DType::kFloat32, {fixed(1), fixed(10)})}};
}

// x[2, 6] -> y[1]: configs reshape x from [12].
ModelInterface reshape_model() {
  return {{tensor("x", DType::kFloat32, {fixed(2), fixed(6)})}, {tensor("y", DType::kFloat32, {fixed(1)})}};
}

ModelConfig parse_ok(const std::string& text) {
  Result<ModelConfig> config = parse_model_config(text, kPath);
  EXPECT_TRUE(config.is_ok()) << config.status().message();
  return config.is_ok() ? config.value() : ModelConfig();
}

Result<ModelConfig> complete(const std::string& text, const ModelInterface& model) {
  ModelConfig config = parse_ok(text);
  Status s = complete_model_config(&config, "m", model, kPath);
  if (!s.is_ok()) return s;
  return config;
}

// The message starts with the config's path and names every fragment.
void expect_error(const Status& s, std::initializer_list<std::string> fragments) {
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().rfind(kPath + ":", 0), 0u) << s.message();
  for (const auto& f : fragments) EXPECT_NE(s.message().find(f), std::string::npos) << s.message() << "\nlacks: " << f;
}

void expect_complete_error(const std::string& text, const ModelInterface& model,
                           std::initializer_list<std::string> fragments) {
  expect_error(complete(text, model).status(), fragments);
}

// --- parse_model_config ---

TEST(ModelConfigParse, ReadsTritonTextFormat) {
  ModelConfig c = parse_ok(R"(
    name: "m"  platform: "onnxruntime_onnx"  max_batch_size: 4
    input [ { name: "images" data_type: TYPE_FP32 dims: [ 3, -1 ] } ]
    instance_group [ { count: 2 kind: KIND_CPU } ]
    dynamic_batching { preferred_batch_size: [ 2, 4 ] max_queue_delay_microseconds: 100 }
    parameters { key: "threads" value { string_value: "2" } })");
  EXPECT_EQ(c.max_batch_size(), 4);
  ASSERT_EQ(c.input_size(), 1);
  EXPECT_EQ(c.input(0).dims(1), -1);
  EXPECT_EQ(c.instance_group(0).count(), 2);
  EXPECT_EQ(c.dynamic_batching().preferred_batch_size_size(), 2);
  EXPECT_EQ(c.parameters().at("threads").string_value(), "2");
  EXPECT_TRUE(parse_model_config("", kPath).is_ok());
}

TEST(ModelConfigParse, UnknownFieldNamesLineColumnAndField) {
  Result<ModelConfig> c = parse_model_config("name: \"m\"\nmax_batch_size: 4\n  max_batch_sizee: 4\n", kPath);
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().message(),
            kPath + ":3:3: Message type \"inference.ModelConfig\" has no field named \"max_batch_sizee\".");
}

TEST(ModelConfigParse, ColumnsCountTabsAsOneAndValueErrorsQuoteTheLine) {
  Result<ModelConfig> c = parse_model_config("input {\n\tnme: \"x\" }", kPath);
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().message().rfind(kPath + ":2:2: ", 0), 0u) << c.status().message();
  expect_error(parse_model_config("\tmax_batch_size: x", kPath).status(), {":1:18:", "(in `max_batch_size: x`)"});
}

TEST(ModelConfigParse, BadEnumNameFails) {
  expect_error(parse_model_config("input { name: \"x\"\n data_type: TYPE_FP33 }", kPath).status(),
               {":2:", "TYPE_FP33"});
}

TEST(ModelConfigParse, EnumNumberWithoutNameFails) {
  expect_error(parse_model_config("input { name: \"x\" data_type: 99 }", kPath).status(), {"input.data_type", "99"});
  expect_error(parse_model_config("instance_group { kind: 7 }", kPath).status(), {"instance_group.kind", "7"});
  EXPECT_TRUE(parse_model_config("input { name: \"x\" data_type: 11 }", kPath).is_ok());  // TYPE_FP32
}

TEST(ModelConfigParse, WrongValueTypesFail) {
  expect_error(parse_model_config("max_batch_size: \"four\"", kPath).status(), {":1:", "max_batch_size"});
  expect_error(parse_model_config("max_batch_size: 99999999999", kPath).status(), {":1:"});
  expect_error(parse_model_config("name: 5", kPath).status(), {":1:"});
  expect_error(parse_model_config("input { name: \"x\" dims: [3, x] }", kPath).status(), {":1:"});
}

TEST(ModelConfigParse, SyntaxErrorsAndRepeatsFail) {
  expect_error(parse_model_config("input { name: \"x\"", kPath).status(), {":1:"});
  expect_error(parse_model_config("name: \"a\"\nname: \"b\"", kPath).status(), {":2:", "name"});
}

// --- complete_model_config: auto-completion ---

TEST(ModelConfigComplete, BatchableModelGetsBatchingAndDefaults) {
  Result<ModelConfig> c = complete("", batchable_model());
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->name(), "m");
  EXPECT_EQ(c->platform(), "onnxruntime_onnx");
  EXPECT_EQ(c->default_model_filename(), "model.onnx");
  EXPECT_EQ(c->max_batch_size(), kAutoMaxBatchSize);
  ASSERT_TRUE(c->has_dynamic_batching());
  EXPECT_EQ(c->dynamic_batching().max_queue_delay_microseconds(), static_cast<uint64_t>(kDefaultMaxQueueDelayUs));
  ASSERT_EQ(c->input_size(), 1);
  EXPECT_EQ(c->input(0).name(), "images");
  EXPECT_EQ(c->input(0).data_type(), inference::TYPE_FP32);
  EXPECT_EQ(std::vector<int64_t>(c->input(0).dims().begin(), c->input(0).dims().end()),
            (std::vector<int64_t>{3, 224, 224}));
  ASSERT_EQ(c->output_size(), 1);
  EXPECT_EQ(std::vector<int64_t>(c->output(0).dims().begin(), c->output(0).dims().end()), std::vector<int64_t>{1000});
  EXPECT_EQ(c->version_policy().latest().num_versions(), 1u);
  ASSERT_EQ(c->instance_group_size(), 1);
  EXPECT_EQ(c->instance_group(0).count(), 1);
  EXPECT_EQ(c->instance_group(0).kind(), inference::ModelInstanceGroup::KIND_CPU);
}

TEST(ModelConfigComplete, FixedBatchModelGetsFullDimsAndNoBatching) {
  Result<ModelConfig> c = complete("", fixed_model());
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->max_batch_size(), 0);
  EXPECT_FALSE(c->has_dynamic_batching());
  ASSERT_EQ(c->input_size(), 2);
  EXPECT_EQ(std::vector<int64_t>(c->input(0).dims().begin(), c->input(0).dims().end()),
            (std::vector<int64_t>{1, 3, 4, 4}));
  EXPECT_EQ(c->input(1).data_type(), inference::TYPE_INT64);
}

TEST(ModelConfigComplete, VariableDimsBecomeMinusOne) {
  ModelInterface model{{tensor("t", DType::kInt32, {sym("n"), Dim{}, sym("len")})},
                       {tensor("o", DType::kFloat32, {sym("n")})}};
  Result<ModelConfig> c = complete("", model);
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->max_batch_size(), kAutoMaxBatchSize);
  EXPECT_EQ(std::vector<int64_t>(c->input(0).dims().begin(), c->input(0).dims().end()), (std::vector<int64_t>{-1, -1}));
  EXPECT_EQ(c->output(0).dims_size(), 0);  // [batch] without the batch dim is a scalar per item
}

TEST(ModelConfigComplete, NoAutoBatchWhenAnyTensorIsFixedOrConfigSaysShapes) {
  ModelInterface mixed = batchable_model();
  mixed.outputs[0].type.dims->front() = fixed(1);
  EXPECT_EQ(complete("", mixed)->max_batch_size(), 0);
  Result<ModelConfig> listed = complete("input { name: \"images\" dims: [-1, 3, 224, 224] }", batchable_model());
  ASSERT_TRUE(listed.is_ok()) << listed.status().message();
  EXPECT_EQ(listed->max_batch_size(), 0);
  EXPECT_EQ(listed->input(0).data_type(), inference::TYPE_FP32);  // filled from the model
}

TEST(ModelConfigComplete, KeepsGivenDynamicBatchingAndExplicitBatchSize) {
  Result<ModelConfig> c = complete("dynamic_batching { max_queue_delay_microseconds: 100 }", batchable_model());
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->max_batch_size(), kAutoMaxBatchSize);
  EXPECT_EQ(c->dynamic_batching().max_queue_delay_microseconds(), 100u);
  Result<ModelConfig> explicit_size = complete("max_batch_size: 32", batchable_model());
  ASSERT_TRUE(explicit_size.is_ok()) << explicit_size.status().message();
  EXPECT_EQ(explicit_size->max_batch_size(), 32);
  EXPECT_FALSE(explicit_size->has_dynamic_batching());
}

TEST(ModelConfigComplete, AcceptsCompatibleListedTensors) {
  Result<ModelConfig> c = complete(R"(max_batch_size: 4
    input { name: "images" data_type: TYPE_FP32 dims: [3, -1, 224] }
    output { name: "logits" data_type: TYPE_FP32 dims: [1000] })", batchable_model());
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  ModelInterface variable{{tensor("t", DType::kFloat32, {sym("n"), sym("len")})}, {tensor("o", DType::kFloat32, {})}};
  EXPECT_TRUE(complete("input { name: \"t\" dims: [2, 16] }", variable).is_ok());  // fixing a variable dim
}

TEST(ModelConfigComplete, UnlistedOutputsAreAdded) {
  ModelInterface model = fixed_model();
  model.outputs.push_back(tensor("z", DType::kBool, {fixed(2)}));
  Result<ModelConfig> c = complete("output { name: \"z\" data_type: TYPE_BOOL dims: [2] }", model);
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  ASSERT_EQ(c->output_size(), 2);
  EXPECT_EQ(c->output(0).name(), "z");
  EXPECT_EQ(c->output(1).name(), "y");
}

TEST(ModelConfigComplete, AcceptsMatchingReshape) {
  const ModelInterface model = reshape_model();
  EXPECT_TRUE(complete("input { name: \"x\" dims: [12] reshape { shape: [2, 6] } }", model).is_ok());
}

TEST(ModelConfigComplete, BackendOnnxruntimeIsAccepted) {
  Result<ModelConfig> c = complete("backend: \"onnxruntime\" name: \"m\"", fixed_model());
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->platform(), "onnxruntime_onnx");
  EXPECT_TRUE(complete("backend: \"edgeserve\"", fixed_model()).is_ok());
}

// --- complete_model_config: errors ---

TEST(ModelConfigErrors, NameAndPlatform) {
  expect_complete_error("name: \"other\"", fixed_model(), {"name \"other\"", "\"m\""});
  expect_complete_error("platform: \"tensorflow_savedmodel\"", fixed_model(), {"platform \"tensorflow_savedmodel\""});
  expect_complete_error("backend: \"python\"", fixed_model(), {"backend \"python\""});
  expect_complete_error("default_model_filename: \"../other/model.onnx\"", fixed_model(), {"default_model_filename"});
}

TEST(ModelConfigErrors, MaxBatchSize) {
  expect_complete_error("max_batch_size: -1", batchable_model(), {"max_batch_size -1"});
  expect_complete_error("max_batch_size: 4", fixed_model(), {"max_batch_size 4", "input \"x\"", "fixed"});
  ModelInterface fixed_output = batchable_model();
  fixed_output.outputs[0].type.dims->front() = fixed(1);
  expect_complete_error("max_batch_size: 4", fixed_output, {"output \"logits\""});
}

TEST(ModelConfigErrors, UnknownOrRepeatedTensor) {
  expect_complete_error("input { name: \"img\" data_type: TYPE_FP32 dims: [1] }", batchable_model(),
                        {"input \"img\"", "\"images\""});
  expect_complete_error("output { name: \"probs\" }", batchable_model(), {"output \"probs\"", "\"logits\""});
  expect_complete_error(R"(input { name: "x" dims: [1, 3, 4, 4] } input { name: "x" dims: [1, 3, 4, 4] })",
                        fixed_model(), {"input \"x\"", "twice"});
}

TEST(ModelConfigErrors, DataTypeMismatchNamesBoth) {
  expect_complete_error("max_batch_size: 2 input { name: \"images\" data_type: TYPE_FP16 dims: [3, 224, 224] }",
                        batchable_model(), {"input \"images\"", "TYPE_FP16", "TYPE_FP32"});
}

TEST(ModelConfigErrors, DimsMismatch) {
  expect_complete_error("max_batch_size: 2 input { name: \"images\" dims: [3, 224] }", batchable_model(),
                        {"input \"images\"", "[3, 224]", "[3, 224, 224]"});
  expect_complete_error("max_batch_size: 2 input { name: \"images\" dims: [1, 224, 224] }", batchable_model(),
                        {"input \"images\"", "[1, 224, 224]"});
  // Batch dim included by mistake in a batched config.
  expect_complete_error("max_batch_size: 2 input { name: \"images\" dims: [-1, 3, 224, 224] }", batchable_model(),
                        {"input \"images\"", "batch dim"});
  expect_complete_error("max_batch_size: 2 input { name: \"images\" dims: [3, -2, 224] }", batchable_model(),
                        {"input \"images\" dims", "-2"});
}

TEST(ModelConfigErrors, ReshapeElementCount) {
  const ModelInterface model = reshape_model();
  expect_complete_error("input { name: \"x\" dims: [10] reshape { shape: [2, 6] } }", model,
                        {"input \"x\"", "reshape.shape [2, 6]", "[10]"});
  expect_complete_error("input { name: \"x\" dims: [12] reshape { shape: [3, 4] } }", model,
                        {"input \"x\"", "reshape.shape [3, 4]", "[2, 6]"});
}

TEST(ModelConfigErrors, SomeInputsListed) {
  expect_complete_error("input { name: \"x\" dims: [1, 3, 4, 4] }", fixed_model(), {"input \"mask\"", "not listed"});
}

TEST(ModelConfigErrors, ModelTypeWithoutConfigName) {
  ModelInterface model{{tensor("x", DType::kUndefined, {fixed(1)})}, {}};
  expect_complete_error("", model, {"input \"x\""});
}

TEST(ModelConfigErrors, VersionPolicy) {
  expect_complete_error("version_policy { latest { num_versions: 0 } }", fixed_model(), {"version_policy.latest"});
  expect_complete_error("version_policy { specific { } }", fixed_model(), {"version_policy.specific"});
  expect_complete_error("version_policy { specific { versions: [-3] } }", fixed_model(), {"version_policy", "-3"});
  EXPECT_TRUE(complete("version_policy { all { } }", fixed_model()).is_ok());
}

TEST(ModelConfigErrors, InstanceGroup) {
  expect_complete_error("instance_group { count: -1 kind: KIND_CPU }", fixed_model(), {"instance_group[0].count"});
  expect_complete_error("instance_group { count: 1 } instance_group { count: 1 kind: KIND_GPU }", fixed_model(),
                        {"instance_group[1].kind", "KIND_GPU", "edgeserve runs on CPU"});
  expect_complete_error("instance_group { kind: KIND_MODEL }", fixed_model(), {"KIND_MODEL", "edgeserve runs on CPU"});
  Result<ModelConfig> c = complete("instance_group { kind: KIND_AUTO }", fixed_model());
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->instance_group(0).kind(), inference::ModelInstanceGroup::KIND_CPU);
  EXPECT_EQ(c->instance_group(0).count(), 1);  // proto3: absent and 0 are the same
}

TEST(ModelConfigErrors, DynamicBatching) {
  expect_complete_error("dynamic_batching { }", fixed_model(), {"dynamic_batching", "max_batch_size"});
  expect_complete_error("max_batch_size: 8 dynamic_batching { preferred_batch_size: [4, 9] }", batchable_model(),
                        {"preferred_batch_size 9"});
  expect_complete_error("max_batch_size: 8 dynamic_batching { preferred_batch_size: [0] }", batchable_model(),
                        {"preferred_batch_size 0"});
  expect_complete_error("max_batch_size: 8 dynamic_batching { default_priority_level: 1 }", batchable_model(),
                        {"default_priority_level 1", "priority_levels"});
  expect_complete_error("max_batch_size: 8 dynamic_batching { priority_levels: 3 }", batchable_model(),
                        {"default_priority_level 0", "priority_levels 3"});
  expect_complete_error("max_batch_size: 8 dynamic_batching { priority_levels: 3 default_priority_level: 4 }",
                        batchable_model(), {"default_priority_level 4"});
  EXPECT_TRUE(complete(R"(max_batch_size: 8 dynamic_batching { preferred_batch_size: [1, 8] priority_levels: 3
      default_priority_level: 2 default_queue_policy { allow_timeout_override: true max_queue_size: 5
      timeout_action: DELAY default_timeout_microseconds: 1000 } })", batchable_model()).is_ok());
}

TEST(ModelConfigErrors, Parameters) {
  auto with = [](const std::string& key, const std::string& value) {
    return "parameters { key: \"" + key + "\" value { string_value: \"" + value + "\" } }";
  };
  expect_complete_error(with("intra_op_threads", "2"), fixed_model(), {"\"intra_op_threads\""});
  expect_complete_error(with("threads", "two"), fixed_model(), {"\"threads\"", "\"two\""});
  expect_complete_error(with("threads", "-1"), fixed_model(), {"\"threads\"", "\"-1\""});
  expect_complete_error(with("threads", "2x"), fixed_model(), {"\"threads\""});
  expect_complete_error(with("optimization_level", "3"), fixed_model(), {"\"optimization_level\"", "\"3\""});
  Result<ConfigParameters> p =
      parse_config_parameters(parse_ok(with("threads", "4") + with("optimization_level", "1")), kPath);
  ASSERT_TRUE(p.is_ok()) << p.status().message();
  EXPECT_EQ(p->threads, 4);
  EXPECT_EQ(p->optimization_level, 1);
  EXPECT_FALSE(parse_config_parameters(ModelConfig(), kPath)->threads.has_value());
  expect_complete_error(with("layout", "nhwc"), fixed_model(), {"\"layout\"", "\"nhwc\"", "blocked"});
  expect_complete_error(with("conv_algorithm", "fft"), fixed_model(), {"\"conv_algorithm\"", "\"fft\"", "winograd"});
  p = parse_config_parameters(parse_ok(with("layout", "blocked") + with("conv_algorithm", "direct")), kPath);
  ASSERT_TRUE(p.is_ok()) << p.status().message();
  EXPECT_EQ(p->layout, ActivationLayout::kBlocked16);
  EXPECT_EQ(p->conv_algorithm, ConvAlgorithm::kDirect);
  EXPECT_FALSE(parse_config_parameters(ModelConfig(), kPath)->layout.has_value());
}

const std::string kWarmupOk = R"(model_warmup { name: "w" batch_size: 1
    inputs { key: "x" value { data_type: TYPE_FP32 dims: [1, 3, 4, 4] zero_data: true } }
    inputs { key: "mask" value { dims: [1, 4] random_data: true } } })";

TEST(ModelConfigErrors, Warmup) {
  EXPECT_TRUE(complete(kWarmupOk, fixed_model()).is_ok()) << complete(kWarmupOk, fixed_model()).status().message();
  auto variant = [](const std::string& from, const std::string& to) {
    std::string text = kWarmupOk;
    text.replace(text.find(from), from.size(), to);
    return text;
  };
  expect_complete_error(variant("key: \"mask\"", "key: \"masks\""), fixed_model(), {"model_warmup[0]", "\"masks\""});
  expect_complete_error(variant("dims: [1, 4]", "dims: [1, 5]"), fixed_model(), {"model_warmup[0]", "[1, 5]"});
  expect_complete_error(variant("dims: [1, 4]", "dims: [1, -1]"), fixed_model(), {"model_warmup[0]", "-1"});
  expect_complete_error(variant(" random_data: true", ""), fixed_model(), {"\"mask\"", "zero_data or random_data"});
  expect_complete_error(variant("batch_size: 1", "batch_size: 2"), fixed_model(), {"model_warmup[0]", "batch_size 2"});
  expect_complete_error(variant("data_type: TYPE_FP32", "data_type: TYPE_INT8"), fixed_model(),
                        {"\"x\"", "TYPE_INT8", "TYPE_FP32"});
  const std::string no_mask = "model_warmup { inputs { key: \"x\" value { dims: [1, 3, 4, 4] zero_data: true } } }";
  expect_complete_error(no_mask, fixed_model(), {"model_warmup[0]", "input \"mask\""});
  const std::string batched = R"(max_batch_size: 4 model_warmup { batch_size: 5
      inputs { key: "images" value { dims: [3, 224, 224] zero_data: true } } })";
  expect_complete_error(batched, batchable_model(), {"batch_size 5", "max_batch_size 4"});
}

// --- select_versions ---

TEST(ModelConfigVersions, LatestAllSpecific) {
  const std::vector<int64_t> on_disk = {3, 1, 10, 2};
  ModelConfig config;
  EXPECT_EQ(select_versions(config, on_disk), std::vector<int64_t>{10});  // default: latest 1
  config.mutable_version_policy()->mutable_latest()->set_num_versions(2);
  EXPECT_EQ(select_versions(config, on_disk), (std::vector<int64_t>{3, 10}));
  config.mutable_version_policy()->mutable_latest()->set_num_versions(9);
  EXPECT_EQ(select_versions(config, on_disk), (std::vector<int64_t>{1, 2, 3, 10}));
  config.mutable_version_policy()->mutable_all();
  EXPECT_EQ(select_versions(config, {5, 4, 4}), (std::vector<int64_t>{4, 5}));
  auto* specific = config.mutable_version_policy()->mutable_specific();
  for (int64_t v : {10, 7, 1}) specific->add_versions(v);
  EXPECT_EQ(select_versions(config, on_disk), (std::vector<int64_t>{1, 10}));
  EXPECT_TRUE(select_versions(config, {}).empty());
}

// --- model_config_to_json ---

TEST(ModelConfigJson, SnakeCaseNamesAndNumbers) {
  Result<ModelConfig> c = complete(R"(parameters { key: "threads" value { string_value: "4" } }
      dynamic_batching { max_queue_delay_microseconds: 250 })", batchable_model());
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  const std::string json = model_config_to_json(*c);
  for (const char* want : {"\"max_batch_size\":8", "\"dynamic_batching\":{", "\"max_queue_delay_microseconds\":250",
                           "\"dims\":[3,224,224]", "\"data_type\":\"TYPE_FP32\"", "\"platform\":\"onnxruntime_onnx\"",
                           "\"string_value\":\"4\"", "\"instance_group\":[", "\"num_versions\":1"}) {
    EXPECT_NE(json.find(want), std::string::npos) << json << "\nlacks: " << want;
  }
  EXPECT_EQ(json.find("maxBatchSize"), std::string::npos) << json;
  // The JSON reads back as the same config.
  ModelConfig back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &back).ok()) << json;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(back, *c));
}

TEST(ModelConfigJson, OnlyInt64ValuesLoseTheirQuotes) {
  ModelConfig c = parse_ok(R"(name: "123"
    input { name: "-1" dims: [-1, 5] }
    parameters { key: "dims" value { string_value: "7" } }
    version_policy { specific { versions: [2, 30] } })");
  const std::string json = model_config_to_json(c);
  for (const char* want : {"\"name\":\"123\"", "\"name\":\"-1\"", "\"dims\":[-1,5]",
                           "\"dims\":{\"string_value\":\"7\"}", "\"versions\":[2,30]"}) {
    EXPECT_NE(json.find(want), std::string::npos) << json << "\nlacks: " << want;
  }
}

}  // namespace
}  // namespace edgeserve::serving
