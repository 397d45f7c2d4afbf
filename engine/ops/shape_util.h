// Shape arithmetic shared by every execution provider: numpy broadcasting, axis normalisation,
// reading shape-like input tensors. Pure functions; errors describe the offending dims.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "common/status.h"
#include "engine/ir/tensor.h"

namespace edgeserve {

// Multidirectional (numpy) broadcast of two shapes.
Result<Dims> broadcast_dims(const Dims& a, const Dims& b);
// Broadcast of several shapes.
Result<Dims> broadcast_all(const std::vector<Dims>& shapes);

// Element strides of `in` viewed as the broadcast shape `out` (0 on broadcast axes), aligned
// to the right as numpy does. Precondition: `in` broadcasts to `out`.
std::vector<int64_t> broadcast_strides(const Dims& in, const Dims& out);

// Row-major strides of a shape.
std::vector<int64_t> contiguous_strides(const Dims& dims);

// Maps a possibly negative axis into [0, rank); error if out of range.
Result<int64_t> normalize_axis(int64_t axis, int64_t rank);
// Same for a list; also rejects duplicates.
Result<std::vector<int64_t>> normalize_axes(const std::vector<int64_t>& axes, int64_t rank);

// Resolves a Reshape target: 0 copies the input dim (unless allow_zero), one -1 is inferred.
Result<Dims> reshape_dims(const Dims& in, std::vector<int64_t> shape, bool allow_zero);

// Clamps one axis of a Slice per the ONNX rules; returns {start, count}. step != 0.
std::pair<int64_t, int64_t> clamp_slice(int64_t start, int64_t end, int64_t step, int64_t dim);

// Reads an int32/int64 tensor (a shape, axes, starts...) as int64 values.
Result<std::vector<int64_t>> read_int_values(const Tensor& t);
// Reads a float/double/integer scalar or 1-element tensor as double.
Result<double> read_scalar_as_double(const Tensor& t);

// Visits every element of the broadcast shape `out` in row-major order, calling
// f(offset_0, ..., offset_{N-1}) with each input's element offset. N = strides.size().
template <size_t N, typename F>
void for_each_broadcast(const Dims& out, const std::vector<int64_t> (&strides)[N], F&& f) {
  const size_t rank = out.size();
  int64_t total = 1;
  for (int64_t d : out) total *= d;
  if (total == 0) return;
  std::vector<int64_t> idx(rank, 0);
  int64_t off[N] = {};
  for (int64_t n = 0; n < total; ++n) {
    [&]<size_t... I>(std::index_sequence<I...>) { f(off[I]...); }(std::make_index_sequence<N>{});
    for (size_t d = rank; d-- > 0;) {
      ++idx[d];
      for (size_t k = 0; k < N; ++k) off[k] += strides[k][d];
      if (idx[d] < out[d]) break;
      for (size_t k = 0; k < N; ++k) off[k] -= strides[k][d] * out[d];
      idx[d] = 0;
    }
  }
}

}  // namespace edgeserve
