// Detection post-processing: NonMaxSuppression and RoiAlign. The sampling and rearranging ops
// of the family (GridSample, MaxUnpool, ReverseSequence) live in detection_sampling.cc.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/detection_sampling.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

namespace {

// ---- NonMaxSuppression ----------------------------------------------------------------------

struct NmsAttrs {
  bool center_point_box = false;  // boxes are [x_center, y_center, width, height]
};

// Run-time parameters read from the optional scalar inputs 2..4.
struct NmsParams {
  int64_t max_per_class = 0;              // 0 (the default) selects nothing
  double iou_threshold = 0;               // suppress when IoU > this
  std::optional<double> score_threshold;  // keep only scores > this; absent: keep all
};

// A box as [min, max] corners. Corner boxes may list either diagonal ("flipped coordinates"),
// so they are normalised here once instead of in every IoU. A centre box with a negative width
// or height gets a negative area and, as in the ONNX reference, never suppresses.
struct NmsBox {
  double y1, x1, y2, x2;
};

template <typename T>
NmsBox read_box(const T* b, bool center_point_box) {
  const double v0 = b[0], v1 = b[1], v2 = b[2], v3 = b[3];
  if (center_point_box) {
    const double half_w = v2 / 2, half_h = v3 / 2;
    return {v1 - half_h, v0 - half_w, v1 + half_h, v0 + half_w};
  }
  return {std::min(v0, v2), std::min(v1, v3), std::max(v0, v2), std::max(v1, v3)};
}

// Whether `b` overlaps `a` by more than the threshold. Degenerate boxes (zero area) never
// suppress or get suppressed, so a NaN-free IoU is only formed from positive areas.
bool suppresses(const NmsBox& a, const NmsBox& b, double iou_threshold) {
  const double area_a = (a.y2 - a.y1) * (a.x2 - a.x1);
  const double area_b = (b.y2 - b.y1) * (b.x2 - b.x1);
  if (!(area_a > 0) || !(area_b > 0)) return false;
  const double ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  const double iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  if (!(ih > 0) || !(iw > 0)) return false;
  const double inter = ih * iw;
  return inter / (area_a + area_b - inter) > iou_threshold;
}

Result<NmsParams> nms_params(const KernelContext& ctx) {
  NmsParams p;
  if (const Tensor* t = ctx.optional_input(2)) {
    if (t->num_elements() != 1) return invalid_argument("max_output_boxes_per_class must hold exactly one value");
    EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> v, read_int_values(*t));
    p.max_per_class = std::max<int64_t>(v[0], 0);  // a negative limit selects nothing, as 0 does
  }
  if (const Tensor* t = ctx.optional_input(3)) {
    EDGE_ASSIGN_OR_RETURN(p.iou_threshold, read_scalar_as_double(*t));
    if (!(p.iou_threshold >= 0 && p.iou_threshold <= 1)) {
      return invalid_argument(str_cat("iou_threshold must be in [0, 1], got ", p.iou_threshold));
    }
  }
  if (const Tensor* t = ctx.optional_input(4)) {
    EDGE_ASSIGN_OR_RETURN(double v, read_scalar_as_double(*t));
    p.score_threshold = v;
  }
  return p;
}

// Greedy selection for one (batch, class): candidates in descending score (ties: lower index
// first), each kept unless a kept box suppresses it. Appends [batch, class, box] triples.
template <typename T>
void nms_one_class(const NmsParams& p, const std::vector<NmsBox>& boxes, const T* scores, int64_t batch, int64_t cls,
                   std::vector<int64_t>& out) {
  std::vector<int64_t> order;
  for (int64_t i = 0; i < static_cast<int64_t>(boxes.size()); ++i) {
    const double s = static_cast<double>(scores[i]);
    // A NaN score cannot be ranked; it is never selected.
    if (std::isnan(s) || (p.score_threshold && !(s > *p.score_threshold))) continue;
    order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  std::vector<int64_t> kept;
  for (int64_t i : order) {
    if (static_cast<int64_t>(kept.size()) >= p.max_per_class) break;
    const bool drop = std::any_of(kept.begin(), kept.end(), [&](int64_t k) {
      return suppresses(boxes[static_cast<size_t>(k)], boxes[static_cast<size_t>(i)], p.iou_threshold);
    });
    if (drop) continue;
    kept.push_back(i);
    out.insert(out.end(), {batch, cls, i});
  }
}

Status check_nms_shapes(const Tensor& boxes, const Tensor& scores) {
  if (boxes.rank() != 3 || boxes.dim(2) != 4) {
    return invalid_argument(str_cat("boxes must be [batch, boxes, 4], got ", dims_to_string(boxes.dims())));
  }
  if (scores.rank() != 3 || scores.dim(0) != boxes.dim(0) || scores.dim(2) != boxes.dim(1)) {
    return invalid_argument(str_cat("scores must be [batch, classes, boxes] matching boxes ",
                                    dims_to_string(boxes.dims()), ", got ", dims_to_string(scores.dims())));
  }
  return check_dims_bounded(scores, "scores");
}

Status run_nms(const NmsAttrs& a, KernelContext& ctx) {
  const Tensor& boxes_t = ctx.input(0);
  const Tensor& scores_t = ctx.input(1);
  EDGE_RETURN_IF_ERROR(check_nms_shapes(boxes_t, scores_t));
  EDGE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
  EDGE_ASSIGN_OR_RETURN(NmsParams p, nms_params(ctx));
  const int64_t batches = boxes_t.dim(0), n = boxes_t.dim(1), classes = scores_t.dim(1);
  std::vector<int64_t> selected;
  EDGE_RETURN_IF_ERROR(dispatch<EDGE_FLOAT_TYPES>(boxes_t.dtype(), "boxes", [&](auto tag) {
    using T = decltype(tag);
    std::vector<NmsBox> boxes(static_cast<size_t>(n));
    for (int64_t b = 0; b < batches; ++b) {
      for (int64_t i = 0; i < n; ++i) {
        boxes[static_cast<size_t>(i)] = read_box(boxes_t.data<T>() + (b * n + i) * 4, a.center_point_box);
      }
      for (int64_t c = 0; c < classes; ++c) {
        nms_one_class(p, boxes, scores_t.data<T>() + (b * classes + c) * n, b, c, selected);
      }
    }
  }));
  const int64_t count = static_cast<int64_t>(selected.size()) / 3;
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DType::kInt64, {count, 3}));
  std::copy(selected.begin(), selected.end(), y->mutable_data<int64_t>());
  return Status::ok();
}

Result<std::unique_ptr<Kernel>> make_nms(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 5));
  EDGE_ASSIGN_OR_RETURN(int64_t center, node.attr_int("center_point_box", 0));
  if (center != 0 && center != 1) {
    return invalid_argument(str_cat(node.describe(), ": center_point_box must be 0 or 1, got ", center));
  }
  return make_kernel(NmsAttrs{center == 1}, run_nms);
}

// ---- RoiAlign -------------------------------------------------------------------------------

struct RoiAlignAttrs {
  bool max_mode = false;
  int64_t out_h = 1, out_w = 1;
  int64_t sampling_ratio = 0;  // samples per bin side; 0 = ceil(roi size / output size)
  double spatial_scale = 1;
  // half_pixel shifts ROI corners by -0.5 (opset 16 default); output_half_pixel (the only
  // behaviour before opset 16) does not, and instead stretches ROIs smaller than 1x1 to 1x1.
  bool half_pixel = true;
};

// Fixed sampling ratios above this are not meaningful and would only multiply the work.
constexpr int64_t kMaxSamplingRatio = 1024;

// Where one ROI's bins and their sample points lie, in feature-map pixels.
struct RoiGeometry {
  double start_h = 0, start_w = 0, bin_h = 0, bin_w = 0;
  int64_t grid_h = 0, grid_w = 0;  // sample points per bin side
};

Result<int64_t> sample_grid(const RoiAlignAttrs& a, double roi_size, int64_t out_size, int64_t map_size) {
  if (a.sampling_ratio > 0) return a.sampling_ratio;
  const double grid = std::ceil(roi_size / static_cast<double>(out_size));
  if (!(grid > 0)) return int64_t{0};  // an empty (half_pixel) ROI has no sample points
  // Adaptive sampling follows the ROI's size: an ROI many times larger than the feature map
  // would ask for an unbounded number of samples, nearly all outside the map.
  if (grid > static_cast<double>(map_size) + 2) {
    return invalid_argument(str_cat("ROI of size ", roi_size, " needs ", grid, " samples per bin side; at most ",
                                    map_size + 2, " (the feature map size + 2) are allowed"));
  }
  return static_cast<int64_t>(grid);
}

template <typename T>
Result<RoiGeometry> roi_geometry(const RoiAlignAttrs& a, const T* roi, int64_t height, int64_t width) {
  for (int k = 0; k < 4; ++k) {
    if (!std::isfinite(static_cast<double>(roi[k]))) return invalid_argument("rois must be finite");
  }
  const double offset = a.half_pixel ? 0.5 : 0.0;
  RoiGeometry g;
  g.start_w = static_cast<double>(roi[0]) * a.spatial_scale - offset;
  g.start_h = static_cast<double>(roi[1]) * a.spatial_scale - offset;
  double roi_w = static_cast<double>(roi[2]) * a.spatial_scale - offset - g.start_w;
  double roi_h = static_cast<double>(roi[3]) * a.spatial_scale - offset - g.start_h;
  if (!a.half_pixel) {
    roi_w = std::max(roi_w, 1.0);
    roi_h = std::max(roi_h, 1.0);
  }
  g.bin_h = roi_h / static_cast<double>(a.out_h);
  g.bin_w = roi_w / static_cast<double>(a.out_w);
  EDGE_ASSIGN_OR_RETURN(g.grid_h, sample_grid(a, roi_h, a.out_h, height));
  EDGE_ASSIGN_OR_RETURN(g.grid_w, sample_grid(a, roi_w, a.out_w, width));
  return g;
}

// One bilinear sample: four taps of a [height, width] plane. Points more than one pixel
// outside the map contribute nothing (all weights 0).
struct RoiSample {
  int64_t pos[4] = {0, 0, 0, 0};
  double w[4] = {0, 0, 0, 0};
};

RoiSample roi_sample(double y, double x, int64_t height, int64_t width) {
  RoiSample s;
  if (y < -1.0 || y > static_cast<double>(height) || x < -1.0 || x > static_cast<double>(width)) return s;
  y = std::max(y, 0.0);
  x = std::max(x, 0.0);
  int64_t y_lo = static_cast<int64_t>(y), x_lo = static_cast<int64_t>(x);
  int64_t y_hi = y_lo + 1, x_hi = x_lo + 1;
  if (y_lo >= height - 1) y_hi = y_lo = height - 1, y = static_cast<double>(y_lo);
  if (x_lo >= width - 1) x_hi = x_lo = width - 1, x = static_cast<double>(x_lo);
  const double ly = y - static_cast<double>(y_lo), lx = x - static_cast<double>(x_lo);
  const double hy = 1 - ly, hx = 1 - lx;
  s.pos[0] = y_lo * width + x_lo;
  s.pos[1] = y_lo * width + x_hi;
  s.pos[2] = y_hi * width + x_lo;
  s.pos[3] = y_hi * width + x_hi;
  s.w[0] = hy * hx;
  s.w[1] = hy * lx;
  s.w[2] = ly * hx;
  s.w[3] = ly * lx;
  return s;
}

// Pools one bin of one channel. Sample points are recomputed per channel rather than cached:
// a bin may hold up to (H + 2) x (W + 2) of them, and a reference kernel can afford the time.
// Max mode follows the ONNX reference (and onnxruntime): the maximum over sample points of the
// largest weighted tap, not of the interpolated value.
template <typename T>
double pool_bin(const RoiAlignAttrs& a, const RoiGeometry& g, const T* plane, int64_t ph, int64_t pw, int64_t height,
                int64_t width) {
  double acc = 0;
  bool first = true;
  for (int64_t iy = 0; iy < g.grid_h; ++iy) {
    const double y = g.start_h + static_cast<double>(ph) * g.bin_h +
                     (static_cast<double>(iy) + 0.5) * g.bin_h / static_cast<double>(g.grid_h);
    for (int64_t ix = 0; ix < g.grid_w; ++ix) {
      const double x = g.start_w + static_cast<double>(pw) * g.bin_w +
                       (static_cast<double>(ix) + 0.5) * g.bin_w / static_cast<double>(g.grid_w);
      const RoiSample s = roi_sample(y, x, height, width);
      double v[4];
      for (int t = 0; t < 4; ++t) v[t] = s.w[t] * static_cast<double>(plane[s.pos[t]]);
      if (!a.max_mode) {
        acc += v[0] + v[1] + v[2] + v[3];
        continue;
      }
      const double m = std::max(std::max(v[0], v[1]), std::max(v[2], v[3]));
      acc = first ? m : std::max(acc, m);
      first = false;
    }
  }
  return a.max_mode ? acc : acc / static_cast<double>(std::max<int64_t>(g.grid_h * g.grid_w, 1));
}

template <typename T>
Status roi_align_one(const RoiAlignAttrs& a, const T* roi, const T* image, const Dims& x_dims, T* out) {
  const int64_t channels = x_dims[1], height = x_dims[2], width = x_dims[3];
  EDGE_ASSIGN_OR_RETURN(RoiGeometry g, roi_geometry(a, roi, height, width));
  for (int64_t c = 0; c < channels; ++c) {
    const T* plane = image + c * height * width;
    for (int64_t ph = 0; ph < a.out_h; ++ph) {
      for (int64_t pw = 0; pw < a.out_w; ++pw) *out++ = static_cast<T>(pool_bin(a, g, plane, ph, pw, height, width));
    }
  }
  return Status::ok();
}

Status check_roi_inputs(const Tensor& x, const Tensor& rois, const Tensor& batch_indices) {
  if (x.rank() != 4) return invalid_argument(str_cat("X must be [N, C, H, W], got ", dims_to_string(x.dims())));
  if (rois.rank() != 2 || rois.dim(1) != 4) {
    return invalid_argument(str_cat("rois must be [num_rois, 4], got ", dims_to_string(rois.dims())));
  }
  if (batch_indices.rank() != 1 || batch_indices.dim(0) != rois.dim(0)) {
    return invalid_argument(
        str_cat("batch_indices must be [", rois.dim(0), "], got ", dims_to_string(batch_indices.dims())));
  }
  return check_dims_bounded(x, "X");
}

Status run_roi_align(const RoiAlignAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& rois = ctx.input(1);
  EDGE_RETURN_IF_ERROR(check_roi_inputs(x, rois, ctx.input(2)));
  EDGE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> batch_index, read_int_values(ctx.input(2)));
  for (size_t r = 0; r < batch_index.size(); ++r) {
    if (batch_index[r] < 0 || batch_index[r] >= x.dim(0)) {
      return invalid_argument(str_cat("batch_indices[", r, "] = ", batch_index[r], " is outside [0, ", x.dim(0), ")"));
    }
  }
  const int64_t num_rois = rois.dim(0), channels = x.dim(1), plane = x.dim(2) * x.dim(3);
  return dispatch<EDGE_FLOAT_TYPES>(x.dtype(), "X", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), {num_rois, channels, a.out_h, a.out_w}));
    // No pixels to sample (or nothing to write): the zero-filled output stands.
    if (plane == 0 || y->num_elements() == 0) return Status::ok();
    const int64_t per_roi = channels * a.out_h * a.out_w;
    for (int64_t r = 0; r < num_rois; ++r) {
      const T* image = x.data<T>() + batch_index[static_cast<size_t>(r)] * channels * plane;
      EDGE_RETURN_IF_ERROR(
          roi_align_one(a, rois.data<T>() + r * 4, image, x.dims(), y->mutable_data<T>() + r * per_roi));
    }
    return Status::ok();
  });
}

Result<RoiAlignAttrs> roi_align_attrs(const Node& node) {
  RoiAlignAttrs a;
  EDGE_ASSIGN_OR_RETURN(std::string mode, node.attr_string("mode", "avg"));
  if (mode != "avg" && mode != "max") return invalid_argument(str_cat("mode must be 'avg' or 'max', got '", mode, "'"));
  a.max_mode = mode == "max";
  EDGE_ASSIGN_OR_RETURN(a.out_h, node.attr_int("output_height", 1));
  EDGE_ASSIGN_OR_RETURN(a.out_w, node.attr_int("output_width", 1));
  if (a.out_h < 1 || a.out_w < 1) {
    return invalid_argument(str_cat("output_height and output_width must be >= 1, got ", a.out_h, " and ", a.out_w));
  }
  EDGE_ASSIGN_OR_RETURN(a.sampling_ratio, node.attr_int("sampling_ratio", 0));
  if (a.sampling_ratio < 0 || a.sampling_ratio > kMaxSamplingRatio) {
    return invalid_argument(str_cat("sampling_ratio must be in [0, ", kMaxSamplingRatio, "], got ", a.sampling_ratio));
  }
  EDGE_ASSIGN_OR_RETURN(float scale, node.attr_float("spatial_scale", 1.0f));
  if (!std::isfinite(scale)) return invalid_argument("spatial_scale must be finite");
  a.spatial_scale = scale;
  a.half_pixel = false;  // opset 10 has no coordinate_transformation_mode: output_half_pixel
  if (node.opset >= 16) {
    EDGE_ASSIGN_OR_RETURN(std::string ctm, node.attr_string("coordinate_transformation_mode", "half_pixel"));
    if (ctm != "half_pixel" && ctm != "output_half_pixel") {
      return invalid_argument(
          str_cat("coordinate_transformation_mode must be 'half_pixel' or 'output_half_pixel', got '", ctm, "'"));
    }
    a.half_pixel = ctm == "half_pixel";
  }
  return a;
}

Result<std::unique_ptr<Kernel>> make_roi_align(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 3, 3));
  auto attrs = roi_align_attrs(node);
  if (!attrs.is_ok()) return invalid_argument(str_cat(node.describe(), ": ", attrs.status().message()));
  return make_kernel(*attrs, run_roi_align);
}

}  // namespace

std::vector<KernelEntry> detection_kernels() {
  std::vector<KernelEntry> entries = {
      {"NonMaxSuppression", make_nms, HalfMode::kAsFloat, "", 10},
      {"RoiAlign", make_roi_align, HalfMode::kAsFloat, "", 10},
  };
  for (const KernelEntry& e : detection_sampling_kernels()) entries.push_back(e);
  return entries;
}

}  // namespace edgeserve::ref
