// Sequence and optional kernels of the reference provider: construction, positions (negative,
// front/back, out of range), SplitToSequence chunking, ConcatFromSequence with and without a new
// axis, and the optional ops on empty and present values. Session-level checks of container
// inputs and the value files are in test_sequence_session.cc.
#include <limits>

#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

Tensor vec(std::vector<float> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return Tensor::from_vector<float>({n}, v);
}

// A sequence of 1-D float tensors [0], [1, 1], [2, 2, 2]: each element is recognisable by its
// value and its length.
Tensor abc() { return Tensor::sequence(DType::kFloat32, {vec({0}), vec({1, 1}), vec({2, 2, 2})}); }

// The first value of each element, or -1 for an empty element.
std::vector<float> heads(const Tensor& seq) {
  std::vector<float> h;
  if (!seq.is_sequence()) return h;
  for (const Tensor& t : seq.items()) h.push_back(t.num_elements() > 0 ? t.data<float>()[0] : -1);
  return h;
}

Tensor pos(int64_t p) { return Tensor::scalar<int64_t>(p); }

TEST(Sequence, ConstructKeepsItsInputsInOrder) {
  Tensor seq = run_ok(spec("SequenceConstruct", {vec({0}), vec({1, 1}), vec({2, 2, 2})}));
  ASSERT_TRUE(seq.is_sequence());
  EXPECT_EQ(seq.dtype(), DType::kFloat32);
  EXPECT_EQ(heads(seq), (std::vector<float>{0, 1, 2}));
  EXPECT_EQ(seq.items()[2].dims(), (Dims{3}));
}

TEST(Sequence, ConstructRejectsMixedDtypes) {
  expect_error(spec("SequenceConstruct", {vec({0}), Tensor::scalar<int64_t>(1)}), "the sequence holds float32");
}

TEST(Sequence, ConstructRejectsAnOmittedInput) {
  expect_error(spec("SequenceConstruct", {vec({0}), Tensor()}), "required input 1 is missing");
}

TEST(Sequence, EmptyHasTheRequestedElementType) {
  Tensor seq = run_ok(spec("SequenceEmpty", {}, {{"dtype", int_attr(7)}}));  // INT64
  ASSERT_TRUE(seq.is_sequence());
  EXPECT_TRUE(seq.items().empty());
  EXPECT_EQ(seq.dtype(), DType::kInt64);
  EXPECT_EQ(run_ok(spec("SequenceLength", {seq})).data<int64_t>()[0], 0);
}

TEST(Sequence, AtTakesNegativePositionsFromTheBack) {
  EXPECT_EQ(values<float>(run_ok(spec("SequenceAt", {abc(), pos(-1)}))), (std::vector<float>{2, 2, 2}));
  EXPECT_EQ(values<float>(run_ok(spec("SequenceAt", {abc(), pos(-3)}))), (std::vector<float>{0}));
  EXPECT_EQ(values<float>(run_ok(spec("SequenceAt", {abc(), Tensor::scalar<int32_t>(1)}))),
            (std::vector<float>{1, 1}));
}

TEST(Sequence, AtRejectsPositionsOutOfRange) {
  expect_error(spec("SequenceAt", {abc(), pos(3)}), "'position' 3 is out of range [-3, 2]");
  expect_error(spec("SequenceAt", {abc(), pos(-4)}), "'position' -4 is out of range");
  expect_error(spec("SequenceAt", {Tensor::sequence(DType::kFloat32, {}), pos(0)}), "out of range");
  expect_error(spec("SequenceAt", {abc(), Tensor::from_vector<int64_t>({2}, {0, 1})}), "'position' must be one");
  expect_error(spec("SequenceAt", {vec({1}), pos(0)}), "input 0 must be a sequence");
}

TEST(Sequence, InsertAtTheFrontAndTheBack) {
  Tensor front = run_ok(spec("SequenceInsert", {abc(), vec({9}), pos(0)}));
  EXPECT_EQ(heads(front), (std::vector<float>{9, 0, 1, 2}));
  Tensor back = run_ok(spec("SequenceInsert", {abc(), vec({9})}));
  EXPECT_EQ(heads(back), (std::vector<float>{0, 1, 2, 9}));
  Tensor at_end = run_ok(spec("SequenceInsert", {abc(), vec({9}), pos(3)}));
  EXPECT_EQ(heads(at_end), (std::vector<float>{0, 1, 2, 9}));
  Tensor before_last = run_ok(spec("SequenceInsert", {abc(), vec({9}), pos(-1)}));
  EXPECT_EQ(heads(before_last), (std::vector<float>{0, 1, 9, 2}));
  EXPECT_EQ(heads(abc()), (std::vector<float>{0, 1, 2}));  // inputs are never modified
}

TEST(Sequence, InsertRejectsABadPositionOrDtype) {
  expect_error(spec("SequenceInsert", {abc(), vec({9}), pos(4)}), "'position' 4 is out of range [-3, 3]");
  expect_error(spec("SequenceInsert", {abc(), Tensor::scalar<int64_t>(9)}), "input 'tensor' is int64");
}

TEST(Sequence, EraseAtAPositionOrTheLast) {
  Tensor seq = abc();
  EXPECT_EQ(heads(run_ok(spec("SequenceErase", {seq, pos(1)}))), (std::vector<float>{0, 2}));
  EXPECT_EQ(heads(run_ok(spec("SequenceErase", {seq, pos(-3)}))), (std::vector<float>{1, 2}));
  EXPECT_EQ(heads(run_ok(spec("SequenceErase", {seq}))), (std::vector<float>{0, 1}));
  expect_error(spec("SequenceErase", {seq, pos(3)}), "out of range");
  expect_error(spec("SequenceErase", {Tensor::sequence(DType::kFloat32, {})}), "empty sequence");
}

TEST(Sequence, LengthCountsElements) {
  Tensor n = run_ok(spec("SequenceLength", {abc()}));
  EXPECT_EQ(n.dtype(), DType::kInt64);
  EXPECT_EQ(n.rank(), 0u);
  EXPECT_EQ(values<int64_t>(n), (std::vector<int64_t>{3}));
  expect_error(spec("SequenceLength", {vec({1, 2})}), "must be a sequence");
}

// x = [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]
Tensor five_rows() { return Tensor::from_vector<float>({5, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}); }

TEST(SplitToSequence, WithoutSplitEachSliceLosesTheAxisWhenKeepdimsIsZero) {
  Tensor seq = run_ok(spec("SplitToSequence", {five_rows()}, {{"axis", int_attr(1)}, {"keepdims", int_attr(0)}}));
  ASSERT_TRUE(seq.is_sequence());
  ASSERT_EQ(seq.items().size(), 2u);
  EXPECT_EQ(seq.items()[1].dims(), (Dims{5}));
  EXPECT_EQ(values<float>(seq.items()[1]), (std::vector<float>{1, 3, 5, 7, 9}));
  Tensor kept = run_ok(spec("SplitToSequence", {five_rows()}));
  ASSERT_EQ(kept.items().size(), 5u);
  EXPECT_EQ(kept.items()[4].dims(), (Dims{1, 2}));  // keepdims defaults to 1
}

TEST(SplitToSequence, ScalarSplitLeavesAShortLastChunk) {
  Tensor seq = run_ok(spec("SplitToSequence", {five_rows(), Tensor::scalar<int64_t>(2)},
                           {{"keepdims", int_attr(0)}}));  // ignored with a split input
  ASSERT_TRUE(seq.is_sequence());
  ASSERT_EQ(seq.items().size(), 3u);
  EXPECT_EQ(seq.items()[0].dims(), (Dims{2, 2}));
  EXPECT_EQ(seq.items()[2].dims(), (Dims{1, 2}));
  EXPECT_EQ(values<float>(seq.items()[2]), (std::vector<float>{8, 9}));
}

TEST(SplitToSequence, OneDimensionalSplitGivesEachLength) {
  Tensor seq = run_ok(spec("SplitToSequence", {five_rows(), Tensor::from_vector<int32_t>({3}, {1, 0, 4})}));
  ASSERT_EQ(seq.items().size(), 3u);
  EXPECT_EQ(seq.items()[1].dims(), (Dims{0, 2}));
  EXPECT_EQ(values<float>(seq.items()[2]), (std::vector<float>{2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(SplitToSequence, RejectsBadSplits) {
  expect_error(spec("SplitToSequence", {five_rows(), Tensor::from_vector<int64_t>({2}, {2, 2})}),
               "'split' lengths sum to 4, the axis has 5");
  expect_error(spec("SplitToSequence", {five_rows(), Tensor::from_vector<int64_t>({2}, {2, -1})}), "negative");
  // Lengths whose int64 sum would wrap around to the axis size.
  const int64_t big = std::numeric_limits<int64_t>::max();
  expect_error(spec("SplitToSequence", {five_rows(), Tensor::from_vector<int64_t>({3}, {big, big, 7})}),
               "'split' lengths sum to more than the axis size 5");
  expect_error(spec("SplitToSequence", {five_rows(), Tensor::scalar<int64_t>(0)}), "must be positive");
  expect_error(spec("SplitToSequence", {five_rows(), Tensor::from_vector<float>({1}, {5})}), "int32 or int64");
  EXPECT_FALSE(run_node(spec("SplitToSequence", {five_rows()}, {{"axis", int_attr(2)}})).is_ok());
}

Tensor pairs() {
  return Tensor::sequence(DType::kFloat32, {vec({1, 2}), vec({3, 4}), vec({5, 6})});
}

TEST(ConcatFromSequence, JoinsAlongAnExistingAxis) {
  Tensor y = run_ok(spec("ConcatFromSequence", {pairs()}, {{"axis", int_attr(0)}}));
  EXPECT_EQ(y.dims(), (Dims{6}));
  EXPECT_EQ(values<float>(y), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  Tensor uneven = Tensor::sequence(DType::kFloat32, {vec({1}), vec({2, 3})});
  EXPECT_EQ(values<float>(run_ok(spec("ConcatFromSequence", {uneven}, {{"axis", int_attr(-1)}}))),
            (std::vector<float>{1, 2, 3}));
}

TEST(ConcatFromSequence, NewAxisStacks) {
  Tensor rows = run_ok(spec("ConcatFromSequence", {pairs()}, {{"axis", int_attr(0)}, {"new_axis", int_attr(1)}}));
  EXPECT_EQ(rows.dims(), (Dims{3, 2}));
  EXPECT_EQ(values<float>(rows), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  Tensor cols = run_ok(spec("ConcatFromSequence", {pairs()}, {{"axis", int_attr(1)}, {"new_axis", int_attr(1)}}));
  EXPECT_EQ(cols.dims(), (Dims{2, 3}));
  EXPECT_EQ(values<float>(cols), (std::vector<float>{1, 3, 5, 2, 4, 6}));
  // With new_axis the axis may be the rank of the elements (-1 counts from rank + 1).
  Tensor last = run_ok(spec("ConcatFromSequence", {pairs()}, {{"axis", int_attr(-1)}, {"new_axis", int_attr(1)}}));
  EXPECT_EQ(last.dims(), (Dims{2, 3}));
}

TEST(ConcatFromSequence, RejectsMismatchedOrEmptySequences) {
  Tensor mixed = Tensor::sequence(DType::kFloat32, {vec({1, 2}), vec({3})});
  expect_error(spec("ConcatFromSequence", {mixed}, {{"axis", int_attr(0)}, {"new_axis", int_attr(1)}}),
               "differ at dim 1");
  expect_error(spec("ConcatFromSequence", {Tensor::sequence(DType::kFloat32, {})}, {{"axis", int_attr(0)}}),
               "empty sequence");
  EXPECT_FALSE(run_node(spec("ConcatFromSequence", {pairs()}, {{"axis", int_attr(1)}})).is_ok());
  EXPECT_FALSE(run_node(spec("ConcatFromSequence", {pairs()})).is_ok());  // axis is required
}

TEST(Optional, HasElementTellsEmptyFromPresent) {
  EXPECT_EQ(values<bool>(run_ok(spec("OptionalHasElement", {Tensor::none(DType::kFloat32)}))),
            (std::vector<bool>{false}));
  EXPECT_EQ(values<bool>(run_ok(spec("OptionalHasElement", {vec({1})}))), (std::vector<bool>{true}));
  EXPECT_EQ(values<bool>(run_ok(spec("OptionalHasElement", {abc()}))), (std::vector<bool>{true}));
  EXPECT_EQ(values<bool>(run_ok(spec("OptionalHasElement", {Tensor()}))), (std::vector<bool>{false}));
}

TEST(Optional, GetElementReturnsTheValueOrFails) {
  EXPECT_EQ(values<float>(run_ok(spec("OptionalGetElement", {vec({4, 5})}))), (std::vector<float>{4, 5}));
  EXPECT_EQ(heads(run_ok(spec("OptionalGetElement", {abc()}))), (std::vector<float>{0, 1, 2}));
  expect_error(spec("OptionalGetElement", {Tensor::none(DType::kFloat32)}), "the optional input is empty");
}

TEST(Optional, WrapsItsInputOrIsEmpty) {
  EXPECT_TRUE(run_ok(spec("Optional", {})).is_none());
  Tensor some = run_ok(spec("Optional", {vec({7})}));
  EXPECT_FALSE(some.is_container());
  EXPECT_EQ(values<float>(some), (std::vector<float>{7}));
}

}  // namespace
}  // namespace edgeserve::testing
