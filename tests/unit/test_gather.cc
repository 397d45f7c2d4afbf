// Gather/scatter kernels: negative indices, batch_dims, reductions, and index validation.
#include <cstdint>

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

Tensor idx(const Dims& dims, const I64& v) { return Tensor::from_vector<int64_t>(dims, v); }

TEST(Gather, NegativeIndicesAndAxis) {
  Tensor y = run_ok(spec("Gather", {iota_f({2, 3}), idx({2}, {-1, 0})}, {{"axis", int_attr(1)}}));
  EXPECT_EQ(y.dims(), (Dims{2, 2}));
  EXPECT_EQ(values<float>(y), (F{2, 0, 5, 3}));
  Tensor i32 = Tensor::from_vector<int32_t>({}, {1});
  y = run_ok(spec("Gather", {iota_f({2, 3}), i32}));
  EXPECT_EQ(y.dims(), (Dims{3}));
  EXPECT_EQ(values<float>(y), (F{3, 4, 5}));
}

TEST(Gather, OutOfRangeIndexNamesInputAndValue) {
  expect_error(spec("Gather", {iota_f({2, 3}), idx({1}, {2})}), "indices (input 1) has value 2");
  expect_error(spec("Gather", {iota_f({2, 3}), idx({1}, {-3})}), "value -3");
  expect_error(spec("Gather", {iota_f({2}), iota_f({1})}), "int32 or int64");
}

TEST(Gather, Float16IsMovedNatively) {
  Tensor h = Tensor::allocate(DType::kFloat16, {2}).value();
  h.mutable_data<Float16>()[1] = Float16(3.0f);
  Tensor y = run_ok(spec("Gather", {h, idx({1}, {1})}));
  ASSERT_EQ(y.dtype(), DType::kFloat16);
  EXPECT_EQ(static_cast<float>(y.data<Float16>()[0]), 3.0f);
}

TEST(Gather, GatherElementsAndErrors) {
  Tensor y = run_ok(spec("GatherElements", {iota_f({2, 2}), idx({2, 2}, {0, 0, 1, 0})}, {{"axis", int_attr(1)}}));
  EXPECT_EQ(values<float>(y), (F{0, 0, 3, 2}));
  expect_error(spec("GatherElements", {iota_f({2, 2}), idx({1, 1}, {5})}), "value 5");
  expect_error(spec("GatherElements", {iota_f({2, 2}), idx({2}, {0, 0})}), "rank");
}

TEST(Gather, GatherNDWithBatchDims) {
  // data [2, 2, 2], indices [2, 1]: batch b picks data[b, i].
  Tensor y = run_ok(spec("GatherND", {iota_f({2, 2, 2}), idx({2, 1}, {1, 0})}, {{"batch_dims", int_attr(1)}}));
  EXPECT_EQ(y.dims(), (Dims{2, 2}));
  EXPECT_EQ(values<float>(y), (F{2, 3, 4, 5}));
  y = run_ok(spec("GatherND", {iota_f({2, 2}), idx({2, 2}, {0, 1, -1, 0})}));
  EXPECT_EQ(values<float>(y), (F{1, 2}));
  expect_error(spec("GatherND", {iota_f({2, 2}), idx({1, 3}, {0, 0, 0})}), "do not fit");
  expect_error(spec("GatherND", {iota_f({2, 2}), idx({1, 2}, {0, 2})}), "value 2");
}

TEST(Scatter, ElementsReductions) {
  Tensor data = Tensor::from_vector<float>({3}, {1, 2, 3});
  Tensor ind = idx({3}, {0, 0, -1});
  Tensor upd = Tensor::from_vector<float>({3}, {10, 20, 5});
  EXPECT_EQ(values<float>(run_ok(spec("ScatterElements", {data, ind, upd}, {{"reduction", string_attr("add")}}))),
            (F{31, 2, 8}));
  EXPECT_EQ(values<float>(run_ok(spec("ScatterElements", {data, ind, upd}, {{"reduction", string_attr("min")}}, 1, 18))),
            (F{1, 2, 3}));
  EXPECT_EQ(values<float>(run_ok(spec("ScatterElements", {data, idx({1}, {1}), Tensor::from_vector<float>({1}, {9})}))),
            (F{1, 9, 3}));
  EXPECT_EQ(values<float>(run_ok(spec("Scatter", {data, idx({1}, {2}), Tensor::from_vector<float>({1}, {7})}, {}, 1, 9))),
            (F{1, 2, 7}));
  expect_error(spec("ScatterElements", {data, idx({1}, {3}), Tensor::from_vector<float>({1}, {9})}), "value 3");
  expect_error(spec("ScatterElements", {data, ind, Tensor::from_vector<float>({1}, {9})}), "differs");
}

TEST(Scatter, StringsWithoutReduction) {
  Tensor data = Tensor::from_vector<std::string>({2}, {"a", "b"});
  Tensor y = run_ok(spec("ScatterElements", {data, idx({1}, {1}), Tensor::from_vector<std::string>({1}, {"z"})}));
  EXPECT_EQ(values<std::string>(y), (std::vector<std::string>{"a", "z"}));
}

TEST(Scatter, NDMulAndShapeCheck) {
  Tensor data = iota_f({2, 2});
  Tensor y = run_ok(spec("ScatterND", {data, idx({1, 1}, {1}), Tensor::from_vector<float>({1, 2}, {10, 10})},
                         {{"reduction", string_attr("mul")}}));
  EXPECT_EQ(values<float>(y), (F{0, 1, 20, 30}));
  expect_error(spec("ScatterND", {data, idx({1, 1}, {1}), Tensor::from_vector<float>({2}, {1, 1})}), "expected");
  expect_error(spec("ScatterND", {data, idx({1, 2}, {0, -3}), Tensor::from_vector<float>({1}, {1})}), "value -3");
}

TEST(Compress, AxisAndFlattened) {
  Tensor cond = Tensor::from_vector<bool>({2}, {false, true});
  EXPECT_EQ(values<float>(run_ok(spec("Compress", {iota_f({2, 2}), cond}, {{"axis", int_attr(1)}}))), (F{1, 3}));
  EXPECT_EQ(values<float>(run_ok(spec("Compress", {iota_f({2, 2}), cond}))), (F{1}));
  Tensor long_cond = Tensor::from_vector<bool>({3}, {false, false, true});
  expect_error(spec("Compress", {iota_f({2, 2}), long_cond}, {{"axis", int_attr(0)}}), "beyond");
  expect_error(spec("Compress", {iota_f({2}), idx({1}, {1})}), "bool");
}

}  // namespace
}  // namespace edgeserve::testing
