// Conv and ConvTranspose: im2col / col2im per image and group around the shared gemm.
#include <algorithm>
#include <vector>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/gemm.h"
#include "engine/ep/reference/kernels/kernel_util.h"
#include "engine/ops/conv_geometry.h"

namespace edgeserve::ref {

namespace {

struct ConvState {
  WindowAttrs attrs;
  int64_t group = 1;
};

// Everything a run needs about the shapes, validated against each other.
struct ConvShape {
  int64_t batch = 0;
  int64_t in_channels = 0;   // C of X
  int64_t out_channels = 0;  // channels of Y
  int64_t group = 1;
  std::vector<int64_t> in_spatial;
  WindowGeometry geo;
  int64_t in_size = 0, out_size = 0, kernel_size = 0;  // spatial element counts
};

Result<ConvState> read_conv_state(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 3));
  ConvState s;
  EDGE_ASSIGN_OR_RETURN(s.attrs, read_window_attrs(node));
  EDGE_ASSIGN_OR_RETURN(s.group, node.attr_int("group", 1));
  if (s.group < 1) return invalid_argument(str_cat(node.describe(), ": group must be >= 1, got ", s.group));
  return s;
}

// Checks X and W ranks, W's spatial dims against kernel_shape, and C against group.
Result<ConvShape> common_shape(const ConvState& st, const Tensor& x, const Tensor& w, std::vector<int64_t>& kernel) {
  if (x.rank() < 3) return invalid_argument(str_cat("input X must have rank >= 3 (N, C, spatial...), got rank ", x.rank()));
  if (w.rank() != x.rank()) {
    return invalid_argument(str_cat("input W must have the rank of X (", x.rank(), "), got rank ", w.rank()));
  }
  EDGE_RETURN_IF_ERROR(check_dims_bounded(x, "input X"));
  EDGE_RETURN_IF_ERROR(check_dims_bounded(w, "input W"));
  ConvShape s;
  s.batch = x.dim(0);
  s.in_channels = x.dim(1);
  s.group = st.group;
  s.in_spatial.assign(x.dims().begin() + 2, x.dims().end());
  kernel.assign(w.dims().begin() + 2, w.dims().end());
  if (!st.attrs.kernel_shape.empty() && st.attrs.kernel_shape != kernel) {
    return invalid_argument("kernel_shape attribute does not match the spatial dims of W");
  }
  if (s.group > std::max<int64_t>(s.in_channels, 1)) {
    return invalid_argument(str_cat("group ", s.group, " exceeds X's channel count ", s.in_channels));
  }
  if (s.in_channels % s.group != 0) {
    return invalid_argument(str_cat("X has ", s.in_channels, " channels, not divisible by group ", s.group));
  }
  return s;
}

Status check_bias(const Tensor* b, int64_t out_channels) {
  if (b != nullptr && (b->rank() != 1 || b->dim(0) != out_channels)) {
    return invalid_argument(str_cat("input B must be 1-D with ", out_channels, " values (output channels)"));
  }
  return Status::ok();
}

Result<ConvShape> conv_shape(const ConvState& st, const Tensor& x, const Tensor& w, const Tensor* b) {
  std::vector<int64_t> kernel;
  EDGE_ASSIGN_OR_RETURN(ConvShape s, common_shape(st, x, w, kernel));
  s.out_channels = w.dim(0);
  if (w.dim(1) * s.group != s.in_channels) {
    return invalid_argument(str_cat("W has ", w.dim(1), " input channels per group; X has ", s.in_channels,
                                    " channels and group is ", s.group, " (expected C / group)"));
  }
  if (s.out_channels % s.group != 0) {
    return invalid_argument(str_cat("W has ", s.out_channels, " output channels, not divisible by group ", s.group));
  }
  EDGE_RETURN_IF_ERROR(check_bias(b, s.out_channels));
  EDGE_ASSIGN_OR_RETURN(s.geo, forward_geometry(st.attrs, kernel, s.in_spatial));
  s.in_size = product(s.in_spatial);
  s.out_size = product(s.geo.output);
  s.kernel_size = product(kernel);
  return s;
}

Result<ConvShape> conv_transpose_shape(const ConvState& st, const Tensor& x, const Tensor& w, const Tensor* b) {
  std::vector<int64_t> kernel;
  EDGE_ASSIGN_OR_RETURN(ConvShape s, common_shape(st, x, w, kernel));
  if (w.dim(0) != s.in_channels) {
    return invalid_argument(str_cat("W dim 0 is ", w.dim(0), ", expected X's channel count ", s.in_channels));
  }
  if (w.dim(1) > (int64_t{1} << 40) / s.group) return invalid_argument("W dim 1 times group is too large");
  s.out_channels = w.dim(1) * s.group;
  EDGE_RETURN_IF_ERROR(check_bias(b, s.out_channels));
  EDGE_ASSIGN_OR_RETURN(s.geo, transpose_geometry(st.attrs, kernel, s.in_spatial));
  s.in_size = product(s.in_spatial);
  s.out_size = product(s.geo.output);
  s.kernel_size = product(kernel);
  return s;
}

Dims output_dims(const ConvShape& s) {
  Dims dims = {s.batch, s.out_channels};
  dims.insert(dims.end(), s.geo.output.begin(), s.geo.output.end());
  return dims;
}

// col[(c * K + k), o] = x[c, o * stride - pad + k * dilation], 0 in the padding.
template <typename T>
void im2col(const T* x, int64_t channels, const ConvShape& s, const std::vector<std::vector<int64_t>>& offsets,
            T* col) {
  for (int64_t c = 0; c < channels; ++c) {
    const T* plane = x + c * s.in_size;
    for (size_t k = 0; k < offsets.size(); ++k) {
      T* row = col + (c * s.kernel_size + static_cast<int64_t>(k)) * s.out_size;
      for_each_mapped(s.geo.output, s.in_spatial, s.geo.strides, s.geo.pad_begin, offsets[k],
                      [&](int64_t j, int64_t t) { row[j] = t >= 0 ? plane[t] : T{0}; });
    }
  }
}

// The adjoint of im2col: y[m, i * stride - pad + k * dilation] += col[(m * K + k), i].
template <typename T>
void col2im(const T* col, int64_t channels, const ConvShape& s, const std::vector<std::vector<int64_t>>& offsets,
            T* y) {
  for (int64_t m = 0; m < channels; ++m) {
    T* plane = y + m * s.out_size;
    for (size_t k = 0; k < offsets.size(); ++k) {
      const T* row = col + (m * s.kernel_size + static_cast<int64_t>(k)) * s.in_size;
      for_each_mapped(s.in_spatial, s.geo.output, s.geo.strides, s.geo.pad_begin, offsets[k],
                      [&](int64_t j, int64_t t) {
                        if (t >= 0) plane[t] += row[j];
                      });
    }
  }
}

template <typename T>
void add_bias(const T* bias, const ConvShape& s, T* y) {
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t m = 0; m < s.out_channels; ++m) {
      T* plane = y + (n * s.out_channels + m) * s.out_size;
      for (int64_t i = 0; i < s.out_size; ++i) plane[i] += bias[m];
    }
  }
}

// A 1x1 kernel with unit strides and no padding reads X as it is: no im2col copy needed.
bool is_pointwise(const ConvShape& s) {
  for (size_t i = 0; i < s.geo.rank(); ++i) {
    if (s.geo.kernel[i] != 1 || s.geo.strides[i] != 1 || s.geo.pad_begin[i] != 0 || s.geo.pad_end[i] != 0) return false;
  }
  return true;
}

// a * b > limit, without overflowing.
bool exceeds_limit(int64_t a, int64_t b, int64_t limit) { return b > 0 && a > limit / b; }

template <typename T>
Status run_conv(const ConvState& st, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  const Tensor* b = ctx.optional_input(2);
  EDGE_ASSIGN_OR_RETURN(ConvShape s, conv_shape(st, x, w, b));
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), output_dims(s)));
  const int64_t cg = s.in_channels / s.group;
  const int64_t mg = s.out_channels / s.group;
  const int64_t rows = cg * s.kernel_size;  // gemm depth
  const bool pointwise = is_pointwise(s);
  // The column buffer is as large as the output times C*K/M; bound it like a tensor.
  if (!pointwise && exceeds_limit(rows, s.out_size, ctx.max_tensor_bytes() / static_cast<int64_t>(sizeof(T)))) {
    return resource_exhausted("Conv im2col buffer would exceed the tensor size limit");
  }
  std::vector<T> col(pointwise ? 0 : static_cast<size_t>(rows * s.out_size));
  const auto offsets = kernel_offsets(s.geo);
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t g = 0; g < s.group; ++g) {
      const T* xg = x.data<T>() + (n * s.in_channels + g * cg) * s.in_size;
      const T* wg = w.data<T>() + g * mg * rows;
      T* yg = y->mutable_data<T>() + (n * s.out_channels + g * mg) * s.out_size;
      if (!pointwise) im2col(xg, cg, s, offsets, col.data());
      gemm<T>(mg, s.out_size, rows, wg, rows, 1, pointwise ? xg : col.data(), s.out_size, 1, T{0}, yg, s.out_size);
    }
  }
  if (b != nullptr) add_bias(b->data<T>(), s, y->mutable_data<T>());
  return Status::ok();
}

template <typename T>
Status run_conv_transpose(const ConvState& st, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  const Tensor* b = ctx.optional_input(2);
  EDGE_ASSIGN_OR_RETURN(ConvShape s, conv_transpose_shape(st, x, w, b));
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), output_dims(s)));
  const int64_t cg = s.in_channels / s.group;
  const int64_t mg = s.out_channels / s.group;
  const int64_t rows = mg * s.kernel_size;
  if (exceeds_limit(rows, s.in_size, ctx.max_tensor_bytes() / static_cast<int64_t>(sizeof(T)))) {
    return resource_exhausted("ConvTranspose column buffer would exceed the tensor size limit");
  }
  std::vector<T> col(static_cast<size_t>(rows * s.in_size));
  const auto offsets = kernel_offsets(s.geo);
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t g = 0; g < s.group; ++g) {
      const T* xg = x.data<T>() + (n * s.in_channels + g * cg) * s.in_size;
      const T* wg = w.data<T>() + g * cg * rows;
      T* yg = y->mutable_data<T>() + (n * s.out_channels + g * mg) * s.out_size;
      // col = W_g^T (rows x cg) * X_g (cg x in_size); W_g is stored cg x rows.
      gemm<T>(rows, s.in_size, cg, wg, 1, rows, xg, s.in_size, 1, T{0}, col.data(), s.in_size);
      col2im(col.data(), mg, s, offsets, yg);
    }
  }
  if (b != nullptr) add_bias(b->data<T>(), s, y->mutable_data<T>());
  return Status::ok();
}

// Both ops take X, W and an optional B of one float type.
Status check_types(const KernelContext& ctx) {
  EDGE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
  if (ctx.has_input(2)) EDGE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
  return Status::ok();
}

Result<std::unique_ptr<Kernel>> make_conv(const Node& node) {
  EDGE_ASSIGN_OR_RETURN(ConvState st, read_conv_state(node));
  return make_kernel(std::move(st), [](const ConvState& s, KernelContext& ctx) -> Status {
    EDGE_RETURN_IF_ERROR(check_types(ctx));
    return dispatch<EDGE_FLOAT_TYPES>(ctx.input(0).dtype(), "input X", [&](auto tag) -> Status {
      return run_conv<decltype(tag)>(s, ctx);
    });
  });
}

Result<std::unique_ptr<Kernel>> make_conv_transpose(const Node& node) {
  EDGE_ASSIGN_OR_RETURN(ConvState st, read_conv_state(node));
  return make_kernel(std::move(st), [](const ConvState& s, KernelContext& ctx) -> Status {
    EDGE_RETURN_IF_ERROR(check_types(ctx));
    return dispatch<EDGE_FLOAT_TYPES>(ctx.input(0).dtype(), "input X", [&](auto tag) -> Status {
      return run_conv_transpose<decltype(tag)>(s, ctx);
    });
  });
}

}  // namespace

std::vector<KernelEntry> conv_kernels() {
  return {
      {"Conv", make_conv},
      {"ConvTranspose", make_conv_transpose},
  };
}

}  // namespace edgeserve::ref
