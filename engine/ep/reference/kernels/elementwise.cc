// Unary element-wise math and activations: y[i] = f(x[i]).
#include <cmath>
#include <limits>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

namespace {

// A kernel applying fn to every element; output dtype = input dtype.
template <typename... Ts, typename Fn>
std::unique_ptr<Kernel> unary(Fn fn) {
  return make_kernel([fn](KernelContext& ctx) -> Status {
    const Tensor& x = ctx.input(0);
    return dispatch<Ts...>(x.dtype(), "input 0", [&](auto tag) -> Status {
      using T = decltype(tag);
      EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), x.dims()));
      const T* in = x.data<T>();
      T* out = y->mutable_data<T>();
      for (int64_t i = 0; i < x.num_elements(); ++i) out[i] = static_cast<T>(fn(in[i]));
      return Status::ok();
    });
  });
}

// A kernel mapping every element to a bool.
template <typename... Ts, typename Fn>
std::unique_ptr<Kernel> predicate(Fn fn) {
  return make_kernel([fn](KernelContext& ctx) -> Status {
    const Tensor& x = ctx.input(0);
    return dispatch<Ts...>(x.dtype(), "input 0", [&](auto tag) -> Status {
      using T = decltype(tag);
      EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DType::kBool, x.dims()));
      const T* in = x.data<T>();
      bool* out = y->mutable_data<bool>();
      for (int64_t i = 0; i < x.num_elements(); ++i) out[i] = fn(in[i]);
      return Status::ok();
    });
  });
}

template <typename Fn>
Result<std::unique_ptr<Kernel>> float_unary(const Node& node, Fn fn) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  return unary<EDGE_FLOAT_TYPES>(fn);
}

template <typename T>
T sign_of(T v) {
  if constexpr (std::is_unsigned_v<T>) return v > 0 ? T{1} : T{0};
  else return static_cast<T>((v > T{0}) - (v < T{0}));
}

// Clip before opset 11 takes min/max attributes; from 11 they are optional scalar inputs.
Result<std::unique_ptr<Kernel>> make_clip(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 3));
  if (node.opset < 11) {
    EDGE_ASSIGN_OR_RETURN(float lo, node.attr_float("min", -std::numeric_limits<float>::infinity()));
    EDGE_ASSIGN_OR_RETURN(float hi, node.attr_float("max", std::numeric_limits<float>::infinity()));
    return unary<EDGE_FLOAT_TYPES>([lo, hi](auto v) {
      using T = decltype(v);
      return std::min(std::max(v, static_cast<T>(lo)), static_cast<T>(hi));
    });
  }
  return make_kernel([](KernelContext& ctx) -> Status {
    const Tensor& x = ctx.input(0);
    return dispatch<EDGE_NUMBER_TYPES>(x.dtype(), "input 0", [&](auto tag) -> Status {
      using T = decltype(tag);
      T lo = std::numeric_limits<T>::lowest();
      T hi = std::numeric_limits<T>::max();
      for (size_t i : {size_t{1}, size_t{2}}) {
        const Tensor* b = ctx.optional_input(i);
        if (b == nullptr) continue;
        if (b->dtype() != x.dtype() || b->num_elements() != 1) {
          return invalid_argument(str_cat("input ", i, " must be a ", dtype_name(x.dtype()), " scalar"));
        }
        (i == 1 ? lo : hi) = b->data<T>()[0];
      }
      EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), x.dims()));
      for (int64_t i = 0; i < x.num_elements(); ++i) {
        y->mutable_data<T>()[i] = std::min(std::max(x.data<T>()[i], lo), hi);
      }
      return Status::ok();
    });
  });
}

Result<std::unique_ptr<Kernel>> make_is_inf(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  EDGE_ASSIGN_OR_RETURN(int64_t neg, node.attr_int("detect_negative", 1));
  EDGE_ASSIGN_OR_RETURN(int64_t pos, node.attr_int("detect_positive", 1));
  return predicate<EDGE_FLOAT_TYPES>([neg, pos](auto v) { return std::isinf(v) && ((v > 0 && pos) || (v < 0 && neg)); });
}

std::vector<KernelEntry> activation_entries() {
  return {
      {"Relu", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
         return unary<EDGE_SIGNED_TYPES>([](auto v) { return v > decltype(v){0} ? v : decltype(v){0}; });
       }},
      {"LeakyRelu", EDGE_FACTORY {
         EDGE_ASSIGN_OR_RETURN(float a, node.attr_float("alpha", 0.01f));
         return float_unary(node, [a](auto v) { return v >= 0 ? v : v * a; });
       }},
      {"Sigmoid", EDGE_FACTORY { return float_unary(node, [](auto v) { return 1 / (1 + std::exp(-v)); }); }},
      {"HardSigmoid", EDGE_FACTORY {
         EDGE_ASSIGN_OR_RETURN(float a, node.attr_float("alpha", 0.2f));
         EDGE_ASSIGN_OR_RETURN(float b, node.attr_float("beta", 0.5f));
         return float_unary(node, [a, b](auto v) {
           using T = decltype(v);
           return std::max(T{0}, std::min(T{1}, static_cast<T>(a) * v + static_cast<T>(b)));
         });
       }},
      {"HardSwish", EDGE_FACTORY {
         return float_unary(node, [](auto v) {
           using T = decltype(v);
           return v * std::max(T{0}, std::min(T{1}, v / T{6} + T{0.5}));
         });
       }},
      {"Tanh", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::tanh(v); }); }},
      {"Elu", EDGE_FACTORY {
         EDGE_ASSIGN_OR_RETURN(float a, node.attr_float("alpha", 1.0f));
         return float_unary(node, [a](auto v) { return v >= 0 ? v : static_cast<decltype(v)>(a) * (std::exp(v) - 1); });
       }},
      {"Selu", EDGE_FACTORY {
         EDGE_ASSIGN_OR_RETURN(float a, node.attr_float("alpha", 1.67326319217681884765625f));
         EDGE_ASSIGN_OR_RETURN(float g, node.attr_float("gamma", 1.05070102214813232421875f));
         return float_unary(node, [a, g](auto v) {
           using T = decltype(v);
           return static_cast<T>(g) * (v > 0 ? v : static_cast<T>(a) * (std::exp(v) - 1));
         });
       }},
      {"Celu", EDGE_FACTORY {
         EDGE_ASSIGN_OR_RETURN(float a, node.attr_float("alpha", 1.0f));
         return float_unary(node, [a](auto v) {
           using T = decltype(v);
           return std::max(T{0}, v) + std::min(T{0}, static_cast<T>(a) * (std::exp(v / static_cast<T>(a)) - 1));
         });
       }},
      {"Softplus", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::log1p(std::exp(v)); }); }},
      {"Softsign", EDGE_FACTORY { return float_unary(node, [](auto v) { return v / (1 + std::abs(v)); }); }},
      {"ThresholdedRelu", EDGE_FACTORY {
         EDGE_ASSIGN_OR_RETURN(float a, node.attr_float("alpha", 1.0f));
         return float_unary(node, [a](auto v) { return v > a ? v : decltype(v){0}; });
       }},
      {"Shrink", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
         EDGE_ASSIGN_OR_RETURN(float bias, node.attr_float("bias", 0.0f));
         EDGE_ASSIGN_OR_RETURN(float lambd, node.attr_float("lambd", 0.5f));
         return unary<EDGE_NUMBER_TYPES>([bias, lambd](auto v) {
           using T = decltype(v);
           const double d = static_cast<double>(v);
           return static_cast<T>(d < -lambd ? d + bias : (d > lambd ? d - bias : 0.0));
         });
       }},
      {"Clip", make_clip},
  };
}

std::vector<KernelEntry> math_entries() {
  return {
      {"Sqrt", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::sqrt(v); }); }},
      {"Exp", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::exp(v); }); }},
      {"Log", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::log(v); }); }},
      {"Reciprocal", EDGE_FACTORY { return float_unary(node, [](auto v) { return 1 / v; }); }},
      {"Floor", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::floor(v); }); }},
      {"Ceil", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::ceil(v); }); }},
      // Round half to even, as ONNX specifies (nearbyint in the default rounding mode).
      {"Round", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::nearbyint(v); }); }},
      {"Erf", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::erf(v); }); }},
      {"Sin", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::sin(v); }); }},
      {"Cos", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::cos(v); }); }},
      {"Tan", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::tan(v); }); }},
      {"Asin", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::asin(v); }); }},
      {"Acos", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::acos(v); }); }},
      {"Atan", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::atan(v); }); }},
      {"Sinh", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::sinh(v); }); }},
      {"Cosh", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::cosh(v); }); }},
      {"Asinh", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::asinh(v); }); }},
      {"Acosh", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::acosh(v); }); }},
      {"Atanh", EDGE_FACTORY { return float_unary(node, [](auto v) { return std::atanh(v); }); }},
      {"Abs", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
         return unary<EDGE_NUMBER_TYPES>([](auto v) {
           if constexpr (std::is_unsigned_v<decltype(v)>) return v;
           else return v < 0 ? static_cast<decltype(v)>(-v) : v;
         });
       }},
      {"Neg", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
         return unary<EDGE_SIGNED_TYPES>([](auto v) { return static_cast<decltype(v)>(-v); });
       }},
      {"Sign", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
         return unary<EDGE_NUMBER_TYPES>([](auto v) { return sign_of(v); });
       }},
      {"Not", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
         return unary<bool>([](bool v) { return !v; });
       }, HalfMode::kNative},
      {"IsNaN", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
         return predicate<EDGE_FLOAT_TYPES>([](auto v) { return std::isnan(v); });
       }},
      {"IsInf", make_is_inf},
  };
}

}  // namespace

std::vector<KernelEntry> elementwise_kernels() {
  std::vector<KernelEntry> all = activation_entries();
  for (const KernelEntry& e : math_entries()) all.push_back(e);
  return all;
}

}  // namespace edgeserve::ref
