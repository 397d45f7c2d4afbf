// Shape and layout kernels: tricky semantics (Reshape 0/-1, Slice clamping, Pad modes) and errors.
#include <cstdint>
#include <limits>

#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

using I64 = std::vector<int64_t>;
using F = std::vector<float>;

Tensor iota_f(const Dims& dims) {
  Tensor t = Tensor::allocate(DType::kFloat32, dims).value();
  for (int64_t i = 0; i < t.num_elements(); ++i) t.mutable_data<float>()[i] = static_cast<float>(i);
  return t;
}

Tensor ints(const I64& v) { return Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v); }

TEST(Shape, ReshapeCopiesZeroAndInfersMinusOne) {
  Tensor x = iota_f({2, 3, 4});
  Tensor y = run_ok(spec("Reshape", {x, ints({0, -1})}));
  EXPECT_EQ(y.dims(), (Dims{2, 12}));
  EXPECT_EQ(y.raw_data(), x.raw_data());  // aliases the input
}

TEST(Shape, ReshapeAllowZeroKeepsZero) {
  Tensor y = run_ok(spec("Reshape", {iota_f({0, 3}), ints({3, 0})}, {{"allowzero", int_attr(1)}}, 1, 14));
  EXPECT_EQ(y.dims(), (Dims{3, 0}));
}

TEST(Shape, ReshapeRejectsBadShapes) {
  expect_error(spec("Reshape", {iota_f({2, 3}), ints({4, 2})}), "elements");
  expect_error(spec("Reshape", {iota_f({2, 3}), ints({-1, -1})}), "more than one -1");
  expect_error(spec("Reshape", {iota_f({2, 3}), ints({-2, 3})}), "invalid dimension");
  expect_error(spec("Reshape", {iota_f({6}), ints({0, 6})}), "");
}

TEST(Shape, FlattenAxisEqualToRank) {
  EXPECT_EQ(run_ok(spec("Flatten", {iota_f({2, 3})}, {{"axis", int_attr(2)}})).dims(), (Dims{6, 1}));
  EXPECT_EQ(run_ok(spec("Flatten", {iota_f({2, 3, 4})}, {{"axis", int_attr(-1)}})).dims(), (Dims{6, 4}));
  expect_error(spec("Flatten", {iota_f({2, 3})}, {{"axis", int_attr(3)}}), "out of range");
}

TEST(Shape, SqueezeAndUnsqueezeAcrossOpsets) {
  EXPECT_EQ(run_ok(spec("Squeeze", {iota_f({1, 3, 1})})).dims(), (Dims{3}));
  EXPECT_EQ(run_ok(spec("Squeeze", {iota_f({1, 3, 1}), ints({-1})})).dims(), (Dims{1, 3}));
  EXPECT_EQ(run_ok(spec("Squeeze", {iota_f({1, 3})}, {{"axes", ints_attr({0})}}, 1, 11)).dims(), (Dims{3}));
  expect_error(spec("Squeeze", {iota_f({1, 3}), ints({1})}), "cannot squeeze");
  EXPECT_EQ(run_ok(spec("Unsqueeze", {iota_f({3}), ints({0, -1})})).dims(), (Dims{1, 3, 1}));
  EXPECT_EQ(run_ok(spec("Unsqueeze", {iota_f({3})}, {{"axes", ints_attr({1})}}, 1, 11)).dims(), (Dims{3, 1}));
  expect_error(spec("Unsqueeze", {iota_f({3}), ints({0, 0})}), "repeated");
}

TEST(Shape, ConcatStringsAndShapeMismatch) {
  Tensor a = Tensor::from_vector<std::string>({1, 2}, {"a", "b"});
  Tensor b = Tensor::from_vector<std::string>({1, 1}, {"c"});
  Tensor y = run_ok(spec("Concat", {a, b}, {{"axis", int_attr(1)}}));
  EXPECT_EQ(values<std::string>(y), (std::vector<std::string>{"a", "b", "c"}));
  expect_error(spec("Concat", {a, b}, {{"axis", int_attr(0)}}), "incompatible");
}

TEST(Shape, SplitEqualExplicitAndCeil) {
  auto out = run_node(spec("Split", {iota_f({5}), ints({2, 3})}, {}, 2, 13));
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(values<float>((*out)[1]), (F{2, 3, 4}));
  expect_error(spec("Split", {iota_f({5})}, {}, 2, 13), "equal parts");
  expect_error(spec("Split", {iota_f({5}), ints({2, 2})}, {}, 2, 13), "sum to");
  expect_error(spec("Split", {iota_f({5}), ints({4, 4})}, {}, 2, 13), "exceed");
  out = run_node(spec("Split", {iota_f({5})}, {{"num_outputs", int_attr(2)}}, 2, 18));
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ((*out)[0].dims(), (Dims{3}));
  EXPECT_EQ((*out)[1].dims(), (Dims{2}));
  out = run_node(spec("Split", {iota_f({2, 2})}, {{"axis", int_attr(1)}, {"split", ints_attr({1, 1})}}, 2, 11));
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(values<float>((*out)[1]), (F{1, 3}));
}

TEST(Shape, SliceNegativeStepAndClamping) {
  const int64_t kMin = std::numeric_limits<int64_t>::min(), kMax = std::numeric_limits<int64_t>::max();
  // Reverse the whole axis with the extreme bounds exporters emit.
  Tensor y = run_ok(spec("Slice", {iota_f({5}), ints({kMax}), ints({kMin}), ints({0}), ints({-2})}));
  EXPECT_EQ(values<float>(y), (F{4, 2, 0}));
  y = run_ok(spec("Slice", {iota_f({2, 5}), ints({1, 100}), ints({kMax, -100}), ints({0, 1}), ints({1, kMin})}));
  EXPECT_EQ(values<float>(y), (F{9}));
  y = run_ok(spec("Slice", {iota_f({5}), ints({3}), ints({1})}));
  EXPECT_EQ(y.dims(), (Dims{0}));
  y = run_ok(spec("Slice", {iota_f({2, 3})},
                  {{"starts", ints_attr({1})}, {"ends", ints_attr({3})}, {"axes", ints_attr({1})}}, 1, 9));
  EXPECT_EQ(values<float>(y), (F{1, 2, 4, 5}));
  expect_error(spec("Slice", {iota_f({5}), ints({0}), ints({5}), ints({0}), ints({0})}), "must not contain 0");
  expect_error(spec("Slice", {iota_f({5}), ints({0}), ints({5}), ints({1})}), "out of range");
}

TEST(Layout, TransposeExpandTile) {
  Tensor y = run_ok(spec("Transpose", {iota_f({2, 3})}));
  EXPECT_EQ(values<float>(y), (F{0, 3, 1, 4, 2, 5}));
  expect_error(spec("Transpose", {iota_f({2, 3})}, {{"perm", ints_attr({0, 0})}}), "repeated");
  y = run_ok(spec("Expand", {iota_f({2, 1}), ints({2, 2})}));
  EXPECT_EQ(values<float>(y), (F{0, 0, 1, 1}));
  expect_error(spec("Expand", {iota_f({2, 3}), ints({4})}), "cannot be broadcast");
  Tensor h = Tensor::allocate(DType::kFloat16, {2}).value();
  h.mutable_data<Float16>()[1] = Float16(1.5f);
  y = run_ok(spec("Tile", {h, ints({2})}));
  ASSERT_EQ(y.dtype(), DType::kFloat16);
  EXPECT_EQ(static_cast<float>(y.data<Float16>()[3]), 1.5f);
  expect_error(spec("Tile", {iota_f({2}), ints({-1})}), "negative");
  expect_error(spec("Tile", {iota_f({2}), ints({INT64_MAX})}), "", StatusCode::kResourceExhausted);
}

TEST(Layout, PadModes) {
  Tensor x = iota_f({3});
  EXPECT_EQ(values<float>(run_ok(spec("Pad", {x, ints({2, 2})}, {{"mode", string_attr("reflect")}}))),
            (F{2, 1, 0, 1, 2, 1, 0}));
  EXPECT_EQ(values<float>(run_ok(spec("Pad", {x, ints({1, 1})}, {{"mode", string_attr("edge")}}))), (F{0, 0, 1, 2, 2}));
  EXPECT_EQ(values<float>(run_ok(spec("Pad", {x, ints({-1, 1}), Tensor::scalar<float>(9)}))), (F{1, 2, 9}));
  EXPECT_EQ(values<float>(run_ok(spec("Pad", {x}, {{"pads", ints_attr({1, 0})}, {"value", float_attr(7)}}, 1, 2))),
            (F{7, 0, 1, 2}));
  expect_error(spec("Pad", {x, ints({-4, 0})}), "invalid");
  expect_error(spec("Pad", {x, ints({1})}), "expected 2");
  expect_error(spec("Pad", {iota_f({0}), ints({1, 0})}, {{"mode", string_attr("edge")}}), "empty axis");
}

TEST(Shape, ShapeSizeDropout) {
  EXPECT_EQ(values<int64_t>(run_ok(spec("Shape", {iota_f({2, 3, 4})}, {{"start", int_attr(-2)}}, 1, 15))), (I64{3, 4}));
  EXPECT_EQ(values<int64_t>(run_ok(spec("Shape", {iota_f({2, 3})}, {{"start", int_attr(5)}}, 1, 15))), I64{});
  EXPECT_EQ(values<int64_t>(run_ok(spec("Size", {iota_f({2, 3})}))), (I64{6}));
  Tensor mask = run_ok(spec("Dropout", {iota_f({2})}, {}, 2, 13), 1);
  EXPECT_EQ(values<bool>(mask), (std::vector<bool>{true, true}));
  expect_error(spec("Dropout", {iota_f({2}), Tensor::scalar<float>(0.5f), Tensor::scalar<bool>(true)}), "training_mode",
               StatusCode::kUnimplemented);
}

TEST(Layout, DepthToSpaceModesAndSpaceToDepthInverse) {
  Tensor x = iota_f({1, 4, 1, 1});
  EXPECT_EQ(values<float>(run_ok(spec("DepthToSpace", {x}, {{"blocksize", int_attr(2)}}))), (F{0, 1, 2, 3}));
  Tensor x2 = iota_f({1, 8, 1, 1});
  Tensor dcr = run_ok(spec("DepthToSpace", {x2}, {{"blocksize", int_attr(2)}}));
  Tensor crd = run_ok(spec("DepthToSpace", {x2}, {{"blocksize", int_attr(2)}, {"mode", string_attr("CRD")}}));
  EXPECT_EQ(values<float>(dcr), (F{0, 2, 4, 6, 1, 3, 5, 7}));
  EXPECT_EQ(values<float>(crd), (F{0, 1, 2, 3, 4, 5, 6, 7}));
  Tensor back = run_ok(spec("SpaceToDepth", {dcr}, {{"blocksize", int_attr(2)}}));
  EXPECT_EQ(values<float>(back), values<float>(x2));
  expect_error(spec("DepthToSpace", {iota_f({1, 3, 1, 1})}, {{"blocksize", int_attr(2)}}), "divisible");
  expect_error(spec("SpaceToDepth", {x}, {{"blocksize", int_attr(0)}}), "blocksize");
}

}  // namespace
}  // namespace edgeserve::testing
