// `edgeserve bench` input shapes (batch, symbolic dims, --shape) and seeded random inputs.
#include <gtest/gtest.h>

#include "apps/edgeserve/bench_inputs.h"

namespace edgeserve::cli {
namespace {

TensorInfo info(const std::string& name, std::vector<Dim> dims, DType dtype = DType::kFloat32) {
  return TensorInfo{name, TensorType{dtype, std::move(dims)}};
}

Dim known(int64_t v) { return Dim{v, ""}; }
Dim sym(const std::string& s) { return Dim{-1, s}; }

TEST(BenchInputs, ParsesShapeOverrides) {
  auto o = parse_shape_override("images=1x3x416x416");
  ASSERT_TRUE(o.is_ok());
  EXPECT_EQ(o->input, "images");
  EXPECT_EQ(o->dims, (Dims{1, 3, 416, 416}));
  auto scalar = parse_shape_override("s=");
  ASSERT_TRUE(scalar.is_ok());
  EXPECT_TRUE(scalar->dims.empty());
  for (const char* bad : {"images", "=1x3", "x=1x", "x=1xx3", "x=-1", "x=1x3.5", "x=99999999999999"}) {
    EXPECT_FALSE(parse_shape_override(bad).is_ok()) << bad;
  }
}

TEST(BenchInputs, BatchTakesTheFirstSymbolicDim) {
  auto shapes = resolve_input_shapes({info("x", {sym("N"), known(3)}), info("y", {known(2)})}, 8, {});
  ASSERT_TRUE(shapes.is_ok()) << shapes.status().to_string();
  EXPECT_EQ((*shapes)[0].dims, (Dims{8, 3}));
  EXPECT_EQ((*shapes)[1].dims, (Dims{2}));
}

TEST(BenchInputs, ASecondSymbolicDimNeedsAShape) {
  auto shapes = resolve_input_shapes({info("x", {sym("N"), sym("seq")})}, 1, {});
  ASSERT_FALSE(shapes.is_ok());
  const std::string& m = shapes.status().message();
  EXPECT_NE(m.find("input 'x' dim 1 ('seq')"), std::string::npos) << m;
  EXPECT_NE(m.find("--shape x=DIMS"), std::string::npos) << m;
  auto given = resolve_input_shapes({info("x", {sym("N"), sym("seq")})}, 1, {{"x", {2, 5}}});
  ASSERT_TRUE(given.is_ok());
  EXPECT_EQ((*given)[0].dims, (Dims{2, 5}));
}

TEST(BenchInputs, UnknownRankNeedsAShape) {
  TensorInfo no_rank{"x", TensorType{DType::kFloat32, std::nullopt}};
  auto shapes = resolve_input_shapes({no_rank}, 1, {});
  ASSERT_FALSE(shapes.is_ok());
  EXPECT_NE(shapes.status().message().find("input 'x' has no declared rank"), std::string::npos);
}

TEST(BenchInputs, RejectsAnOverrideOfNoInputAndABatchNothingTakes) {
  EXPECT_FALSE(resolve_input_shapes({info("x", {known(1)})}, 1, {{"y", {1}}}).is_ok());
  auto batch = resolve_input_shapes({info("x", {known(1)})}, 4, {});
  ASSERT_FALSE(batch.is_ok());
  EXPECT_NE(batch.status().message().find("--batch 4"), std::string::npos);
}

TEST(BenchInputs, RandomInputsAreSeededAndInRange) {
  std::vector<InputShape> shapes = {{"f", DType::kFloat32, {64}}, {"i", DType::kInt64, {64}}, {"b", DType::kBool, {64}}};
  auto a = random_inputs(shapes, 7);
  auto b = random_inputs(shapes, 7);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  bool any_negative = false;
  for (int i = 0; i < 64; ++i) {
    const float f = (*a)[0].tensor.data<float>()[i];
    EXPECT_GE(f, -1.0f);
    EXPECT_LE(f, 1.0f);
    any_negative = any_negative || f < 0;
    EXPECT_EQ(f, (*b)[0].tensor.data<float>()[i]);
    const int64_t n = (*a)[1].tensor.data<int64_t>()[i];
    EXPECT_TRUE(n >= 0 && n <= 9) << n;
  }
  EXPECT_TRUE(any_negative);
  EXPECT_EQ((*a)[2].tensor.dtype(), DType::kBool);
}

TEST(BenchInputs, StringInputsAreRefused) {
  auto r = random_inputs({{"s", DType::kString, {2}}}, 1);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("input 's'"), std::string::npos);
}

}  // namespace
}  // namespace edgeserve::cli
