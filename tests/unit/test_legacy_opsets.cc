// Models older than opset 7: the legacy broadcast attributes and PRelu's channel-wise slope run
// with their original meaning after the upgrade.
#include <gtest/gtest.h>

#include "edgeserve/session.h"
#include "onnx_model_builder.h"

namespace edgeserve {
namespace {

using testing::OnnxModelBuilder;
using testing::set_int;

Tensor iota(Dims dims) {
  Tensor t = Tensor::allocate(DType::kFloat32, dims).value();
  for (int64_t i = 0; i < t.num_elements(); ++i) t.mutable_data<float>()[i] = static_cast<float>(i);
  return t;
}

TEST(LegacyOpsets, BroadcastAxisAlignsBWithTheGivenAxis) {
  // Opset 6: B [2] with axis 0 adds along dim 0 of A [2, 3] (numpy rules would align it with dim 1).
  OnnxModelBuilder b(6);
  b.input("a", {"2", "3"}).initializer("b", {2}, {10, 20});
  auto* add = b.node("Add", {"a", "b"}, {"y"});
  set_int(add, "broadcast", 1);
  set_int(add, "axis", 0);
  b.output("y");
  auto s = Session::load_from_bytes(b.bytes());
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  auto out = (*s)->run({{"a", iota({2, 3})}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  const float* y = (*out)[0].data<float>();
  EXPECT_EQ(std::vector<float>(y, y + 6), (std::vector<float>{10, 11, 12, 23, 24, 25}));
}

TEST(LegacyOpsets, PReluSlopeIsPerChannel) {
  OnnxModelBuilder b(6);
  b.input("x", {"1", "2", "2"}).initializer("slope", {2}, {0.5f, 2.f});
  b.node("PRelu", {"x", "slope"}, {"y"});
  b.output("y");
  auto s = Session::load_from_bytes(b.bytes());
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  Tensor x = Tensor::from_vector<float>({1, 2, 2}, {-2, -4, -2, -4});
  auto out = (*s)->run({{"x", x}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  const float* y = (*out)[0].data<float>();
  EXPECT_EQ(std::vector<float>(y, y + 4), (std::vector<float>{-1, -2, -4, -8}));
}

TEST(LegacyOpsets, BatchNormIsTestIsDropped) {
  OnnxModelBuilder b(6);
  b.input("x", {"1", "1", "2"}).initializer("s", {1}, {2}).initializer("bias", {1}, {1});
  b.initializer("mean", {1}, {0}).initializer("var", {1}, {1});
  auto* bn = b.node("BatchNormalization", {"x", "s", "bias", "mean", "var"}, {"y"});
  set_int(bn, "is_test", 1);
  b.output("y");
  auto s = Session::load_from_bytes(b.bytes());
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  auto out = (*s)->run({{"x", Tensor::from_vector<float>({1, 1, 2}, {1, 2})}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_NEAR((*out)[0].data<float>()[1], 2 * 2 / std::sqrt(1 + 1e-5f) + 1, 1e-5);
}

}  // namespace
}  // namespace edgeserve
