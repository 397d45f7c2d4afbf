// Linear (de)quantization: QuantizeLinear and DequantizeLinear, per tensor or per axis.
#include <cmath>
#include <limits>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

namespace {

// How scale/zero-point values map onto elements: element i uses parameter
// (i / inner) % count, which covers both the per-tensor (count 1) and the per-axis case.
struct ParamLayout {
  int64_t inner = 1;
  int64_t count = 1;
  int64_t index(int64_t i) const { return (i / inner) % count; }
};

// Validates scale (and zero point) shapes against x and returns their layout. Per-axis
// parameters exist from opset 13 and are 1-D with one value per slice along `axis`.
Result<ParamLayout> param_layout(const Tensor& x, const Tensor& scale, const Tensor* zero_point, int64_t axis_attr,
                                 int64_t opset) {
  if (zero_point != nullptr && zero_point->dims() != scale.dims()) {
    return invalid_argument("the zero point must have the scale's shape");
  }
  ParamLayout layout;
  if (scale.num_elements() == 1 && scale.rank() <= 1) return layout;
  if (opset < 13 || scale.rank() != 1) {
    return invalid_argument(str_cat("the scale must be a scalar", opset < 13 ? "" : " or a 1-D tensor"));
  }
  EDGE_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(axis_attr, static_cast<int64_t>(x.rank())));
  if (scale.num_elements() != x.dim(static_cast<size_t>(axis))) {
    return invalid_argument(str_cat("per-axis scale has ", scale.num_elements(), " values, axis ", axis, " has ",
                                    x.dim(static_cast<size_t>(axis))));
  }
  layout.count = scale.num_elements();
  for (size_t d = static_cast<size_t>(axis) + 1; d < x.rank(); ++d) layout.inner *= x.dim(d);
  return layout;
}

// Rounds half to even and saturates into Q. NaN takes the lower bound, as in ONNX Runtime (MLAS
// clamps with MAXPS, which returns the bound for NaN); the ONNX spec leaves it undefined.
template <typename Q>
Q saturate_round(double v) {
  if (std::isnan(v)) return std::numeric_limits<Q>::lowest();
  v = std::nearbyint(v);
  if (v <= static_cast<double>(std::numeric_limits<Q>::lowest())) return std::numeric_limits<Q>::lowest();
  if (v >= static_cast<double>(std::numeric_limits<Q>::max())) return std::numeric_limits<Q>::max();
  return static_cast<Q>(v);
}

struct QuantAttrs {
  int64_t axis = 1;
  int64_t opset = 0;
};

Status quantize(const QuantAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  const Tensor* zp = ctx.optional_input(2);
  if (scale.dtype() != DType::kFloat32) return invalid_argument("the scale must be float32");
  EDGE_ASSIGN_OR_RETURN(ParamLayout layout, param_layout(x, scale, zp, a.axis, a.opset));
  const DType out_type = zp != nullptr ? zp->dtype() : DType::kUint8;
  return dispatch<float, int32_t>(x.dtype(), "input 0", [&](auto xtag) -> Status {
    using X = decltype(xtag);
    return dispatch<uint8_t, int8_t, uint16_t, int16_t>(out_type, "zero point", [&](auto qtag) -> Status {
      using Q = decltype(qtag);
      EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, out_type, x.dims()));
      for (int64_t i = 0; i < x.num_elements(); ++i) {
        const int64_t p = layout.index(i);
        // Divide in float32 as the ONNX reference does, so ties round the same way.
        const float q = static_cast<float>(x.data<X>()[i]) / scale.data<float>()[p];
        const double z = zp != nullptr ? static_cast<double>(zp->data<Q>()[p]) : 0.0;
        y->mutable_data<Q>()[i] = saturate_round<Q>(std::nearbyint(static_cast<double>(q)) + z);
      }
      return Status::ok();
    });
  });
}

Status dequantize(const QuantAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  const Tensor* zp = ctx.optional_input(2);
  if (scale.dtype() != DType::kFloat32) return invalid_argument("the scale must be float32");
  if (zp != nullptr && zp->dtype() != x.dtype()) return invalid_argument("the zero point must have the input's type");
  EDGE_ASSIGN_OR_RETURN(ParamLayout layout, param_layout(x, scale, zp, a.axis, a.opset));
  return dispatch<uint8_t, int8_t, uint16_t, int16_t, int32_t>(x.dtype(), "input 0", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DType::kFloat32, x.dims()));
    for (int64_t i = 0; i < x.num_elements(); ++i) {
      const int64_t p = layout.index(i);
      // The difference is taken in int64: int32 inputs minus a zero point can overflow int32.
      const int64_t z = zp != nullptr ? static_cast<int64_t>(zp->data<T>()[p]) : 0;
      const int64_t diff = static_cast<int64_t>(x.data<T>()[i]) - z;
      y->mutable_data<float>()[i] = static_cast<float>(diff) * scale.data<float>()[p];
    }
    return Status::ok();
  });
}

template <typename Fn>
Result<std::unique_ptr<Kernel>> make_quant(const Node& node, Fn fn) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 3));
  QuantAttrs a;
  EDGE_ASSIGN_OR_RETURN(a.axis, node.attr_int("axis", 1));
  a.opset = node.opset;
  EDGE_ASSIGN_OR_RETURN(int64_t block_size, node.attr_int("block_size", 0));
  if (block_size != 0) return unimplemented(str_cat(node.describe(), ": blocked quantization is not supported"));
  return make_kernel(a, fn);
}

}  // namespace

std::vector<KernelEntry> quantize_kernels() {
  return {
      {"QuantizeLinear", EDGE_FACTORY { return make_quant(node, quantize); }},
      {"DequantizeLinear", EDGE_FACTORY { return make_quant(node, dequantize); }},
  };
}

}  // namespace edgeserve::ref
