// Detection family: NonMaxSuppression, RoiAlign, MaxUnpool, GridSample, ReverseSequence —
// hand-checked values and the errors that malformed nodes and tensors must produce.
#include <cmath>
#include <limits>

#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

// ---- NonMaxSuppression ----

// Six boxes from the ONNX NonMaxSuppression example: two clusters of three overlapping boxes
// and one far away.
Tensor nms_boxes() {
  return Tensor::from_vector<float>(
      {1, 6, 4}, {0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, -0.1f, 1, 0.9f, 0, 10, 1, 11, 0, 10.1f, 1, 11.1f, 0, 100, 1, 101});
}
Tensor nms_scores() { return Tensor::from_vector<float>({1, 1, 6}, {0.9f, 0.75f, 0.6f, 0.95f, 0.5f, 0.3f}); }

NodeSpec nms(Tensor boxes, Tensor scores, int64_t max_out, float iou, float score, int64_t center = 0) {
  return spec("NonMaxSuppression",
              {std::move(boxes), std::move(scores), Tensor::from_vector<int64_t>({1}, {max_out}),
               Tensor::from_vector<float>({1}, {iou}), Tensor::from_vector<float>({1}, {score})},
              {{"center_point_box", int_attr(center)}}, 1, 11);
}

TEST(NonMaxSuppression, KeepsHighestScoreOfEachCluster) {
  Tensor y = run_ok(nms(nms_boxes(), nms_scores(), 3, 0.5f, 0.0f));
  EXPECT_EQ(y.dims(), (Dims{3, 3}));
  EXPECT_EQ(values<int64_t>(y), (std::vector<int64_t>{0, 0, 3, 0, 0, 0, 0, 0, 5}));
}

TEST(NonMaxSuppression, ScoreThresholdAndLimit) {
  Tensor by_score = run_ok(nms(nms_boxes(), nms_scores(), 3, 0.5f, 0.4f));
  EXPECT_EQ(values<int64_t>(by_score), (std::vector<int64_t>{0, 0, 3, 0, 0, 0}));
  Tensor limited = run_ok(nms(nms_boxes(), nms_scores(), 1, 0.5f, 0.0f));
  EXPECT_EQ(values<int64_t>(limited), (std::vector<int64_t>{0, 0, 3}));
}

TEST(NonMaxSuppression, CenterPointBoxesAndFlippedCorners) {
  // [x_center, y_center, w, h] of two unit boxes overlapping by 90%, and a far one.
  Tensor centers = Tensor::from_vector<float>({1, 3, 4}, {0.5f, 0.5f, 1, 1, 0.6f, 0.5f, 1, 1, 10.5f, 0.5f, 1, 1});
  Tensor scores = Tensor::from_vector<float>({1, 1, 3}, {0.8f, 0.9f, 0.1f});
  EXPECT_EQ(values<int64_t>(run_ok(nms(centers, scores, 5, 0.5f, 0.0f, 1))), (std::vector<int64_t>{0, 0, 1, 0, 0, 2}));
  // The same boxes as corners, the first one given by its other diagonal.
  Tensor corners = Tensor::from_vector<float>({1, 3, 4}, {1, 1, 0, 0, 0, 0.1f, 1, 1.1f, 0, 10, 1, 11});
  EXPECT_EQ(values<int64_t>(run_ok(nms(corners, scores, 5, 0.5f, 0.0f))), (std::vector<int64_t>{0, 0, 1, 0, 0, 2}));
}

TEST(NonMaxSuppression, OmittedLimitSelectsNothing) {
  Tensor y = run_ok(spec("NonMaxSuppression", {nms_boxes(), nms_scores()}, {}, 1, 11));
  EXPECT_EQ(y.dims(), (Dims{0, 3}));
}

TEST(NonMaxSuppression, Errors) {
  expect_error(nms(Tensor::from_vector<float>({1, 6, 3}, std::vector<float>(18, 0)), nms_scores(), 3, 0.5f, 0),
               "boxes");
  expect_error(nms(nms_boxes(), Tensor::from_vector<float>({1, 1, 5}, std::vector<float>(5, 0)), 3, 0.5f, 0), "scores");
  expect_error(nms(nms_boxes(), nms_scores(), 3, 1.5f, 0), "iou_threshold");
  expect_error(nms(nms_boxes(), nms_scores(), 3, 0.5f, 0, 2), "center_point_box");
}

// ---- RoiAlign ----

NodeSpec roi_align(Tensor x, std::vector<float> rois, std::vector<int64_t> batch,
                   std::map<std::string, Attribute> attrs, int64_t opset = 16) {
  const int64_t r = static_cast<int64_t>(batch.size());
  return spec("RoiAlign",
              {std::move(x), Tensor::from_vector<float>({r, 4}, rois), Tensor::from_vector<int64_t>({r}, batch)},
              std::move(attrs), 1, opset);
}

Tensor square_2x2() { return Tensor::from_vector<float>({1, 1, 2, 2}, {1, 2, 3, 4}); }

TEST(RoiAlign, CoordinateModes) {
  // output_half_pixel (opset 10's only behaviour): one sample at (0.5, 0.5) = mean of the 4.
  Tensor out10 = run_ok(roi_align(square_2x2(), {0, 0, 1, 1}, {0}, {{"sampling_ratio", int_attr(1)}}, 10));
  EXPECT_FLOAT_EQ(values<float>(out10)[0], 2.5f);
  // half_pixel (opset 16 default) shifts the ROI by -0.5: the sample lands on pixel (0, 0).
  Tensor out16 = run_ok(roi_align(square_2x2(), {0, 0, 1, 1}, {0}, {{"sampling_ratio", int_attr(1)}}));
  EXPECT_FLOAT_EQ(values<float>(out16)[0], 1.0f);
}

TEST(RoiAlign, MaxModeTakesLargestWeightedTap) {
  // Weights are 0.25 each at (0.5, 0.5): the largest weighted tap is 0.25 * 4.
  Tensor y = run_ok(
      roi_align(square_2x2(), {0, 0, 1, 1}, {0}, {{"sampling_ratio", int_attr(1)}, {"mode", string_attr("max")}}, 10));
  EXPECT_FLOAT_EQ(values<float>(y)[0], 1.0f);
}

TEST(RoiAlign, AdaptiveSamplingAveragesAPlane) {
  // X = 3y + x is linear, so the mean of the 2x2 samples at {0.5, 1.5}^2 is X(1, 1) = 4.
  Tensor x = Tensor::from_vector<float>({1, 1, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8});
  Tensor y =
      run_ok(roi_align(x, {0, 0, 2, 2}, {0}, {{"coordinate_transformation_mode", string_attr("output_half_pixel")}}));
  EXPECT_FLOAT_EQ(values<float>(y)[0], 4.0f);
}

TEST(RoiAlign, Errors) {
  expect_error(roi_align(square_2x2(), {0, 0, 1, 1}, {1}, {}), "batch_indices[0] = 1");
  expect_error(roi_align(square_2x2(), {0, 0, 1, 1}, {-1}, {}), "batch_indices");
  expect_error(roi_align(square_2x2(), {0, 0, 1, 1}, {0}, {{"mode", string_attr("min")}}), "mode");
  expect_error(roi_align(square_2x2(), {0, 0, 1, 1}, {0}, {{"output_height", int_attr(0)}}), "output_height");
  expect_error(roi_align(square_2x2(), {0, 0, 1, 1}, {0}, {{"sampling_ratio", int_attr(-1)}}), "sampling_ratio");
  expect_error(roi_align(square_2x2(), {0, 0, std::numeric_limits<float>::infinity(), 1}, {0}, {}), "finite");
  // An ROI a million times the map would need ~1e6 adaptive samples per bin side.
  expect_error(roi_align(square_2x2(), {0, 0, 1e6f, 1e6f}, {0}, {}), "samples per bin");
  expect_error(
      spec("RoiAlign",
           {square_2x2(), Tensor::from_vector<float>({1, 3}, {0, 0, 1}), Tensor::from_vector<int64_t>({1}, {0})}, {}, 1,
           16),
      "rois");
}

// ---- MaxUnpool ----

NodeSpec max_unpool(std::vector<int64_t> indices, Tensor output_shape = Tensor()) {
  std::vector<Tensor> inputs = {Tensor::from_vector<float>({1, 1, 2, 2}, {1, 2, 3, 4}),
                                Tensor::from_vector<int64_t>({1, 1, 2, 2}, indices)};
  if (output_shape.defined()) inputs.push_back(output_shape);
  return spec("MaxUnpool", inputs, {{"kernel_shape", ints_attr({2, 2})}, {"strides", ints_attr({2, 2})}}, 1, 11);
}

TEST(MaxUnpool, ScattersToIndices) {
  Tensor y = run_ok(max_unpool({5, 7, 13, 15}));
  EXPECT_EQ(y.dims(), (Dims{1, 1, 4, 4}));
  EXPECT_EQ(values<float>(y), (std::vector<float>{0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4}));
}

TEST(MaxUnpool, OutputShapeInputPadsAtTheEnd) {
  // Indices address the unpooled 4x4 shape; output_shape 5x5 adds a zero row and column.
  Tensor y = run_ok(max_unpool({5, 7, 13, 15}, Tensor::from_vector<int64_t>({4}, {1, 1, 5, 5})));
  EXPECT_EQ(y.dims(), (Dims{1, 1, 5, 5}));
  EXPECT_EQ(values<float>(y),
            (std::vector<float>{0, 0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0, 0}));
}

TEST(MaxUnpool, Errors) {
  expect_error(max_unpool({5, 7, 13, 16}), "I[3] = 16");
  expect_error(max_unpool({-1, 7, 13, 15}), "I[0] = -1");
  expect_error(max_unpool({0, 1, 2, 3}, Tensor::from_vector<int64_t>({3}, {1, 5, 5})), "output_shape");
  expect_error(max_unpool({0, 1, 2, 3}, Tensor::from_vector<int64_t>({4}, {1, 1, 3, 5})),
               "at least the unpooled shape");
  expect_error(spec("MaxUnpool",
                    {Tensor::from_vector<float>({1, 1, 2, 2}, {1, 2, 3, 4}),
                     Tensor::from_vector<int64_t>({1, 1, 4}, {0, 1, 2, 3})},
                    {{"kernel_shape", ints_attr({2, 2})}}, 1, 11),
               "shape of X");
  expect_error(spec("MaxUnpool",
                    {Tensor::from_vector<float>({1, 1, 2, 2}, {1, 2, 3, 4}),
                     Tensor::from_vector<int64_t>({1, 1, 2, 2}, {0, 1, 2, 3})},
                    {{"kernel_shape", ints_attr({2, 0})}}, 1, 11),
               "kernel_shape");
}

// ---- GridSample ----

// X = [[0, 1], [2, 3], [4, 5]] (3 rows, 2 columns), as in the ONNX GridSample examples.
Tensor grid_x() { return Tensor::from_vector<float>({1, 1, 3, 2}, {0, 1, 2, 3, 4, 5}); }

float grid_sample_at(float gx, float gy, std::map<std::string, Attribute> attrs, Tensor x = grid_x()) {
  Tensor y = run_ok(
      spec("GridSample", {std::move(x), Tensor::from_vector<float>({1, 1, 1, 2}, {gx, gy})}, std::move(attrs), 1, 16));
  return y.defined() ? values<float>(y)[0] : -999.0f;
}

TEST(GridSample, BilinearAndNearest) {
  // (0, 0) is the image centre: x = 0.5, y = 1 -> mean of 2 and 3.
  EXPECT_FLOAT_EQ(grid_sample_at(0, 0, {}), 2.5f);
  // align_corners maps -1/+1 to the corner pixel centres.
  EXPECT_FLOAT_EQ(grid_sample_at(1, 1, {{"align_corners", int_attr(1)}}), 5.0f);
  // Nearest rounds half to even: x = 0.5 -> 0, y = 1 -> row 1.
  EXPECT_FLOAT_EQ(grid_sample_at(0, 0, {{"mode", string_attr("nearest")}}), 2.0f);
}

TEST(GridSample, PaddingModes) {
  // Far outside: zeros reads nothing, border clamps to the corner, reflection folds back in.
  EXPECT_FLOAT_EQ(grid_sample_at(10, 10, {}), 0.0f);
  EXPECT_FLOAT_EQ(grid_sample_at(10, 10, {{"padding_mode", string_attr("border")}}), 5.0f);
  EXPECT_FLOAT_EQ(grid_sample_at(-10, -10, {{"padding_mode", string_attr("reflection")}}), 2.5f);
}

TEST(GridSample, BicubicKeepsAConstantImage) {
  // Keys' weights sum to one, so a constant image stays constant under border padding.
  Tensor flat = Tensor::from_vector<float>({1, 1, 3, 3}, std::vector<float>(9, 7));
  EXPECT_NEAR(
      grid_sample_at(0.3f, -0.9f, {{"mode", string_attr("bicubic")}, {"padding_mode", string_attr("border")}}, flat),
      7.0f, 1e-5);
}

TEST(GridSample, NonFiniteGridValues) {
  EXPECT_TRUE(std::isnan(grid_sample_at(std::nanf(""), 0, {})));
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_FLOAT_EQ(grid_sample_at(inf, 0, {}), 0.0f);
  EXPECT_TRUE(std::isfinite(grid_sample_at(inf, -inf, {{"padding_mode", string_attr("reflection")}})));
}

TEST(GridSample, Errors) {
  expect_error(spec("GridSample",
                    {Tensor::from_vector<float>({1, 1, 2}, {0, 1}), Tensor::from_vector<float>({1, 1, 1, 2}, {0, 0})},
                    {}, 1, 16),
               "4-D", StatusCode::kUnimplemented);
  expect_error(spec("GridSample", {grid_x(), Tensor::from_vector<float>({1, 1, 1, 3}, {0, 0, 0})}, {}, 1, 16), "grid");
  expect_error(spec("GridSample", {grid_x(), Tensor::from_vector<float>({2, 1, 1, 2}, {0, 0, 0, 0})}, {}, 1, 16),
               "grid");
  expect_error(spec("GridSample", {grid_x(), Tensor::from_vector<float>({1, 1, 1, 2}, {0, 0})},
                    {{"mode", string_attr("area")}}, 1, 16),
               "mode");
  expect_error(spec("GridSample", {grid_x(), Tensor::from_vector<float>({1, 1, 1, 2}, {0, 0})},
                    {{"padding_mode", string_attr("wrap")}}, 1, 16),
               "padding_mode");
}

// ---- ReverseSequence ----

TEST(ReverseSequence, TimeMajor) {
  Tensor x = Tensor::from_vector<float>({4, 4}, {0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15});
  Tensor y = run_ok(spec("ReverseSequence", {x, Tensor::from_vector<int64_t>({4}, {4, 3, 2, 1})}, {}, 1, 10));
  EXPECT_EQ(values<float>(y), (std::vector<float>{3, 6, 9, 12, 2, 5, 8, 13, 1, 4, 10, 14, 0, 7, 11, 15}));
}

TEST(ReverseSequence, BatchMajorStringsWithInnerAxis) {
  // [batch 2, time 3, inner 1]; the second sequence has length 0 and stays as it is.
  Tensor x = Tensor::from_vector<std::string>({2, 3, 1}, {"a", "b", "c", "d", "e", "f"});
  Tensor y = run_ok(spec("ReverseSequence", {x, Tensor::from_vector<int64_t>({2}, {3, 0})},
                         {{"batch_axis", int_attr(0)}, {"time_axis", int_attr(1)}}, 1, 10));
  EXPECT_EQ(values<std::string>(y), (std::vector<std::string>{"c", "b", "a", "d", "e", "f"}));
}

TEST(ReverseSequence, Errors) {
  Tensor x = Tensor::from_vector<float>({2, 2}, {0, 1, 2, 3});
  expect_error(spec("ReverseSequence", {x, Tensor::from_vector<int64_t>({2}, {3, 1})}, {}, 1, 10),
               "sequence_lens[0] = 3");
  expect_error(spec("ReverseSequence", {x, Tensor::from_vector<int64_t>({2}, {1, -1})}, {}, 1, 10),
               "sequence_lens[1] = -1");
  expect_error(spec("ReverseSequence", {x, Tensor::from_vector<int64_t>({3}, {1, 1, 1})}, {}, 1, 10),
               "sequence_lens must be");
  expect_error(
      spec("ReverseSequence", {x, Tensor::from_vector<int64_t>({2}, {1, 1})}, {{"batch_axis", int_attr(0)}}, 1, 10),
      "batch_axis");
  expect_error(spec("ReverseSequence",
                    {Tensor::from_vector<float>({2}, {0, 1}), Tensor::from_vector<int64_t>({2}, {1, 1})}, {}, 1, 10),
               "rank");
}

}  // namespace
}  // namespace edgeserve::testing
