// Sliding-window geometry shared by Conv, ConvTranspose and pooling in every provider.
// Attributes are parsed and validated once (prepare time); shapes are resolved per run because
// the input's spatial dims are only known then.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/ir/graph.h"

namespace edgeserve {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

// The window attributes of a conv/pool node. Empty vectors mean "not given": their defaults
// depend on the spatial rank, which may only be known from the input.
struct WindowAttrs {
  std::vector<int64_t> kernel_shape;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads;            // [begin_0, ..., begin_n-1, end_0, ..., end_n-1]
  std::vector<int64_t> output_padding;  // ConvTranspose only
  std::vector<int64_t> output_shape;    // ConvTranspose only
  AutoPad auto_pad = AutoPad::kNotSet;
  bool ceil_mode = false;
};

// The resolved geometry for one input shape.
struct WindowGeometry {
  std::vector<int64_t> kernel, strides, dilations;
  std::vector<int64_t> pad_begin, pad_end;
  std::vector<int64_t> output;  // spatial output dims
  size_t rank() const { return kernel.size(); }
};

// Reads kernel_shape/strides/dilations/pads/auto_pad (and ceil_mode, output_padding and
// output_shape when the node may have them) and checks the values that need no shape:
// positivity, non-negative pads, a known auto_pad string.
Result<WindowAttrs> read_window_attrs(const Node& node);

// Forward windows (Conv, pooling): validates the attribute lengths against the spatial rank of
// `in_spatial` and computes pads from auto_pad and the output dims. `kernel` must be given
// (Conv takes it from the weight when the attribute is absent). Fails if an output dim < 1.
Result<WindowGeometry> forward_geometry(const WindowAttrs& attrs, const std::vector<int64_t>& kernel,
                                        const std::vector<int64_t>& in_spatial);

// ConvTranspose: the output dims come from output_shape or from strides, output_padding and
// pads; auto_pad splits the total padding as the ONNX spec describes.
Result<WindowGeometry> transpose_geometry(const WindowAttrs& attrs, const std::vector<int64_t>& kernel,
                                          const std::vector<int64_t>& in_spatial);

// Product of dims (a spatial size).
int64_t product(const std::vector<int64_t>& dims);

// The row-major offsets of every kernel position (dilations applied), per spatial axis:
// offsets[k][axis] for k in [0, product(kernel)).
std::vector<std::vector<int64_t>> kernel_offsets(const WindowGeometry& g);

// The core loop of im2col, col2im and pooling: visits every position p of `grid` in row-major
// order (flat index j) and calls f(j, t), where t is the row-major index in `target` of
// p * strides - pad_begin + offset, or -1 when that falls outside `target`. The innermost axis
// runs as one contiguous loop so f inlines into a tight loop.
template <typename F>
void for_each_mapped(const std::vector<int64_t>& grid, const std::vector<int64_t>& target,
                     const std::vector<int64_t>& strides, const std::vector<int64_t>& pad_begin,
                     const std::vector<int64_t>& offset, F&& f) {
  const size_t n = grid.size();
  const int64_t inner = grid[n - 1];
  const int64_t outer = product(grid) / (inner == 0 ? 1 : inner);
  if (inner == 0) return;
  const int64_t s_in = strides[n - 1];
  const int64_t shift_in = offset[n - 1] - pad_begin[n - 1];
  const int64_t size_in = target[n - 1];
  int64_t j = 0;
  for (int64_t r = 0; r < outer; ++r) {
    // Target row base for the outer axes, or -1 when any outer coordinate is out of range.
    int64_t base = 0;
    int64_t rest = r;
    int64_t scale = 1;
    bool inside = true;
    for (size_t a = n - 1; a-- > 0;) {
      const int64_t p = rest % grid[a];
      rest /= grid[a];
      const int64_t t = p * strides[a] - pad_begin[a] + offset[a];
      if (t < 0 || t >= target[a]) inside = false;
      scale *= target[a + 1];
      base += t * scale;
    }
    for (int64_t p = 0; p < inner; ++p, ++j) {
      const int64_t t = p * s_in + shift_in;
      f(j, inside && t >= 0 && t < size_in ? base + t : int64_t{-1});
    }
  }
}

}  // namespace edgeserve
