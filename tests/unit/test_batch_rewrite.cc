// SessionOptions::free_batch: a model exported at batch 1 with a head that hard-codes it (the
// Reshape to [1, C, -1] of YOLOX and YOLOv5) runs a batch, each item equal to its batch-1 run.
#include <gtest/gtest.h>

#include "edgeserve/session.h"
#include "onnx_model_builder.h"

namespace edgeserve {
namespace {

// x [1, 2, 6] -> Mul by a per-channel weight -> Reshape [1, 4, -1] -> Transpose [0, 2, 1].
std::string head_model(const std::string& batch_dim) {
  testing::OnnxModelBuilder b;
  b.input("x", {batch_dim, "2", "6"})
      .initializer("w", {2, 1}, {0.5f, -2.0f})
      .int_initializer("shape", {1, 4, -1});
  b.node("Mul", {"x", "w"}, {"scaled"});
  b.node("Reshape", {"scaled", "shape"}, {"grouped"});
  auto* t = b.node("Transpose", {"grouped"}, {"y"});
  auto* perm = t->add_attribute();
  perm->set_name("perm");
  perm->set_type(onnx::AttributeProto::INTS);
  for (int64_t p : {0, 2, 1}) perm->add_ints(p);
  b.output("y");
  return b.bytes();
}

Tensor item(int64_t index) {
  Tensor t = Tensor::allocate(DType::kFloat32, {1, 2, 6}).value();
  for (int64_t i = 0; i < 12; ++i) t.mutable_data<float>()[i] = static_cast<float>(index * 100 + i);
  return t;
}

class FreeBatch : public ::testing::TestWithParam<Provider> {};

TEST_P(FreeBatch, EachItemOfABatchEqualsItsBatchOneRun) {
  SessionOptions fixed_opts;
  fixed_opts.provider = GetParam();
  SessionOptions free_opts = fixed_opts;
  free_opts.free_batch = true;
  auto fixed = Session::load_from_bytes(head_model("1"), fixed_opts);
  auto freed = Session::load_from_bytes(head_model("1"), free_opts);
  ASSERT_TRUE(fixed.is_ok()) << fixed.status().to_string();
  ASSERT_TRUE(freed.is_ok()) << freed.status().to_string();
  EXPECT_EQ((*freed)->inputs()[0].type.dims->at(0).symbol, "batch");

  constexpr int64_t kBatch = 3;
  Tensor batch = Tensor::allocate(DType::kFloat32, {kBatch, 2, 6}).value();
  for (int64_t b = 0; b < kBatch; ++b) {
    std::copy_n(item(b).data<float>(), 12, batch.mutable_data<float>() + b * 12);
  }
  auto out = (*freed)->run({{"x", batch}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  ASSERT_EQ((*out)[0].num_elements(), kBatch * 12);
  for (int64_t b = 0; b < kBatch; ++b) {
    auto one = (*fixed)->run({{"x", item(b)}});
    ASSERT_TRUE(one.is_ok());
    for (int64_t i = 0; i < 12; ++i) {
      EXPECT_EQ((*out)[0].data<float>()[b * 12 + i], (*one)[0].data<float>()[i]) << "item " << b << " element " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Providers, FreeBatch, ::testing::Values(Provider::kReference, Provider::kCpu));

TEST(FreeBatchErrors, AModelWithoutAFixedBatchOfOneSaysSo) {
  SessionOptions opts;
  opts.free_batch = true;
  auto s = Session::load_from_bytes(head_model("batch"), opts);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find("fixed batch of 1"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace edgeserve
