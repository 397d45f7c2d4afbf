// Softmax, LogSoftmax and Hardmax, with the pre-13 "coerce to 2-D" semantics.
#include <cmath>
#include <limits>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

namespace {

enum class SoftmaxKind { kSoftmax, kLogSoftmax, kHardmax };

struct SoftmaxAttrs {
  SoftmaxKind kind = SoftmaxKind::kSoftmax;
  int64_t axis = -1;
  // Before opset 13 the input is viewed as 2-D [prod(dims[:axis]), prod(dims[axis:])] and each
  // row is normalised; from 13 only the single axis is.
  bool coerce_2d = false;
};

// One softmax vector: n elements `stride` apart. Works in double and subtracts the max so
// large logits do not overflow exp().
template <typename T>
void normalize_one(SoftmaxKind kind, const T* in, T* out, int64_t n, int64_t stride) {
  double mx = -std::numeric_limits<double>::infinity();
  int64_t arg = 0;
  for (int64_t k = 0; k < n; ++k) {
    const double v = static_cast<double>(in[k * stride]);
    if (v > mx) {
      mx = v;
      arg = k;
    }
  }
  if (kind == SoftmaxKind::kHardmax) {
    // The output was zero-filled at allocation; only the first maximum is set.
    if (n > 0) out[arg * stride] = T{1};
    return;
  }
  double sum = 0;
  for (int64_t k = 0; k < n; ++k) sum += std::exp(static_cast<double>(in[k * stride]) - mx);
  const double log_sum = std::log(sum);
  for (int64_t k = 0; k < n; ++k) {
    const double shifted = static_cast<double>(in[k * stride]) - mx;
    out[k * stride] = static_cast<T>(kind == SoftmaxKind::kLogSoftmax ? shifted - log_sum : std::exp(shifted) / sum);
  }
}

Status run_softmax(const SoftmaxAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  // A scalar has one (trivially normalised) element; ONNX needs rank >= 1 for the axis.
  EDGE_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(a.axis, rank));
  int64_t outer = 1;
  int64_t n = 1;
  int64_t inner = 1;
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t size = x.dim(static_cast<size_t>(d));
    if (d < axis) outer *= size;
    else if (d == axis || a.coerce_2d) n *= size;
    else inner *= size;
  }
  return dispatch<EDGE_FLOAT_TYPES>(x.dtype(), "input 0", [&](auto tag) -> Status {
    using T = decltype(tag);
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), x.dims()));
    const T* in = x.data<T>();
    T* out = y->mutable_data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t base = o * n * inner + i;
        normalize_one<T>(a.kind, in + base, out + base, n, inner);
      }
    }
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_softmax(const Node& node, SoftmaxKind kind) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  SoftmaxAttrs a;
  a.kind = kind;
  a.coerce_2d = node.opset < 13;
  EDGE_ASSIGN_OR_RETURN(a.axis, node.attr_int("axis", a.coerce_2d ? 1 : -1));
  return make_kernel(a, run_softmax);
}

}  // namespace

std::vector<KernelEntry> softmax_kernels() {
  return {
      {"Softmax", EDGE_FACTORY { return make_softmax(node, SoftmaxKind::kSoftmax); }},
      {"LogSoftmax", EDGE_FACTORY { return make_softmax(node, SoftmaxKind::kLogSoftmax); }},
      {"Hardmax", EDGE_FACTORY { return make_softmax(node, SoftmaxKind::kHardmax); }},
  };
}

}  // namespace edgeserve::ref
