// Reduce* and ArgMax/ArgMin kernels: axes handling across opsets, empty sets, errors.
#include <cmath>
#include <limits>

#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

Tensor x23() { return Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6}); }

TEST(Reduce, SumAxesFromInputAtOpset13) {
  auto out = run_node(spec("ReduceSum", {x23(), Tensor::from_vector<int64_t>({1}, {-1})}, {{"keepdims", int_attr(0)}}, 1, 13));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].dims(), (Dims{2}));
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{6, 15}));
}

TEST(Reduce, SumEmptyAxesReducesAllOrIsNoop) {
  auto all = run_node(spec("ReduceSum", {x23(), Tensor::from_vector<int64_t>({0}, {})}, {}, 1, 13));
  ASSERT_TRUE(all.is_ok());
  EXPECT_EQ((*all)[0].dims(), (Dims{1, 1}));
  EXPECT_EQ(values<float>((*all)[0]), (std::vector<float>{21}));
  auto noop = run_node(spec("ReduceSum", {x23(), Tensor()}, {{"noop_with_empty_axes", int_attr(1)}}, 1, 13));
  ASSERT_TRUE(noop.is_ok());
  EXPECT_EQ(values<float>((*noop)[0]), values<float>(x23()));
}

TEST(Reduce, MeanAxesAttributeBeforeOpset18) {
  auto out = run_node(spec("ReduceMean", {x23()}, {{"axes", ints_attr({0})}}, 1, 13));
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ((*out)[0].dims(), (Dims{1, 3}));
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{2.5f, 3.5f, 4.5f}));
}

TEST(Reduce, LogSumExpIsStableForLargeInputs) {
  auto out = run_node(spec("ReduceLogSumExp", {Tensor::from_vector<float>({2}, {1000, 1000})}, {{"keepdims", int_attr(0)}}, 1, 13));
  ASSERT_TRUE(out.is_ok());
  EXPECT_NEAR(values<float>((*out)[0])[0], 1000 + std::log(2.0f), 1e-3);
}

TEST(Reduce, EmptySetGivesIdentityValues) {
  Tensor empty = Tensor::allocate(DType::kFloat32, {2, 0}).value();
  auto mx = run_node(spec("ReduceMax", {empty}, {{"axes", ints_attr({1})}}, 1, 13));
  ASSERT_TRUE(mx.is_ok());
  EXPECT_EQ(values<float>((*mx)[0])[0], -std::numeric_limits<float>::infinity());
  auto prod = run_node(spec("ReduceProd", {empty}, {{"axes", ints_attr({1})}}, 1, 13));
  ASSERT_TRUE(prod.is_ok());
  EXPECT_EQ(values<float>((*prod)[0]), (std::vector<float>{1, 1}));
}

TEST(Reduce, IntegerL1AndMaxInt8) {
  auto l1 = run_node(spec("ReduceL1", {Tensor::from_vector<int32_t>({3}, {-1, 2, -3})}, {}, 1, 13));
  ASSERT_TRUE(l1.is_ok());
  EXPECT_EQ(values<int32_t>((*l1)[0]), (std::vector<int32_t>{6}));
  auto mx = run_node(spec("ReduceMax", {Tensor::from_vector<int8_t>({3}, {-1, 7, -3})}, {}, 1, 13));
  ASSERT_TRUE(mx.is_ok());
  EXPECT_EQ(values<int8_t>((*mx)[0]), (std::vector<int8_t>{7}));
}

TEST(Reduce, BadAxisIsAnError) {
  EXPECT_FALSE(run_node(spec("ReduceSum", {x23(), Tensor::from_vector<int64_t>({1}, {2})}, {}, 1, 13)).is_ok());
  EXPECT_FALSE(run_node(spec("ReduceMin", {x23()}, {{"axes", ints_attr({0, -2})}}, 1, 13)).is_ok());
  EXPECT_FALSE(run_node(spec("ReduceSum", {x23(), Tensor::from_vector<float>({1}, {0})}, {}, 1, 13)).is_ok());
}

TEST(ArgMax, SelectLastIndexAndKeepdims) {
  Tensor x = Tensor::from_vector<float>({2, 3}, {1, 5, 5, 7, 2, 7});
  auto first = run_node(spec("ArgMax", {x}, {{"axis", int_attr(1)}, {"keepdims", int_attr(0)}}));
  ASSERT_TRUE(first.is_ok());
  EXPECT_EQ((*first)[0].dtype(), DType::kInt64);
  EXPECT_EQ(values<int64_t>((*first)[0]), (std::vector<int64_t>{1, 0}));
  auto last = run_node(spec("ArgMax", {x}, {{"axis", int_attr(-1)}, {"select_last_index", int_attr(1)}}));
  ASSERT_TRUE(last.is_ok());
  EXPECT_EQ((*last)[0].dims(), (Dims{2, 1}));
  EXPECT_EQ(values<int64_t>((*last)[0]), (std::vector<int64_t>{2, 2}));
}

TEST(ArgMin, AlongAxisZeroAndErrors) {
  auto out = run_node(spec("ArgMin", {x23()}, {{"axis", int_attr(0)}}));
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(values<int64_t>((*out)[0]), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_FALSE(run_node(spec("ArgMin", {x23()}, {{"axis", int_attr(2)}})).is_ok());
  EXPECT_FALSE(run_node(spec("ArgMin", {Tensor::allocate(DType::kFloat32, {0, 2}).value()})).is_ok());
}

}  // namespace
}  // namespace edgeserve::testing
