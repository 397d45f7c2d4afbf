// The KServe v2 HTTP codec: datatype names, request decoding (JSON and Triton's binary extension),
// response and metadata encoding (parsed back with simdjson), and every malformed-input error.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "serving/api/json_codec.h"

namespace edgeserve::serving {
namespace {

constexpr DType kAllDtypes[] = {DType::kBool,    DType::kUint8,   DType::kUint16,  DType::kUint32, DType::kUint64,
                                DType::kInt8,    DType::kInt16,   DType::kInt32,   DType::kInt64,  DType::kFloat16,
                                DType::kFloat32, DType::kFloat64, DType::kBFloat16, DType::kString};

// Edge values of every dtype, cycled over the tensor. `text_only` leaves out the non-UTF-8 string,
// which JSON cannot carry exactly (see encode_infer_response).
Tensor sample_tensor(DType dtype, const Dims& dims, bool text_only = true) {
  Tensor t = Tensor::allocate(dtype, dims).value();
  const auto n = static_cast<size_t>(t.num_elements());
  if (dtype == DType::kString) {
    std::vector<std::string> v = {"", "a\"b\\c/", "tab\t\x01\n", "\xc3\xa9\xe2\x9c\x93", std::string("nul\0z", 5)};
    if (!text_only) v.push_back("\xff\xfe\x80");
    for (size_t i = 0; i < n; ++i) t.mutable_data<std::string>()[i] = v[i % v.size()];
  } else if (dtype == DType::kBool) {
    for (size_t i = 0; i < n; ++i) t.mutable_data<bool>()[i] = i % 3 == 0;
  } else if (dtype == DType::kFloat16 || dtype == DType::kBFloat16) {
    const float v[] = {0.1f, -2.5f, 65504.f, 6e-8f, -0.f, 1.f / 3};
    for (size_t i = 0; i < n; ++i) {
      const float f = dtype == DType::kBFloat16 && i % 6 == 3 ? 1e-30f : v[i % 6];
      if (dtype == DType::kFloat16) t.mutable_data<Float16>()[i] = Float16(f);
      else t.mutable_data<BFloat16>()[i] = BFloat16(f);
    }
  } else if (dtype == DType::kFloat32) {
    const float v[] = {0.1f, -2.5f, 3.4e38f, 1e-45f, -0.f, 1.f / 3, 16777216.f};
    for (size_t i = 0; i < n; ++i) t.mutable_data<float>()[i] = v[i % 7];
  } else if (dtype == DType::kFloat64) {
    const double v[] = {0.1, -2.5, 1.7e308, 5e-324, -0.0, 1.0 / 3, 9007199254740993.0};
    for (size_t i = 0; i < n; ++i) t.mutable_data<double>()[i] = v[i % 7];
  } else {
    visit_dtype<int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t>(dtype, [&](auto tag) {
      using T = decltype(tag);
      const T v[] = {std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), T(0), T(1), T(100)};
      for (size_t i = 0; i < n; ++i) t.mutable_data<T>()[i] = v[i % 5];
    });
  }
  return t;
}

// Bitwise equality: -0.0 must stay -0.0 and every float must survive the round trip exactly.
::testing::AssertionResult same_tensor(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype()) return ::testing::AssertionFailure() << "dtype differs";
  if (a.dims() != b.dims()) return ::testing::AssertionFailure() << "dims differ";
  for (int64_t i = 0; a.dtype() == DType::kString && i < a.num_elements(); ++i) {
    if (a.data<std::string>()[i] != b.data<std::string>()[i]) {
      return ::testing::AssertionFailure() << "string " << i << " differs: " << b.data<std::string>()[i];
    }
  }
  if (a.dtype() != DType::kString && std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()) != 0) {
    return ::testing::AssertionFailure() << "bytes differ";
  }
  return ::testing::AssertionSuccess();
}

InferResponse response_of(std::vector<NamedTensor> outputs, std::vector<bool> binary) {
  InferResponse r;
  r.model_name = "m";
  r.model_version = "1";
  r.outputs = std::move(outputs);
  r.binary = std::move(binary);
  return r;
}

constexpr std::string_view kResponsePrefix = R"({"model_name":"m","model_version":"1","outputs":[)";

// An encoded response's output objects are valid input objects (name, datatype, shape, and data
// or binary_data_size), so the response becomes a request for the same tensors.
struct Body {
  std::string bytes;
  std::optional<size_t> json_length;
};
Body as_request(const EncodedBody& encoded) {
  const std::string json = encoded.body.substr(0, encoded.json_length.value_or(encoded.body.size()));
  EXPECT_EQ(json.substr(0, kResponsePrefix.size()), kResponsePrefix);
  Body out;
  out.bytes = R"({"inputs":[)" + json.substr(kResponsePrefix.size());
  if (encoded.json_length) {
    out.json_length = out.bytes.size();
    out.bytes += encoded.body.substr(*encoded.json_length);
  }
  return out;
}

void expect_invalid(std::string_view body, const std::vector<std::string>& needles,
                    std::optional<size_t> json_length = std::nullopt, const DecodeLimits& limits = {},
                    StatusCode code = StatusCode::kInvalidArgument) {
  const auto result = decode_infer_request(body, json_length, limits);
  ASSERT_FALSE(result.is_ok()) << body.substr(0, 200);
  const std::string& message = result.status().message();
  EXPECT_EQ(result.status().code(), code) << message;
  for (const std::string& needle : needles) {
    EXPECT_NE(message.find(needle), std::string::npos) << "'" << message << "' does not mention '" << needle << "'";
  }
}

// One input, everything but the data given: {"inputs":[{"name":"x","datatype":..,"shape":..,<rest>}]}.
std::string one_input(std::string_view datatype, std::string_view shape, std::string_view rest) {
  return std::string(R"({"inputs":[{"name":"x","datatype":")") + std::string(datatype) + R"(","shape":)" +
         std::string(shape) + "," + std::string(rest) + "}]}";
}

template <typename T>
std::string raw_bytes(const std::vector<T>& v) {
  std::string s(v.size() * sizeof(T), '\0');
  if (!v.empty()) std::memcpy(s.data(), v.data(), s.size());
  return s;
}

std::string length_prefixed(const std::vector<std::string>& strings) {
  std::string s;
  for (const std::string& e : strings) {
    const auto n = static_cast<uint32_t>(e.size());
    s += raw_bytes(std::vector<uint32_t>{n}) + e;
  }
  return s;
}

TEST(Datatype, NamesRoundTrip) {
  for (DType d : kAllDtypes) EXPECT_EQ(parse_datatype(datatype_name(d)), d) << datatype_name(d);
  EXPECT_STREQ(datatype_name(DType::kString), "BYTES");
  EXPECT_STREQ(datatype_name(DType::kBFloat16), "BF16");
  EXPECT_STREQ(datatype_name(DType::kUndefined), "");
  EXPECT_FALSE(parse_datatype("FP8").has_value());
  EXPECT_FALSE(parse_datatype("fp32").has_value());
}

TEST(JsonCodec, EveryDatatypeRoundTripsThroughJsonAndBinary) {
  for (DType d : kAllDtypes) {
    for (bool binary : {false, true}) {
      SCOPED_TRACE(std::string(datatype_name(d)) + (binary ? " binary" : " json"));
      const Tensor t = sample_tensor(d, {2, 7}, /*text_only=*/!binary);
      const EncodedBody encoded = encode_infer_response(response_of({{"x", t}}, {binary}));
      EXPECT_EQ(encoded.json_length.has_value(), binary);
      EXPECT_STREQ(encoded.content_type, binary ? "application/octet-stream" : "application/json");
      const Body request = as_request(encoded);
      auto decoded = decode_infer_request(request.bytes, request.json_length);
      ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
      ASSERT_EQ(decoded->inputs.size(), 1u);
      EXPECT_EQ(decoded->inputs[0].name, "x");
      EXPECT_TRUE(same_tensor(t, decoded->inputs[0].tensor));
    }
  }
}

TEST(JsonCodec, MixedBinaryAndJsonTensorsKeepTheirOrder) {
  std::vector<NamedTensor> outputs;
  std::vector<bool> binary;
  for (size_t i = 0; i < std::size(kAllDtypes); ++i) {
    std::string name = "t";  // not "t" + to_string(i): GCC 12 warns falsely (-Wrestrict, PR105329)
    name += std::to_string(i);
    outputs.push_back({name, sample_tensor(kAllDtypes[i], {static_cast<int64_t>(i % 4), 3})});
    binary.push_back(i % 3 != 1);
  }
  const EncodedBody encoded = encode_infer_response(response_of(outputs, binary));
  const Body request = as_request(encoded);
  auto decoded = decode_infer_request(request.bytes, request.json_length);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
  ASSERT_EQ(decoded->inputs.size(), outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    EXPECT_EQ(decoded->inputs[i].name, outputs[i].name);
    EXPECT_TRUE(same_tensor(outputs[i].tensor, decoded->inputs[i].tensor)) << outputs[i].name;
  }
}

TEST(JsonCodec, RandomFloatsRoundTripExactly) {
  std::mt19937 rng(7);
  Tensor t32 = Tensor::allocate(DType::kFloat32, {4000}).value();
  Tensor t64 = Tensor::allocate(DType::kFloat64, {4000}).value();
  for (int i = 0; i < 4000; ++i) {
    uint32_t b32 = rng();
    if ((b32 & 0x7f800000u) == 0x7f800000u) b32 ^= 0x40000000u;  // keep it finite
    uint64_t b64 = (uint64_t{rng()} << 32) | rng();
    if ((b64 & 0x7ff0000000000000u) == 0x7ff0000000000000u) b64 ^= 0x4000000000000000u;
    std::memcpy(t32.mutable_data<float>() + i, &b32, 4);
    std::memcpy(t64.mutable_data<double>() + i, &b64, 8);
  }
  const Body request = as_request(encode_infer_response(response_of({{"a", t32}, {"b", t64}}, {})));
  auto decoded = decode_infer_request(request.bytes, std::nullopt);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
  EXPECT_TRUE(same_tensor(t32, decoded->inputs[0].tensor));
  EXPECT_TRUE(same_tensor(t64, decoded->inputs[1].tensor));
}

TEST(JsonCodec, NestedAndFlatDataAreTheSame) {
  auto flat = decode_infer_request(one_input("INT32", "[2,3]", R"("data":[1,2,3,4,5,6])"), std::nullopt);
  auto nested = decode_infer_request(one_input("INT32", "[2,3]", R"("data":[[1,2,3],[4,[5,[6]]]])"), std::nullopt);
  ASSERT_TRUE(flat.is_ok()) << flat.status().message();
  ASSERT_TRUE(nested.is_ok()) << nested.status().message();
  EXPECT_EQ(flat->inputs[0].tensor.dims(), (Dims{2, 3}));
  EXPECT_EQ(flat->inputs[0].tensor.data<int32_t>()[5], 6);
  EXPECT_TRUE(same_tensor(flat->inputs[0].tensor, nested->inputs[0].tensor));
  // Integral floats are accepted for integer types; numbers of any form for floats.
  auto r = decode_infer_request(one_input("INT64", "[2]", R"("data":[3.0,-4e2])"), std::nullopt);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->inputs[0].tensor.data<int64_t>()[1], -400);
  r = decode_infer_request(one_input("FP16", "[3]", R"("data":[1,0.5,18446744073709551615])"), std::nullopt);
  ASSERT_FALSE(r.is_ok());  // 1.8e19 does not fit FP16
  r = decode_infer_request(one_input("FP64", "[]", R"("data":[18446744073709551615])"), std::nullopt);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->inputs[0].tensor.data<double>()[0], 18446744073709551615.0);
}

TEST(JsonCodec, HandWrittenBinaryRequestWithJsonInputBetween) {
  const std::string json =
      R"({"id":"r7","inputs":[{"name":"a","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}},)"
      R"({"name":"b","datatype":"INT32","shape":[1],"data":[9]},)"
      R"({"name":"c","datatype":"BYTES","shape":[2],"parameters":{"binary_data_size":11}}]})";
  // One spare byte in front of the body so the float bytes are misaligned: the decoder must copy.
  const std::string storage = "#" + json + raw_bytes(std::vector<float>{1.5f, -2.f}) + length_prefixed({"abc", ""});
  const std::string_view body = std::string_view(storage).substr(1);
  auto r = decode_infer_request(body, json.size());
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->id, "r7");
  ASSERT_EQ(r->inputs.size(), 3u);
  EXPECT_EQ(r->inputs[0].tensor.data<float>()[1], -2.f);
  EXPECT_EQ(r->inputs[1].tensor.data<int32_t>()[0], 9);
  EXPECT_EQ(r->inputs[2].tensor.data<std::string>()[0], "abc");
  EXPECT_EQ(r->inputs[2].tensor.data<std::string>()[1], "");
}

TEST(JsonCodec, RequestParametersAndOutputs) {
  const std::string body =
      R"({"id":"q","parameters":{"binary_data_output":true,"priority":2,"timeout":1500,"sequence_id":5},)"
      R"("inputs":[{"name":"x","datatype":"BOOL","shape":[2],"data":[true,false]}],)"
      R"("outputs":[{"name":"y","parameters":{"binary_data":false}},{"name":"z"}]})";
  auto r = decode_infer_request(body, std::nullopt);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_TRUE(r->binary_outputs);
  EXPECT_EQ(r->priority, 2);
  EXPECT_EQ(r->timeout_us, 1500);
  ASSERT_EQ(r->outputs.size(), 2u);
  EXPECT_EQ(r->outputs[0].name, "y");
  EXPECT_EQ(r->outputs[0].binary, std::optional<bool>(false));
  EXPECT_FALSE(r->outputs[1].binary.has_value());
  EXPECT_TRUE(r->inputs[0].tensor.data<bool>()[0]);
  // Defaults when nothing is said; an empty tensor with a huge dim is fine.
  r = decode_infer_request(one_input("FP32", "[0,1000000000000]", R"("data":[])"), std::nullopt);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_FALSE(r->binary_outputs);
  EXPECT_EQ(r->priority, 0);
  EXPECT_EQ(r->inputs[0].tensor.num_elements(), 0);
}

TEST(JsonCodec, EncodesTheResponseEnvelopeExactly) {
  InferResponse r = response_of({{"y", Tensor::from_vector<float>({2}, {0.1f, -2.5f})},
                                 {"b", Tensor::from_vector<bool>({2}, {true, false})}}, {});
  r.id = "r1";
  EXPECT_EQ(encode_infer_response(r).body,
            R"({"model_name":"m","model_version":"1","id":"r1","outputs":[)"
            R"({"name":"y","datatype":"FP32","shape":[2],"data":[0.1,-2.5]},)"
            R"({"name":"b","datatype":"BOOL","shape":[2],"data":[true,false]}]})");
  r.id.clear();  // no "id" member at all
  EXPECT_EQ(encode_infer_response(r).body.find("\"id\""), std::string::npos);
}

TEST(JsonCodec, BinaryResponseAppendsBytesAfterTheJson) {
  const Tensor f = Tensor::from_vector<float>({3}, {1.f, 2.f, 3.f});
  Tensor s = Tensor::allocate(DType::kString, {2}).value();
  s.mutable_data<std::string>()[0] = "hi";
  const EncodedBody e = encode_infer_response(response_of({{"f", f}, {"j", f}, {"s", s}}, {true, false, true}));
  ASSERT_TRUE(e.json_length.has_value());
  const std::string json = e.body.substr(0, *e.json_length);
  EXPECT_EQ(e.body.substr(*e.json_length), raw_bytes(std::vector<float>{1.f, 2.f, 3.f}) + length_prefixed({"hi", ""}));
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(json).get(root), simdjson::SUCCESS) << json;
  simdjson::dom::array outputs;
  ASSERT_EQ(root["outputs"].get(outputs), simdjson::SUCCESS);
  int64_t size = 0;
  EXPECT_EQ(outputs.at(0)["parameters"]["binary_data_size"].get(size), simdjson::SUCCESS);
  EXPECT_EQ(size, 12);
  EXPECT_TRUE(outputs.at(0)["data"].error());  // binary outputs carry no data member
  simdjson::dom::array data;
  ASSERT_EQ(outputs.at(1)["data"].get(data), simdjson::SUCCESS);
  EXPECT_EQ(data.size(), 3u);
  EXPECT_EQ(outputs.at(2)["parameters"]["binary_data_size"].get(size), simdjson::SUCCESS);
  EXPECT_EQ(size, 10);
  std::string_view datatype;
  EXPECT_EQ(outputs.at(2)["datatype"].get(datatype), simdjson::SUCCESS);
  EXPECT_EQ(datatype, "BYTES");
}

TEST(JsonCodec, NonFiniteFloatsAreStringsAndDecodeBack) {
  const Tensor t = Tensor::from_vector<float>({3}, {NAN, INFINITY, -INFINITY});
  const EncodedBody e = encode_infer_response(response_of({{"x", t}}, {}));
  EXPECT_NE(e.body.find(R"("data":["NaN","Infinity","-Infinity"])"), std::string::npos) << e.body;
  const Body request = as_request(e);
  auto r = decode_infer_request(request.bytes, std::nullopt);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const float* v = r->inputs[0].tensor.data<float>();
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], INFINITY);
  EXPECT_EQ(v[2], -INFINITY);
  expect_invalid(one_input("FP32", "[1]", R"("data":["nan"])"), {"input 'x'", "element 0", "a number"});
}

TEST(JsonCodec, Float16IsWrittenAsItsFloatValue) {
  Tensor t = Tensor::allocate(DType::kFloat16, {2}).value();
  t.mutable_data<Float16>()[0] = Float16(0.5f);
  t.mutable_data<Float16>()[1] = Float16(0.1f);  // 0.0999755859375 as a half
  const std::string body = encode_infer_response(response_of({{"h", t}}, {})).body;
  EXPECT_NE(body.find(R"("data":[0.5,0.099975586])"), std::string::npos) << body;
}

TEST(JsonCodec, BytesOutputsAreValidJsonEvenWhenNotUtf8) {
  Tensor t = Tensor::allocate(DType::kString, {3}).value();
  t.mutable_data<std::string>()[0] = "q\"\\\n\x01";
  t.mutable_data<std::string>()[1] = "\xc3\xa9";  // valid UTF-8 passes through
  t.mutable_data<std::string>()[2] = "\xff" "a\xc3";
  const std::string body = encode_infer_response(response_of({{"s", t}}, {})).body;
  EXPECT_NE(body.find(R"(["q\"\\\u000a\u0001","é","\u00ffa\u00c3"])"), std::string::npos) << body;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(body).get(root), simdjson::SUCCESS);
  std::string_view s;
  ASSERT_EQ(root["outputs"].at(0)["data"].at(0).get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "q\"\\\n\x01");
}

TEST(JsonCodec, ErrorAndMetadataBodies) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const std::string error = encode_error("bad \"x\"\n\xff");
  ASSERT_EQ(parser.parse(error).get(root), simdjson::SUCCESS) << error;
  EXPECT_EQ(std::string_view(root["error"]), "bad \"x\"\n\xc3\xbf");

  const std::string server = encode_server_metadata({"edgeserve", "0.1.0", {"binary_tensor_data", "statistics"}});
  ASSERT_EQ(parser.parse(server).get(root), simdjson::SUCCESS) << server;
  EXPECT_EQ(server, R"({"name":"edgeserve","version":"0.1.0","extensions":["binary_tensor_data","statistics"]})");

  ModelMetadata m{"resnet", {"1", "2"}, "onnxruntime_onnx", {{"in", "FP32", {-1, 3, 224, 224}}}, {{"out", "FP32", {-1, 1000}}}};
  const std::string model = encode_model_metadata(m);
  EXPECT_EQ(model, R"({"name":"resnet","versions":["1","2"],"platform":"onnxruntime_onnx",)"
                   R"("inputs":[{"name":"in","datatype":"FP32","shape":[-1,3,224,224]}],)"
                   R"("outputs":[{"name":"out","datatype":"FP32","shape":[-1,1000]}]})");
  ASSERT_EQ(parser.parse(model).get(root), simdjson::SUCCESS);
}

TEST(JsonCodec, ElementErrorsNameTheTensorAndIndex) {
  expect_invalid(one_input("INT8", "[2]", R"("data":[1,300])"), {"input 'x'", "element 1", "out of range", "INT8"});
  expect_invalid(one_input("UINT8", "[1]", R"("data":[-1])"), {"element 0", "out of range", "UINT8"});
  expect_invalid(one_input("INT64", "[1]", R"("data":[9223372036854775808])"), {"element 0", "INT64"});
  expect_invalid(one_input("INT32", "[2]", R"("data":[1,1.5])"), {"input 'x'", "element 1", "not an integer"});
  expect_invalid(one_input("UINT64", "[1]", R"("data":[1e19])"), {"element 0", "2^53"});
  expect_invalid(one_input("INT16", "[1]", R"("data":["7"])"), {"element 0", "an integer"});
  expect_invalid(one_input("BOOL", "[2]", R"("data":[true,1])"), {"input 'x'", "element 1", "true or false"});
  expect_invalid(one_input("BYTES", "[2]", R"("data":["a",5])"), {"input 'x'", "element 1", "a string"});
  expect_invalid(one_input("FP32", "[2]", R"("data":[1,"abc"])"), {"element 1", "a number"});
  expect_invalid(one_input("FP32", "[1]", R"("data":[null])"), {"element 0", "a number"});
  expect_invalid(one_input("FP32", "[1]", R"("data":[{"a":1}])"), {"element 0", "a number"});
  expect_invalid(one_input("FP32", "[1]", R"("data":[1e39])"), {"element 0", "out of range", "FP32"});
  expect_invalid(one_input("FP16", "[1]", R"("data":[70000])"), {"element 0", "out of range", "FP16"});
  expect_invalid(one_input("FP32", "[1]", R"("data":5)"), {"input 'x'", "data must be an array"});
}

TEST(JsonCodec, ElementCountMustMatchTheShape) {
  expect_invalid(one_input("FP32", "[2,2]", R"("data":[1,2,3])"), {"input 'x'", "3 elements", "[2, 2]", "needs 4"});
  expect_invalid(one_input("FP32", "[2,2]", R"("data":[[1,2],[3,4],[5]])"), {"input 'x'", "more than 4"});
  expect_invalid(one_input("FP32", "[]", R"("data":[])"), {"input 'x'", "0 elements", "needs 1"});
}

TEST(JsonCodec, HugeShapesAreRefusedBeforeAllocating) {
  expect_invalid(one_input("FP32", "[1000000,1000000]", R"("data":[1])"), {"input 'x'", "shape", "limit"});
  const std::string binary = one_input("FP32", "[1000000,1000000]", R"("parameters":{"binary_data_size":4000000000000})");
  expect_invalid(binary, {"input 'x'", "limit"}, binary.size());
  expect_invalid(one_input("INT8", "[4294967296,4294967296,4294967296]", R"("data":[1])"), {"input 'x'", "limit"});
  expect_invalid(one_input("BYTES", "[1000000000000]", R"("data":[])"), {"input 'x'", "limit"});
  DecodeLimits small;
  small.max_tensor_bytes = 1024;
  expect_invalid(one_input("FP32", "[257]", R"("data":[])"), {"input 'x'", "1024-byte limit"}, {}, small);
  const std::string big(1020, 'a');
  expect_invalid(one_input("BYTES", "[2]", R"("data":[")" + big + R"(","12345"])"), {"input 'x'", "1024-byte limit"},
                 {}, small);
  const std::string bytes = one_input("BYTES", "[1]", R"("parameters":{"binary_data_size":1025})");
  expect_invalid(bytes, {"input 'x'", "binary_data_size 1025", "1024-byte limit"}, bytes.size(), small);
}

TEST(JsonCodec, StructuralErrorsNameTheField) {
  expect_invalid(R"({"inputs":[{"datatype":"FP32","shape":[1],"data":[1]}]})", {"inputs[0]", "'name'"});
  expect_invalid(R"({"inputs":[{"name":"x","shape":[1],"data":[1]}]})", {"input 'x'", "'datatype'"});
  expect_invalid(R"({"inputs":[{"name":"x","datatype":"FP32","data":[1]}]})", {"input 'x'", "'shape'"});
  expect_invalid(one_input("FP8", "[1]", R"("data":[1])"), {"input 'x'", "datatype", "FP8"});
  expect_invalid(one_input("FP32", "[-1]", R"("data":[1])"), {"input 'x'", "'shape'", "non-negative"});
  expect_invalid(one_input("FP32", "[1.5]", R"("data":[1])"), {"input 'x'", "'shape'"});
  expect_invalid(one_input("FP32", "1", R"("data":[1])"), {"input 'x'", "'shape'", "array"});
  expect_invalid(R"({"inputs":[{"name":7,"datatype":"FP32","shape":[1],"data":[1]}]})", {"inputs[0]", "'name'"});
  expect_invalid(R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]},)"
                 R"({"name":"x","datatype":"FP32","shape":[1],"data":[2]}]})", {"input 'x'", "twice"});
  const std::string both = one_input("FP32", "[1]", R"("data":[1],"parameters":{"binary_data_size":4})");
  expect_invalid(both + "1234", {"input 'x'", "both"}, both.size());
  expect_invalid(one_input("FP32", "[1]", R"("parameters":{})"), {"input 'x'", "neither"});
  expect_invalid(one_input("FP32", "[1]", R"("parameters":{"binary_data_size":-4})"), {"input 'x'", "binary_data_size"});
  expect_invalid(R"({"outputs":[]})", {"'inputs'"});
  expect_invalid(R"({"inputs":{}})", {"'inputs'", "array"});
  expect_invalid(R"({"inputs":[5]})", {"inputs[0]", "object"});
  expect_invalid(R"({"id":5,"inputs":[]})", {"'id'"});
  expect_invalid(R"({"inputs":[],"outputs":[{"parameters":{}}]})", {"outputs[0]", "'name'"});
  expect_invalid(R"({"inputs":[],"outputs":[{"name":"y"},{"name":"y"}]})", {"output 'y'", "twice"});
  expect_invalid(R"({"inputs":[],"outputs":[{"name":"y","parameters":{"binary_data":1}}]})", {"output 'y'", "binary_data"});
  expect_invalid(R"({"inputs":[],"outputs":[{"name":"y","parameters":{"classification":3}}]})",
                 {"output 'y'", "classification"}, {}, {}, StatusCode::kUnimplemented);
  expect_invalid(R"({"inputs":[],"parameters":{"binary_data_output":"yes"}})", {"binary_data_output"});
  expect_invalid(R"({"inputs":[],"parameters":{"priority":-1}})", {"priority"});
  expect_invalid(R"({"inputs":[],"parameters":{"timeout":"1s"}})", {"timeout"});
  expect_invalid(R"({"inputs":[],"parameters":[]})", {"'parameters'", "object"});
}

TEST(JsonCodec, BinaryLayoutErrorsSayWhatWasExpected) {
  const std::string one = one_input("FP32", "[2]", R"("parameters":{"binary_data_size":8})");
  const std::string eight(8, '\0');
  ASSERT_TRUE(decode_infer_request(one + eight, one.size()).is_ok());
  expect_invalid(one + eight, {"Inference-Header-Content-Length", "exceeds"}, one.size() + 9);
  expect_invalid(one + eight + "x", {"9 bytes of binary data", "add up to 8"}, one.size());
  expect_invalid(one + "1234", {"input 'x'", "binary_data_size 8", "runs past", "4 bytes"}, one.size());
  expect_invalid(one, {"input 'x'", "no binary data"});
  const std::string wrong = one_input("FP32", "[2]", R"("parameters":{"binary_data_size":6})");
  expect_invalid(wrong + "123456", {"input 'x'", "binary_data_size is 6", "needs 8 bytes"}, wrong.size());
  const std::string json_only = one_input("FP32", "[1]", R"("data":[1])");
  expect_invalid(json_only + "junk", {"4 bytes of binary data", "add up to 0"}, json_only.size());
  const std::string boolean = one_input("BOOL", "[2]", R"("parameters":{"binary_data_size":2})");
  expect_invalid(boolean + std::string("\x01\x02", 2), {"input 'x'", "element 1", "not 0 or 1"}, boolean.size());
}

TEST(JsonCodec, BinaryBytesMustParseExactly) {
  const auto request = [](int64_t size) {
    return one_input("BYTES", "[2]", R"("parameters":{"binary_data_size":)" + std::to_string(size) + "}");
  };
  const std::string good = length_prefixed({"ab", "c"});
  ASSERT_TRUE(decode_infer_request(request(11) + good, request(11).size()).is_ok());
  expect_invalid(request(12) + good + "z", {"input 'x'", "1 bytes left", "[2]"}, request(12).size());
  const std::string past = length_prefixed({"ab"}) + raw_bytes(std::vector<uint32_t>{9}) + "c";
  expect_invalid(request(11) + past, {"input 'x'", "element 1", "length 9"}, request(11).size());
  const std::string short_len = length_prefixed({"abc"}) + "\x01";
  expect_invalid(request(8) + short_len, {"input 'x'", "element 1", "4-byte length"}, request(8).size());
  expect_invalid(request(7) + std::string(7, '\0'), {"input 'x'", "cannot hold"}, request(7).size());
}

TEST(JsonCodec, DeepNestingIsAnErrorNotACrash) {
  const std::string deep = std::string(10000, '[') + std::string(10000, ']');
  expect_invalid(one_input("FP32", "[1]", "\"data\":" + deep), {"JSON nesting deeper than 64"});
  expect_invalid(deep, {"JSON nesting deeper than 64"});
  // 3 levels (root, inputs, input) + 60 arrays of data fit the default 64.
  const std::string ok = std::string(60, '[') + "1" + std::string(60, ']');
  auto r = decode_infer_request(one_input("FP32", "[1]", "\"data\":" + ok), std::nullopt);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->inputs[0].tensor.data<float>()[0], 1.f);
  DecodeLimits shallow;
  shallow.max_json_depth = 4;
  expect_invalid(one_input("FP32", "[1]", R"("data":[[1]])"), {"deeper than 4"}, {}, shallow);
}

TEST(JsonCodec, TruncatedAndGarbageBodies) {
  const std::string good = one_input("INT32", "[2]", R"("data":[1,2])");
  for (size_t n = 0; n < good.size(); ++n) {
    auto r = decode_infer_request(std::string_view(good).substr(0, n), std::nullopt);
    ASSERT_FALSE(r.is_ok()) << n;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
  expect_invalid("", {"invalid JSON"});
  expect_invalid(std::string("\x00\xff{}", 4), {"invalid JSON"});
  expect_invalid("{\"inputs\":[]} trailing", {"invalid JSON"});
  expect_invalid("[]", {"JSON object"});
  expect_invalid("{\"inputs\":[\"\xff\"]}", {"invalid JSON"});
}

TEST(JsonCodec, RandomMutationsNeverCrash) {
  const std::string json =
      R"({"inputs":[{"name":"a","datatype":"BYTES","shape":[2],"parameters":{"binary_data_size":9}},)"
      R"({"name":"b","datatype":"FP16","shape":[2,1],"data":[[1],[2]]}],"outputs":[{"name":"y"}]})";
  const std::string body = json + length_prefixed({"abc", ""}) + "z";
  std::mt19937 rng(42);
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string mutated = body;
    for (int k = 0; k < 1 + i % 3; ++k) mutated[rng() % mutated.size()] = static_cast<char>(rng() % 256);
    const size_t length = rng() % 4 == 0 ? rng() % (mutated.size() + 2) : json.size();
    const auto r = decode_infer_request(mutated, length);
    accepted += r.is_ok();
  }
  EXPECT_LT(accepted, 3000);  // most mutations break something; none may crash (run under ASan)
}

}  // namespace
}  // namespace edgeserve::serving
