// validate_request: what admission accepts and the messages for what it refuses.
#include <gtest/gtest.h>

#include "serving/core/model_spec.h"

namespace edgeserve::serving {
namespace {

ModelSpec batched_spec() {
  ModelSpec s;
  s.name = "m";
  s.version = "1";
  s.max_batch_size = 4;
  s.inputs = {{"x", DType::kFloat32, {3, -1}, std::nullopt}};
  s.outputs = {{"y", DType::kFloat32, {3}, std::nullopt}};
  return s;
}

InferRequest request_with(Dims dims, DType dtype = DType::kFloat32, std::string name = "x") {
  InferRequest r;
  r.inputs.push_back({std::move(name), Tensor::allocate(dtype, dims).value()});
  return r;
}

std::string error_of(const ModelSpec& s, const InferRequest& r) {
  Result<RequestShape> v = validate_request(s, r);
  return v.is_ok() ? "" : v.status().message();
}

TEST(ModelSpec, AcceptsBatchAndVariableDims) {
  Result<RequestShape> a = validate_request(batched_spec(), request_with({2, 3, 5}));
  ASSERT_TRUE(a.is_ok()) << a.status().message();
  EXPECT_EQ(a->rows, 2);
  Result<RequestShape> b = validate_request(batched_spec(), request_with({1, 3, 5}));
  Result<RequestShape> c = validate_request(batched_spec(), request_with({1, 3, 6}));
  EXPECT_EQ(a->shape_key, b->shape_key);  // same non-batch dims: may share a batch
  EXPECT_NE(b->shape_key, c->shape_key);
}

TEST(ModelSpec, RefusesWithMessagesNamingTheTensor) {
  const ModelSpec s = batched_spec();
  EXPECT_NE(error_of(s, request_with({1, 3, 5}, DType::kInt32)).find("input 'x': datatype INT32, expected FP32"),
            std::string::npos);
  EXPECT_NE(error_of(s, request_with({1, 4, 5})).find("expected [-1, 3, -1]"), std::string::npos);
  EXPECT_NE(error_of(s, request_with({5, 3, 5})).find("outside [1, 4]"), std::string::npos);
  EXPECT_NE(error_of(s, request_with({1, 3, 5}, DType::kFloat32, "w")).find("'w' is not an input"), std::string::npos);
  EXPECT_NE(error_of(s, InferRequest{}).find("needs input 'x'"), std::string::npos);
  InferRequest twice = request_with({1, 3, 5});
  twice.inputs.push_back(twice.inputs[0]);
  EXPECT_NE(error_of(s, twice).find("given twice"), std::string::npos);
  InferRequest bad_output = request_with({1, 3, 5});
  bad_output.outputs.push_back({"q", std::nullopt});
  EXPECT_NE(error_of(s, bad_output).find("'q' is not an output"), std::string::npos);
}

TEST(ModelSpec, UnbatchedModelsTakeTheShapeAsDeclared) {
  ModelSpec s = batched_spec();
  s.max_batch_size = 0;
  EXPECT_EQ(error_of(s, request_with({3, 5})), "");
  EXPECT_NE(error_of(s, request_with({1, 3, 5})), "");
}

TEST(ModelSpec, ReshapesBetweenClientAndModelDims) {
  ModelSpec s = batched_spec();
  s.inputs = {{"x", DType::kFloat32, {2, 2}, std::vector<int64_t>{4}}};
  s.outputs = {{"y", DType::kFloat32, {2, 2}, std::vector<int64_t>{4}}};
  InferRequest r = request_with({3, 2, 2});
  ASSERT_EQ(error_of(s, r), "");
  reshape_inputs_for_model(s, &r);
  EXPECT_EQ(r.inputs[0].tensor.dims(), (Dims{3, 4}));
  Tensor out = reshape_output_for_client(s, 0, Tensor::allocate(DType::kFloat32, {3, 4}).value());
  EXPECT_EQ(out.dims(), (Dims{3, 2, 2}));
}

}  // namespace
}  // namespace edgeserve::serving
