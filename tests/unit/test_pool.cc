// Pooling kernels: MaxPool indices and storage order, ceil_mode, padding semantics, global
// pools, errors.
#include <cmath>

#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

TEST(MaxPool, IndicesFollowStorageOrder) {
  const Tensor x = Tensor::from_vector<float>({1, 1, 2, 3}, {1, 2, 3, 4, 6, 5});
  auto row = run_node(spec("MaxPool", {x}, {{"kernel_shape", ints_attr({2, 1})}}, 2));
  auto col = run_node(spec("MaxPool", {x}, {{"kernel_shape", ints_attr({2, 1})}, {"storage_order", int_attr(1)}}, 2));
  ASSERT_TRUE(row.is_ok() && col.is_ok()) << row.status().to_string();
  EXPECT_EQ(values<float>((*row)[0]), (std::vector<float>{4, 6, 5}));
  EXPECT_EQ(values<int64_t>((*row)[1]), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(values<int64_t>((*col)[1]), (std::vector<int64_t>{1, 3, 5}));
}

TEST(MaxPool, IndicesCountEarlierPlanes) {
  const Tensor x = Tensor::from_vector<float>({1, 2, 2}, {1, 2, 4, 3});
  auto out = run_node(spec("MaxPool", {x}, {{"kernel_shape", ints_attr({2})}}, 2));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<int64_t>((*out)[1]), (std::vector<int64_t>{1, 2}));
}

TEST(MaxPool, CeilModeAddsPartialWindowButNotOneStartingInPadding) {
  auto ceil = run_node(spec("MaxPool", {Tensor::from_vector<float>({1, 1, 5}, {1, 2, 3, 4, 5})},
                            {{"kernel_shape", ints_attr({2})}, {"strides", ints_attr({2})}, {"ceil_mode", int_attr(1)}}));
  ASSERT_TRUE(ceil.is_ok()) << ceil.status().to_string();
  EXPECT_EQ(values<float>((*ceil)[0]), (std::vector<float>{2, 4, 5}));
  // span (3 + 1 - 1) / 2 rounds up to 3 windows; the third would start in the end padding.
  auto dropped = run_node(spec("MaxPool", {Tensor::from_vector<float>({1, 1, 3}, {1, 2, 3})},
                               {{"kernel_shape", ints_attr({1})}, {"strides", ints_attr({2})},
                                {"pads", ints_attr({0, 1})}, {"ceil_mode", int_attr(1)}}));
  ASSERT_TRUE(dropped.is_ok()) << dropped.status().to_string();
  EXPECT_EQ(values<float>((*dropped)[0]), (std::vector<float>{1, 3}));
}

TEST(MaxPool, Int8PaddingNeverWins) {
  auto out = run_node(spec("MaxPool", {Tensor::from_vector<int8_t>({1, 1, 2}, {-5, -3})},
                           {{"kernel_shape", ints_attr({2})}, {"pads", ints_attr({1, 1})}}));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<int8_t>((*out)[0]), (std::vector<int8_t>{-5, -3, -3}));
}

TEST(AveragePool, CountIncludePadChangesTheDivisor) {
  const Tensor x = Tensor::from_vector<float>({1, 1, 3}, {1, 2, 3});
  std::map<std::string, Attribute> attrs = {{"kernel_shape", ints_attr({3})}, {"pads", ints_attr({1, 1})}};
  auto exclude = run_node(spec("AveragePool", {x}, attrs));
  attrs["count_include_pad"] = int_attr(1);
  auto include = run_node(spec("AveragePool", {x}, attrs));
  ASSERT_TRUE(exclude.is_ok() && include.is_ok());
  EXPECT_EQ(values<float>((*exclude)[0]), (std::vector<float>{1.5f, 2, 2.5f}));
  const std::vector<float> inc = values<float>((*include)[0]);
  EXPECT_FLOAT_EQ(inc[0], 1.0f);
  EXPECT_FLOAT_EQ(inc[2], 5.0f / 3);
}

TEST(LpPool, PNormOfWindows) {
  auto out = run_node(spec("LpPool", {Tensor::from_vector<float>({1, 1, 3}, {3, -4, 0})},
                           {{"kernel_shape", ints_attr({2})}, {"p", int_attr(2)}}));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{5, 4}));
}

TEST(GlobalPool, ReducesEachPlane) {
  const Tensor x = Tensor::from_vector<float>({1, 2, 2, 1}, {1, 3, -3, 4});
  auto avg = run_node(spec("GlobalAveragePool", {x}));
  auto max = run_node(spec("GlobalMaxPool", {x}));
  auto lp = run_node(spec("GlobalLpPool", {x}));
  ASSERT_TRUE(avg.is_ok() && max.is_ok() && lp.is_ok());
  EXPECT_EQ((*avg)[0].dims(), (Dims{1, 2, 1, 1}));
  EXPECT_EQ(values<float>((*avg)[0]), (std::vector<float>{2, 0.5f}));
  EXPECT_EQ(values<float>((*max)[0]), (std::vector<float>{3, 4}));
  EXPECT_FLOAT_EQ(values<float>((*lp)[0])[1], 5.0f);
}

TEST(Pool, MalformedNodesAreRejected) {
  const Tensor x = Tensor::from_vector<float>({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  expect_error(spec("MaxPool", {x}), "kernel_shape");
  expect_error(spec("MaxPool", {x}, {{"kernel_shape", ints_attr({2})}}), "kernel_shape");
  expect_error(spec("MaxPool", {x}, {{"kernel_shape", ints_attr({4, 4})}}), "output");
  expect_error(spec("MaxPool", {x}, {{"kernel_shape", ints_attr({2, 2})}, {"strides", ints_attr({0, 1})}}), "strides");
  expect_error(spec("MaxPool", {x}, {{"kernel_shape", ints_attr({2, 2})}, {"storage_order", int_attr(2)}}),
               "storage_order");
  expect_error(spec("AveragePool", {x}, {{"kernel_shape", ints_attr({2, 2})}, {"pads", ints_attr({1, 1, 1})}}), "pads");
  expect_error(spec("AveragePool", {Tensor::from_vector<float>({3, 3}, std::vector<float>(9, 1.0f))},
                    {{"kernel_shape", ints_attr({2})}}),
               "rank");
  expect_error(spec("MaxPool", {x}, {{"kernel_shape", ints_attr({1 << 20, 1 << 20})}, {"pads", ints_attr({1 << 20, 1 << 20, 1 << 20, 1 << 20})}}),
               "kernel_shape");
  expect_error(spec("LpPool", {x}, {{"kernel_shape", ints_attr({2, 2})}, {"p", int_attr(0)}}), "p must be positive");
  expect_error(spec("GlobalAveragePool", {Tensor::from_vector<float>({1, 1, 0}, {})}), "empty");
}

}  // namespace
}  // namespace edgeserve::testing
