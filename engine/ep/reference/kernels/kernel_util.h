// Helpers shared by reference kernels: dtype dispatch with a clear error, and element loops.
#pragma once

#include <string>
#include <type_traits>

#include "common/strings.h"
#include "engine/ep/kernel.h"
#include "engine/ops/shape_util.h"

namespace edgeserve::ref {

// Runs f(T{}) for the dtype of `t` if it is one of Ts, else returns an UNIMPLEMENTED error
// naming what was being typed (e.g. "input 0").
template <typename... Ts, typename F>
Status dispatch(DType t, const char* what, F&& f) {
  Status result;
  const bool matched = visit_dtype<Ts...>(t, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<decltype(f(tag)), void>) {
      f(tag);
    } else {
      result = f(T{});
    }
  });
  if (!matched) return unimplemented(str_cat(what, " of type ", dtype_name(t), " is not supported by this kernel"));
  return result;
}

// Prepare-time arity check: inputs [0, n_required) present, at most n_max inputs, and at least
// n_outputs outputs declared.
Status check_arity(const Node& node, size_t n_required, size_t n_max, size_t n_outputs = 1);
// Fails when the product of a tensor's non-zero dims is huge: an empty tensor's other dims are
// not bounded by its (zero) size, and kernels multiply subsets of them.
Status check_dims_bounded(const Tensor& t, const char* what);
// Requires two inputs to share a dtype.
Status check_same_dtype(const KernelContext& ctx, size_t a, size_t b);

// Type lists for dispatch<...>.
#define EDGE_FLOAT_TYPES float, double
#define EDGE_SIGNED_TYPES float, double, int8_t, int16_t, int32_t, int64_t
#define EDGE_NUMBER_TYPES float, double, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
// A factory: a capture-less lambda converted to a KernelFactory.
#define EDGE_FACTORY +[](const Node& node) -> Result<std::unique_ptr<Kernel>>

#define EDGE_ALL_TYPES EDGE_NUMBER_TYPES, bool, Float16, BFloat16, std::string

}  // namespace edgeserve::ref
