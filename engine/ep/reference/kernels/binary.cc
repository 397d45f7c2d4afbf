// Broadcasting binary and variadic element-wise ops: arithmetic, comparison, logic, Where.
#include <cmath>
#include <type_traits>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

namespace {

// out = fn(a, b) over the numpy broadcast of a and b.
template <typename TA, typename TB, typename TOut, typename Fn>
Result<Tensor> broadcast_apply(const Tensor& a, const Tensor& b, DType out_type, int64_t max_bytes, Fn fn) {
  EDGE_ASSIGN_OR_RETURN(Dims dims, broadcast_dims(a.dims(), b.dims()));
  EDGE_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(out_type, dims, max_bytes));
  const TA* pa = a.data<TA>();
  const TB* pb = b.data<TB>();
  TOut* po = out.mutable_data<TOut>();
  if (a.dims() == b.dims()) {
    for (int64_t i = 0; i < out.num_elements(); ++i) po[i] = fn(pa[i], pb[i]);
    return out;
  }
  const std::vector<int64_t> strides[2] = {broadcast_strides(a.dims(), dims), broadcast_strides(b.dims(), dims)};
  int64_t i = 0;
  for_each_broadcast<2>(dims, strides, [&](int64_t ia, int64_t ib) { po[i++] = fn(pa[ia], pb[ib]); });
  return out;
}

// Same-type binary op producing `OutT` (or the input type when OutT is void).
template <typename OutT, typename... Ts, typename Fn>
std::unique_ptr<Kernel> binary(Fn fn) {
  return make_kernel([fn](KernelContext& ctx) -> Status {
    EDGE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    return dispatch<Ts...>(a.dtype(), "input 0", [&](auto tag) -> Status {
      using T = decltype(tag);
      using O = std::conditional_t<std::is_void_v<OutT>, T, OutT>;
      EDGE_ASSIGN_OR_RETURN(Tensor y, (broadcast_apply<T, T, O>(a, b, dtype_of<O>, ctx.max_tensor_bytes(), fn)));
      ctx.set_output(0, std::move(y));
      return Status::ok();
    });
  });
}

// Folds a variadic op (Sum, Min, Max, Mean) pairwise over all inputs.
template <typename... Ts, typename Fn>
std::unique_ptr<Kernel> variadic(Fn fn, bool mean) {
  return make_kernel([fn, mean](KernelContext& ctx) -> Status {
    if (ctx.num_inputs() == 0) return invalid_argument("needs at least one input");
    const Tensor& first = ctx.input(0);
    return dispatch<Ts...>(first.dtype(), "input 0", [&](auto tag) -> Status {
      using T = decltype(tag);
      Tensor acc = first;
      for (size_t i = 1; i < ctx.num_inputs(); ++i) {
        if (ctx.input(i).dtype() != first.dtype()) return invalid_argument(str_cat("input ", i, " has a different type"));
        EDGE_ASSIGN_OR_RETURN(acc, (broadcast_apply<T, T, T>(acc, ctx.input(i), first.dtype(), ctx.max_tensor_bytes(), fn)));
      }
      if (mean || ctx.num_inputs() == 1) {
        acc = acc.clone();
        const T n = static_cast<T>(ctx.num_inputs());
        if (mean) {
          for (int64_t i = 0; i < acc.num_elements(); ++i) acc.mutable_data<T>()[i] /= n;
        }
      }
      ctx.set_output(0, std::move(acc));
      return Status::ok();
    });
  });
}

// Integer division and modulo by zero are undefined in C++; report them instead.
template <typename T>
bool has_zero(const Tensor& t) {
  if constexpr (std::is_integral_v<T>) {
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      if (t.data<T>()[i] == 0) return true;
    }
  }
  return false;
}

Result<std::unique_ptr<Kernel>> make_div(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
  return make_kernel([](KernelContext& ctx) -> Status {
    EDGE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
    return dispatch<EDGE_NUMBER_TYPES>(ctx.input(0).dtype(), "input 0", [&](auto tag) -> Status {
      using T = decltype(tag);
      if (has_zero<T>(ctx.input(1))) return invalid_argument("integer division by zero");
      EDGE_ASSIGN_OR_RETURN(Tensor y, (broadcast_apply<T, T, T>(ctx.input(0), ctx.input(1), ctx.input(0).dtype(),
                                                                 ctx.max_tensor_bytes(), [](T a, T b) { return static_cast<T>(a / b); })));
      ctx.set_output(0, std::move(y));
      return Status::ok();
    });
  });
}

Result<std::unique_ptr<Kernel>> make_mod(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
  EDGE_ASSIGN_OR_RETURN(int64_t use_fmod, node.attr_int("fmod", 0));
  return make_kernel([use_fmod](KernelContext& ctx) -> Status {
    EDGE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
    return dispatch<EDGE_NUMBER_TYPES>(ctx.input(0).dtype(), "input 0", [&](auto tag) -> Status {
      using T = decltype(tag);
      if (has_zero<T>(ctx.input(1))) return invalid_argument("integer modulo by zero");
      if (std::is_floating_point_v<T> && !use_fmod) return invalid_argument("fmod must be 1 for floating-point inputs");
      auto fn = [use_fmod](T a, T b) -> T {
        if constexpr (std::is_floating_point_v<T>) {
          return std::fmod(a, b);
        } else {
          T r = static_cast<T>(a % b);
          // fmod=0: the result takes the divisor's sign (Python semantics).
          if constexpr (std::is_signed_v<T>) {
            if (!use_fmod && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
          }
          return r;
        }
      };
      EDGE_ASSIGN_OR_RETURN(Tensor y, (broadcast_apply<T, T, T>(ctx.input(0), ctx.input(1), ctx.input(0).dtype(),
                                                                 ctx.max_tensor_bytes(), fn)));
      ctx.set_output(0, std::move(y));
      return Status::ok();
    });
  });
}

// Pow: the exponent may have a different type from the base (opset 12+).
Result<std::unique_ptr<Kernel>> make_pow(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
  return make_kernel([](KernelContext& ctx) -> Status {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    return dispatch<float, double, int32_t, int64_t>(a.dtype(), "input 0", [&](auto ta) -> Status {
      using TA = decltype(ta);
      return dispatch<EDGE_NUMBER_TYPES>(b.dtype(), "input 1", [&](auto tb) -> Status {
        using TB = decltype(tb);
        auto fn = [](TA x, TB e) { return static_cast<TA>(std::pow(static_cast<double>(x), static_cast<double>(e))); };
        EDGE_ASSIGN_OR_RETURN(Tensor y, (broadcast_apply<TA, TB, TA>(a, b, a.dtype(), ctx.max_tensor_bytes(), fn)));
        ctx.set_output(0, std::move(y));
        return Status::ok();
      });
    });
  });
}

Result<std::unique_ptr<Kernel>> make_bitshift(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
  EDGE_ASSIGN_OR_RETURN(std::string dir, node.attr_string("direction"));
  if (dir != "LEFT" && dir != "RIGHT") {
    return invalid_argument(str_cat(node.describe(), ": direction must be LEFT or RIGHT, got '", dir, "'"));
  }
  const bool left = dir == "LEFT";
  return binary<void, uint8_t, uint16_t, uint32_t, uint64_t>([left](auto a, auto b) {
    using T = decltype(a);
    if (b >= sizeof(T) * 8) return T{0};  // a shift past the width is undefined in C++
    return static_cast<T>(left ? a << b : a >> b);
  });
}

Result<std::unique_ptr<Kernel>> make_prelu(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
  return binary<void, float, double, int32_t, int64_t>([](auto x, auto s) { return x < 0 ? static_cast<decltype(x)>(x * s) : x; });
}

Result<std::unique_ptr<Kernel>> make_where(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 3, 3));
  return make_kernel([](KernelContext& ctx) -> Status {
    const Tensor& c = ctx.input(0);
    if (c.dtype() != DType::kBool) return invalid_argument("condition must be bool");
    EDGE_RETURN_IF_ERROR(check_same_dtype(ctx, 1, 2));
    const Tensor& x = ctx.input(1);
    const Tensor& y = ctx.input(2);
    EDGE_ASSIGN_OR_RETURN(Dims dims, broadcast_all({c.dims(), x.dims(), y.dims()}));
    return dispatch<EDGE_ALL_TYPES>(x.dtype(), "input 1", [&](auto tag) -> Status {
      using T = decltype(tag);
      EDGE_ASSIGN_OR_RETURN(Tensor * out, ctx.allocate_output(0, x.dtype(), dims));
      const std::vector<int64_t> strides[3] = {broadcast_strides(c.dims(), dims), broadcast_strides(x.dims(), dims),
                                               broadcast_strides(y.dims(), dims)};
      T* po = out->mutable_data<T>();
      int64_t i = 0;
      for_each_broadcast<3>(dims, strides, [&](int64_t ic, int64_t ix, int64_t iy) {
        po[i++] = c.data<bool>()[ic] ? x.data<T>()[ix] : y.data<T>()[iy];
      });
      return Status::ok();
    });
  });
}

std::vector<KernelEntry> arithmetic_entries() {
  return {
      {"Add", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
         return binary<void, EDGE_NUMBER_TYPES>([](auto a, auto b) { return static_cast<decltype(a)>(a + b); });
       }},
      {"Sub", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
         return binary<void, EDGE_NUMBER_TYPES>([](auto a, auto b) { return static_cast<decltype(a)>(a - b); });
       }},
      {"Mul", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
         return binary<void, EDGE_NUMBER_TYPES>([](auto a, auto b) { return static_cast<decltype(a)>(a * b); });
       }},
      {"Div", make_div},
      {"Mod", make_mod},
      {"Pow", make_pow},
      {"BitShift", make_bitshift},
      {"PRelu", make_prelu},
      {"Sum", EDGE_FACTORY {
         return variadic<EDGE_NUMBER_TYPES>([](auto a, auto b) { return static_cast<decltype(a)>(a + b); }, false);
       }},
      {"Mean", EDGE_FACTORY {
         return variadic<EDGE_FLOAT_TYPES>([](auto a, auto b) { return a + b; }, true);
       }},
      // NaN propagates through Min/Max as in ONNX Runtime.
      {"Max", EDGE_FACTORY {
         return variadic<EDGE_NUMBER_TYPES>([](auto a, auto b) { return (a != a || a > b) ? a : b; }, false);
       }},
      {"Min", EDGE_FACTORY {
         return variadic<EDGE_NUMBER_TYPES>([](auto a, auto b) { return (a != a || a < b) ? a : b; }, false);
       }},
  };
}

std::vector<KernelEntry> logic_entries() {
  return {
      {"Equal", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
         return binary<bool, EDGE_NUMBER_TYPES, bool, std::string>([](const auto& a, const auto& b) { return a == b; });
       }, HalfMode::kAsFloat},
      {"Less", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
         return binary<bool, EDGE_NUMBER_TYPES>([](auto a, auto b) { return a < b; });
       }},
      {"LessOrEqual", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
         return binary<bool, EDGE_NUMBER_TYPES>([](auto a, auto b) { return a <= b; });
       }},
      {"Greater", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
         return binary<bool, EDGE_NUMBER_TYPES>([](auto a, auto b) { return a > b; });
       }},
      {"GreaterOrEqual", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
         return binary<bool, EDGE_NUMBER_TYPES>([](auto a, auto b) { return a >= b; });
       }},
      {"And", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
         return binary<bool, bool>([](bool a, bool b) { return a && b; });
       }, HalfMode::kNative},
      {"Or", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
         return binary<bool, bool>([](bool a, bool b) { return a || b; });
       }, HalfMode::kNative},
      {"Xor", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
         return binary<bool, bool>([](bool a, bool b) { return a != b; });
       }, HalfMode::kNative},
      {"Where", make_where, HalfMode::kNative},
  };
}

}  // namespace

std::vector<KernelEntry> binary_kernels() {
  std::vector<KernelEntry> all = arithmetic_entries();
  for (const KernelEntry& e : logic_entries()) all.push_back(e);
  return all;
}

}  // namespace edgeserve::ref
