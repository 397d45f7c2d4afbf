// MatMul, Gemm, MatMulInteger and Einsum: broadcasting, 1-D promotion, equation parsing, errors.
#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

TEST(MatMul, BatchBroadcastAndVectorPromotion) {
  Tensor a = Tensor::from_vector<float>({2, 1, 2}, {1, 2, 3, 4});
  Tensor b = Tensor::from_vector<float>({2, 1}, {1, 1});
  auto out = run_node(spec("MatMul", {a, b}));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].dims(), (Dims{2, 1, 1}));
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{3, 7}));
  auto vv = run_node(spec("MatMul", {Tensor::from_vector<float>({2}, {1, 2}), Tensor::from_vector<float>({2}, {3, 4})}));
  ASSERT_TRUE(vv.is_ok());
  EXPECT_EQ((*vv)[0].dims(), (Dims{}));
  EXPECT_EQ(values<float>((*vv)[0]), (std::vector<float>{11}));
}

TEST(MatMul, IntegerOverflowWraps) {
  auto out = run_node(spec("MatMul", {Tensor::from_vector<int32_t>({1, 1}, {1 << 30}), Tensor::from_vector<int32_t>({1, 1}, {4})}));
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(values<int32_t>((*out)[0]), (std::vector<int32_t>{0}));
}

TEST(MatMul, InnerMismatchNamesBothShapes) {
  auto out = run_node(spec("MatMul", {Tensor::allocate(DType::kFloat32, {2, 3}).value(), Tensor::allocate(DType::kFloat32, {4, 2}).value()}));
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("[2, 3]"), std::string::npos);
  EXPECT_NE(out.status().message().find("[4, 2]"), std::string::npos);
  EXPECT_FALSE(run_node(spec("MatMul", {Tensor::scalar<float>(1), Tensor::scalar<float>(1)})).is_ok());
}

TEST(Gemm, TransposeAlphaBetaAndBroadcastC) {
  Tensor a = Tensor::from_vector<float>({2, 1}, {1, 2});  // transA -> [1, 2]
  Tensor b = Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4});
  Tensor c = Tensor::from_vector<float>({2}, {10, 20});
  auto out = run_node(spec("Gemm", {a, b, c}, {{"transA", int_attr(1)}, {"alpha", float_attr(2)}, {"beta", float_attr(0.5f)}}));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].dims(), (Dims{1, 2}));
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{2 * 7 + 5, 2 * 10 + 10}));
  auto bad_c = run_node(spec("Gemm", {a, b, Tensor::from_vector<float>({3}, {1, 2, 3})}, {{"transA", int_attr(1)}}));
  EXPECT_FALSE(bad_c.is_ok());
}

TEST(MatMulInteger, ZeroPointsPerRowAndScalar) {
  Tensor a = Tensor::from_vector<uint8_t>({2, 2}, {11, 12, 13, 14});
  Tensor b = Tensor::from_vector<int8_t>({2, 1}, {1, -1});
  auto out = run_node(spec("MatMulInteger", {a, b, Tensor::from_vector<uint8_t>({2}, {10, 12}), Tensor::scalar<int8_t>(0)}));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].dtype(), DType::kInt32);
  EXPECT_EQ(values<int32_t>((*out)[0]), (std::vector<int32_t>{-1, -1}));
}

TEST(Einsum, ExplicitTransposeAndContraction) {
  Tensor a = Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4});
  auto t = run_node(spec("Einsum", {a}, {{"equation", string_attr("ij->ji")}}));
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ(values<float>((*t)[0]), (std::vector<float>{1, 3, 2, 4}));
  auto mm = run_node(spec("Einsum", {a, a}, {{"equation", string_attr("ij, jk")}}));  // implicit output "ik"
  ASSERT_TRUE(mm.is_ok());
  EXPECT_EQ(values<float>((*mm)[0]), (std::vector<float>{7, 10, 15, 22}));
  auto trace = run_node(spec("Einsum", {a}, {{"equation", string_attr("ii")}}));
  ASSERT_TRUE(trace.is_ok());
  EXPECT_EQ(values<float>((*trace)[0]), (std::vector<float>{5}));
}

TEST(Einsum, EllipsisBroadcasts) {
  Tensor a = Tensor::from_vector<float>({2, 1, 2}, {1, 2, 3, 4});
  Tensor b = Tensor::from_vector<float>({3, 2}, {1, 0, 0, 1, 1, 1});
  auto out = run_node(spec("Einsum", {a, b}, {{"equation", string_attr("...j,...j->...")}}));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].dims(), (Dims{2, 3}));
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{1, 2, 3, 3, 4, 7}));
}

TEST(Einsum, ExplicitOutputWithoutEllipsisSumsBatchAndIntegersWork) {
  Tensor a = Tensor::from_vector<int64_t>({2, 1, 2}, {1, 2, 3, 4});
  auto out = run_node(spec("Einsum", {a}, {{"equation", string_attr("...j->j")}}));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<int64_t>((*out)[0]), (std::vector<int64_t>{4, 6}));
}

TEST(Gemm, InnerMismatchAndRankAreErrors) {
  Tensor a = Tensor::allocate(DType::kFloat32, {2, 3}).value();
  auto out = run_node(spec("Gemm", {a, a}));
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("[2, 3]"), std::string::npos);
  EXPECT_TRUE(run_node(spec("Gemm", {a, a}, {{"transB", int_attr(1)}})).is_ok());
  EXPECT_FALSE(run_node(spec("Gemm", {Tensor::allocate(DType::kFloat32, {3}).value(), a})).is_ok());
}

TEST(Einsum, MalformedEquationsAreErrors) {
  Tensor a = Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4});
  for (const char* eq : {"ij->k", "i.j->ij", "ij->ii", "ij->i->j", "i$j", "ij,jk->ik"}) {
    auto out = run_node(spec("Einsum", {a}, {{"equation", string_attr(eq)}}));
    ASSERT_FALSE(out.is_ok()) << eq;
    EXPECT_NE(out.status().message().find(eq), std::string::npos) << out.status().message();
  }
  auto rank = run_node(spec("Einsum", {a}, {{"equation", string_attr("ijk->i")}}));
  EXPECT_FALSE(rank.is_ok());
  auto size = run_node(spec("Einsum", {a, Tensor::allocate(DType::kFloat32, {3}).value()}, {{"equation", string_attr("ij,j->i")}}));
  EXPECT_FALSE(size.is_ok());
}

}  // namespace
}  // namespace edgeserve::testing
