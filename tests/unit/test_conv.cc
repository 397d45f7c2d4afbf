// Conv and ConvTranspose kernels: padding modes, groups, im2col against a direct loop, errors.
#include <cmath>

#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

std::vector<float> iota(size_t n, float scale = 1.0f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i % 7) * scale - 1.0f;
  return v;
}

TEST(Conv, ZeroPaddingSumsNeighbourhoods) {
  auto out = run_node(spec("Conv", {Tensor::from_vector<float>({1, 1, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8}),
                                    Tensor::from_vector<float>({1, 1, 3, 3}, std::vector<float>(9, 1.0f))},
                           {{"pads", ints_attr({1, 1, 1, 1})}}));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].dims(), (Dims{1, 1, 3, 3}));
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{8, 15, 12, 21, 36, 27, 20, 33, 24}));
}

TEST(Conv, DepthwiseWithBias) {
  auto out = run_node(spec("Conv", {Tensor::from_vector<float>({1, 2, 1, 2}, {1, 2, 3, 4}),
                                    Tensor::from_vector<float>({2, 1, 1, 1}, {2, 3}),
                                    Tensor::from_vector<float>({2}, {1, -1})},
                           {{"group", int_attr(2)}}));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{3, 5, 8, 11}));
}

TEST(Conv, SameUpperAndLowerPutTheOddPadOnOppositeSides) {
  const Tensor x = Tensor::from_vector<float>({1, 1, 4}, {1, 2, 3, 4});
  const Tensor w = Tensor::from_vector<float>({1, 1, 2}, {1, 1});
  auto upper = run_node(spec("Conv", {x, w}, {{"auto_pad", string_attr("SAME_UPPER")}}));
  auto lower = run_node(spec("Conv", {x, w}, {{"auto_pad", string_attr("SAME_LOWER")}}));
  ASSERT_TRUE(upper.is_ok() && lower.is_ok());
  EXPECT_EQ(values<float>((*upper)[0]), (std::vector<float>{3, 5, 7, 4}));
  EXPECT_EQ(values<float>((*lower)[0]), (std::vector<float>{1, 3, 5, 7}));
}

// A direct 2-D convolution to check im2col + gemm on strides, dilations, asymmetric pads,
// groups and several images at once.
std::vector<float> direct_conv(const std::vector<float>& x, const std::vector<float>& w, int64_t n_img, int64_t c,
                               int64_t h, int64_t wd, int64_t m, int64_t k, int64_t group, int64_t stride,
                               int64_t dil, int64_t pt, int64_t pl, int64_t oh, int64_t ow) {
  std::vector<float> y(static_cast<size_t>(n_img * m * oh * ow), 0.0f);
  const int64_t cg = c / group, mg = m / group;
  for (int64_t n = 0; n < n_img; ++n)
    for (int64_t o = 0; o < m; ++o)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          float acc = 0;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t ki = 0; ki < k; ++ki)
              for (int64_t kj = 0; kj < k; ++kj) {
                const int64_t yi = i * stride - pt + ki * dil, xj = j * stride - pl + kj * dil;
                if (yi < 0 || yi >= h || xj < 0 || xj >= wd) continue;
                const int64_t cin = (o / mg) * cg + ci;
                acc += x[static_cast<size_t>(((n * c + cin) * h + yi) * wd + xj)] *
                       w[static_cast<size_t>(((o * cg + ci) * k + ki) * k + kj)];
              }
          y[static_cast<size_t>(((n * m + o) * oh + i) * ow + j)] = acc;
        }
  return y;
}

TEST(Conv, Im2colMatchesDirectLoop) {
  const std::vector<float> x = iota(2 * 4 * 7 * 6, 0.5f);
  const std::vector<float> w = iota(6 * 2 * 3 * 3, 0.25f);
  // pads top 1, left 2, bottom 0, right 1; stride 2; dilation 2: oh = (7+1-5)/2+1 = 2, ow = (6+3-5)/2+1 = 3.
  auto out = run_node(spec("Conv", {Tensor::from_vector<float>({2, 4, 7, 6}, x), Tensor::from_vector<float>({6, 2, 3, 3}, w)},
                           {{"group", int_attr(2)}, {"strides", ints_attr({2, 2})}, {"dilations", ints_attr({2, 2})},
                            {"pads", ints_attr({1, 2, 0, 1})}, {"kernel_shape", ints_attr({3, 3})}}));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  ASSERT_EQ((*out)[0].dims(), (Dims{2, 6, 2, 3}));
  const std::vector<float> expected = direct_conv(x, w, 2, 4, 7, 6, 6, 3, 2, 2, 2, 1, 2, 2, 3);
  const std::vector<float> got = values<float>((*out)[0]);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-4) << "at " << i;
}

TEST(ConvTranspose, OverlappingWindowsAccumulate) {
  auto out = run_node(spec("ConvTranspose", {Tensor::from_vector<float>({1, 1, 3}, {1, 2, 3}),
                                             Tensor::from_vector<float>({1, 1, 3}, {1, 1, 1})}));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{1, 3, 6, 5, 3}));
}

TEST(ConvTranspose, OutputPaddingAndOutputShapeExtendTheEnd) {
  const Tensor x = Tensor::from_vector<float>({1, 1, 2}, {1, 2});
  const Tensor w = Tensor::from_vector<float>({1, 1, 2}, {1, 1});
  auto padded = run_node(spec("ConvTranspose", {x, w}, {{"strides", ints_attr({2})}, {"output_padding", ints_attr({1})}}));
  auto shaped = run_node(spec("ConvTranspose", {x, w}, {{"strides", ints_attr({2})}, {"output_shape", ints_attr({5})}}));
  ASSERT_TRUE(padded.is_ok() && shaped.is_ok());
  EXPECT_EQ(values<float>((*padded)[0]), (std::vector<float>{1, 1, 2, 2, 0}));
  EXPECT_EQ(values<float>((*shaped)[0]), (std::vector<float>{1, 1, 2, 2, 0}));
}

TEST(ConvTranspose, GroupsUseTheirOwnWeights) {
  // W is [C, M/group, k]: channel 0 -> output 0 scaled by 2, channel 1 -> output 1 scaled by 3.
  auto out = run_node(spec("ConvTranspose", {Tensor::from_vector<float>({1, 2, 1}, {1, 1}),
                                             Tensor::from_vector<float>({2, 1, 1}, {2, 3})},
                           {{"group", int_attr(2)}}));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{2, 3}));
}

TEST(Conv, MalformedNodesAreRejected) {
  const Tensor x = Tensor::from_vector<float>({1, 4, 3, 3}, iota(36));
  const Tensor w = Tensor::from_vector<float>({2, 4, 2, 2}, iota(32));
  expect_error(spec("Conv", {x, w}, {{"group", int_attr(3)}}), "group");
  expect_error(spec("Conv", {x, w}, {{"group", int_attr(0)}}), "group");
  expect_error(spec("Conv", {x, Tensor::from_vector<float>({2, 3, 2, 2}, iota(24))}), "channels");
  expect_error(spec("Conv", {x, w}, {{"kernel_shape", ints_attr({3, 3})}}), "kernel_shape");
  expect_error(spec("Conv", {x, w}, {{"strides", ints_attr({0, 1})}}), "strides");
  expect_error(spec("Conv", {x, w}, {{"strides", ints_attr({-1, 1})}}), "strides");
  expect_error(spec("Conv", {x, w}, {{"dilations", ints_attr({1})}}), "dilations");
  expect_error(spec("Conv", {x, w}, {{"pads", ints_attr({1, 1})}}), "pads");
  expect_error(spec("Conv", {x, w}, {{"pads", ints_attr({-1, 0, 0, 0})}}), "pads");
  expect_error(spec("Conv", {x, w}, {{"dilations", ints_attr({4, 4})}}), "output");
  expect_error(spec("Conv", {x, w}, {{"auto_pad", string_attr("SAME")}}), "auto_pad");
  expect_error(spec("Conv", {x, w, Tensor::from_vector<float>({3}, {1, 2, 3})}), "B");
  expect_error(spec("Conv", {Tensor::from_vector<float>({4, 3}, iota(12)), w}), "rank");
  expect_error(spec("Conv", {x, Tensor::from_vector<float>({2, 4, 2}, iota(16))}), "rank");
  expect_error(spec("Conv", {Tensor::from_vector<float>({1, 0, 3, 3}, {}), Tensor::from_vector<float>({0, 0, 2, 2}, {})},
                    {{"group", int_attr(int64_t{1} << 60)}}),
               "exceeds");
  // An empty tensor's other dims are unbounded by its size; products of them must not overflow.
  expect_error(spec("Conv", {Tensor::from_vector<float>({0, int64_t{1} << 40, int64_t{1} << 40, 1}, {}), w}), "too many");
  expect_error(spec("ConvTranspose", {x, w}), "W dim 0");
  expect_error(spec("ConvTranspose", {x, Tensor::from_vector<float>({4, 1, 2, 2}, iota(16))},
                    {{"output_padding", ints_attr({1, 1})}}),
               "output_padding");
}

}  // namespace
}  // namespace edgeserve::testing
