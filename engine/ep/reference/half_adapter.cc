// float16 adapter and numeric conversion.
#include "engine/ep/reference/half_adapter.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "common/strings.h"

namespace edgeserve::ref {

namespace {

template <typename T>
double to_double(T v) {
  if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    return static_cast<double>(static_cast<float>(v));
  } else {
    return static_cast<double>(v);
  }
}

template <typename D, typename S>
D convert_value(S v) {
  if constexpr (std::is_same_v<D, Float16> || std::is_same_v<D, BFloat16>) {
    if constexpr (std::is_same_v<S, D>) return v;
    else return D(static_cast<float>(to_double(v)));
  } else if constexpr (std::is_same_v<D, bool>) {
    return to_double(v) != 0.0;
  } else if constexpr (std::is_floating_point_v<D>) {
    if constexpr (std::is_same_v<S, Float16> || std::is_same_v<S, BFloat16>) return static_cast<D>(static_cast<float>(v));
    else return static_cast<D>(v);
  } else {
    // Integer destination: floats are truncated; out-of-range and NaN values are undefined in
    // ONNX, so they are clamped here instead of invoking C++ undefined behaviour.
    if constexpr (std::is_integral_v<S>) {
      return static_cast<D>(v);
    } else {
      const double d = to_double(v);
      if (std::isnan(d)) return D{0};
      if (d <= static_cast<double>(std::numeric_limits<D>::lowest())) return std::numeric_limits<D>::lowest();
      if (d >= static_cast<double>(std::numeric_limits<D>::max())) return std::numeric_limits<D>::max();
      return static_cast<D>(d);
    }
  }
}

#define EDGE_NUMERIC_TYPES float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, \
                           uint16_t, uint32_t, uint64_t, bool

class HalfAsFloatKernel final : public Kernel {
 public:
  explicit HalfAsFloatKernel(std::unique_ptr<Kernel> inner) : inner_(std::move(inner)) {}

  Status run(KernelContext& ctx) const override {
    DType half = DType::kUndefined;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      if (!ctx.has_input(i)) continue;
      DType t = ctx.input(i).dtype();
      if (t == DType::kFloat16 || t == DType::kBFloat16) half = t;
    }
    if (half == DType::kUndefined) return inner_->run(ctx);
    std::vector<Tensor> widened(ctx.num_inputs());
    std::vector<const Tensor*> inputs(ctx.num_inputs(), nullptr);
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      if (!ctx.has_input(i)) continue;
      const Tensor& in = ctx.input(i);
      if (in.dtype() == DType::kFloat16 || in.dtype() == DType::kBFloat16) {
        EDGE_ASSIGN_OR_RETURN(widened[i], Tensor::allocate(DType::kFloat32, in.dims(), ctx.max_tensor_bytes()));
        EDGE_RETURN_IF_ERROR(convert_tensor(in, &widened[i]));
        inputs[i] = &widened[i];
      } else {
        inputs[i] = &in;
      }
    }
    std::vector<Tensor> outputs(ctx.num_outputs());
    KernelContext inner_ctx(ctx.node(), std::move(inputs), &outputs, ctx.max_tensor_bytes());
    EDGE_RETURN_IF_ERROR(inner_->run(inner_ctx));
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (outputs[i].dtype() != DType::kFloat32) {
        ctx.set_output(i, std::move(outputs[i]));
        continue;
      }
      EDGE_ASSIGN_OR_RETURN(Tensor* narrow, ctx.allocate_output(i, half, outputs[i].dims()));
      EDGE_RETURN_IF_ERROR(convert_tensor(outputs[i], narrow));
    }
    return Status::ok();
  }

 private:
  std::unique_ptr<Kernel> inner_;
};

}  // namespace

std::unique_ptr<Kernel> wrap_half_as_float(std::unique_ptr<Kernel> inner) {
  return std::make_unique<HalfAsFloatKernel>(std::move(inner));
}

Status convert_tensor(const Tensor& in, Tensor* out) {
  const int64_t n = in.num_elements();
  bool ok = false;
  visit_dtype<EDGE_NUMERIC_TYPES>(in.dtype(), [&](auto src_tag) {
    using S = decltype(src_tag);
    ok = visit_dtype<EDGE_NUMERIC_TYPES>(out->dtype(), [&](auto dst_tag) {
      using D = decltype(dst_tag);
      const S* src = in.data<S>();
      D* dst = out->mutable_data<D>();
      for (int64_t i = 0; i < n; ++i) dst[i] = convert_value<D, S>(src[i]);
    });
  });
  if (!ok) {
    return unimplemented(str_cat("conversion from ", dtype_name(in.dtype()), " to ", dtype_name(out->dtype())));
  }
  return Status::ok();
}

}  // namespace edgeserve::ref
