// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opset 12+). SoftmaxCrossEntropyLoss is
// LogSoftmax over axis 1 followed by the same weighted, ignore-aware gather as the NLL loss.
#include <cmath>
#include <limits>
#include <optional>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

namespace {

enum class Reduction { kNone, kSum, kMean };

struct LossAttrs {
  Reduction reduction = Reduction::kMean;
  // Targets equal to this contribute nothing (and no weight to a mean). Unset: none ignored.
  std::optional<int64_t> ignore_index;
  bool softmax = false;       // SoftmaxCrossEntropyLoss: input 0 holds scores, not log-probs
  bool want_log_prob = false;  // SoftmaxCrossEntropyLoss's optional output 1
};

// Input [N, C, d1..dk] is viewed as [N, C, D] with D = d1*..*dk (1 for a 2-D input).
struct LossGeometry {
  int64_t n = 0;
  int64_t c = 0;
  int64_t d = 1;
};

Result<Reduction> parse_reduction(const Node& node) {
  EDGE_ASSIGN_OR_RETURN(std::string r, node.attr_string("reduction", "mean"));
  if (r == "none") return Reduction::kNone;
  if (r == "sum") return Reduction::kSum;
  if (r == "mean") return Reduction::kMean;
  return invalid_argument(str_cat(node.describe(), ": attribute reduction is '", r, "', expected 'none', 'sum' or 'mean'"));
}

// Checks input 0 [N, C, d1..dk] against target [N, d1..dk] and weight [C].
Result<LossGeometry> loss_geometry(const Tensor& x, const Tensor& target, const Tensor* weight) {
  if (x.rank() < 2) return invalid_argument(str_cat("input 0 must have rank >= 2 ([N, C, ...]), got rank ", x.rank()));
  EDGE_RETURN_IF_ERROR(check_dims_bounded(x, "input 0"));
  LossGeometry g;
  g.n = x.dim(0);
  g.c = x.dim(1);
  bool target_ok = target.rank() + 1 == x.rank() && target.dim(0) == g.n;
  for (size_t i = 2; i < x.rank(); ++i) {
    g.d *= x.dim(i);
    if (target_ok && target.dim(i - 1) != x.dim(i)) target_ok = false;
  }
  if (!target_ok) {
    return invalid_argument("input 1 (target) must have the shape of input 0 without its class axis 1");
  }
  if (weight != nullptr) {
    if (weight->rank() != 1 || weight->dim(0) != g.c) {
      return invalid_argument(str_cat("input 2 (weight) must have shape [", g.c, "] (one weight per class)"));
    }
    if (weight->dtype() != x.dtype()) return invalid_argument("input 2 (weight) must have the type of input 0");
  }
  return g;
}

// Reads the targets and rejects a class index outside [0, C) that is not the ignored one.
Result<std::vector<int64_t>> read_targets(const Tensor& target, int64_t c, std::optional<int64_t> ignore_index) {
  if (target.dtype() != DType::kInt32 && target.dtype() != DType::kInt64) {
    return unimplemented(str_cat("input 1 (target) of type ", dtype_name(target.dtype()), " is not supported, expected int32 or int64"));
  }
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> t, read_int_values(target));
  for (size_t i = 0; i < t.size(); ++i) {
    if (ignore_index && t[i] == *ignore_index) continue;
    if (t[i] < 0 || t[i] >= c) {
      return invalid_argument(str_cat("input 1 (target) holds class index ", t[i], " at element ", i,
                                      ", outside [0, ", c, ") and not the ignore_index"));
    }
  }
  return t;
}

// log_softmax over axis 1 of x viewed as [N, C, D], computed in double with the max subtracted
// so large scores do not overflow exp().
template <typename T>
void log_softmax_axis1(const T* x, T* out, const LossGeometry& g) {
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t k = 0; k < g.d; ++k) {
      const T* in = x + n * g.c * g.d + k;
      T* o = out + n * g.c * g.d + k;
      double mx = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < g.c; ++j) mx = std::max(mx, static_cast<double>(in[j * g.d]));
      double sum = 0;
      for (int64_t j = 0; j < g.c; ++j) sum += std::exp(static_cast<double>(in[j * g.d]) - mx);
      const double log_sum = std::log(sum);
      for (int64_t j = 0; j < g.c; ++j) o[j * g.d] = static_cast<T>(static_cast<double>(in[j * g.d]) - mx - log_sum);
    }
  }
}

// loss[n, k] = -log_prob[n, target, k] * weight[target]; ignored targets give 0 and weigh 0.
template <typename T>
void nll(const LossAttrs& a, const T* log_prob, const std::vector<int64_t>& target, const T* weight,
         const LossGeometry& g, T* out) {
  double total = 0;
  double total_weight = 0;
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t k = 0; k < g.d; ++k) {
      const int64_t i = n * g.d + k;
      const int64_t t = target[static_cast<size_t>(i)];
      double loss = 0;
      double w = 0;
      if (!(a.ignore_index && t == *a.ignore_index)) {
        w = weight != nullptr ? static_cast<double>(weight[t]) : 1.0;
        loss = -static_cast<double>(log_prob[(n * g.c + t) * g.d + k]) * w;
      }
      if (a.reduction == Reduction::kNone) out[i] = static_cast<T>(loss);
      total += loss;
      total_weight += w;
    }
  }
  // A mean over no (or zero-weight) elements is 0/0 = NaN, as in the ONNX reference.
  if (a.reduction == Reduction::kSum) out[0] = static_cast<T>(total);
  if (a.reduction == Reduction::kMean) out[0] = static_cast<T>(total / total_weight);
}

// Input 0 for NLL, or its log_softmax (into output 1 when requested, else a scratch tensor).
template <typename T>
Result<const T*> log_probs(const LossAttrs& a, KernelContext& ctx, const LossGeometry& g, Tensor& scratch) {
  const Tensor& x = ctx.input(0);
  if (!a.softmax) return x.data<T>();
  Tensor* dst = &scratch;
  if (a.want_log_prob) {
    EDGE_ASSIGN_OR_RETURN(dst, ctx.allocate_output(1, x.dtype(), x.dims()));
  } else {
    EDGE_ASSIGN_OR_RETURN(scratch, Tensor::allocate(x.dtype(), x.dims(), ctx.max_tensor_bytes()));
  }
  log_softmax_axis1<T>(x.data<T>(), dst->mutable_data<T>(), g);
  return static_cast<const T*>(dst->data<T>());
}

Status run_loss(const LossAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& target = ctx.input(1);
  const Tensor* weight = ctx.optional_input(2);
  EDGE_ASSIGN_OR_RETURN(LossGeometry g, loss_geometry(x, target, weight));
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> t, read_targets(target, g.c, a.ignore_index));
  const Dims out_dims = a.reduction == Reduction::kNone ? target.dims() : Dims{};
  return dispatch<EDGE_FLOAT_TYPES>(x.dtype(), "input 0", [&](auto tag) -> Status {
    using T = decltype(tag);
    Tensor scratch;
    EDGE_ASSIGN_OR_RETURN(const T* lp, log_probs<T>(a, ctx, g, scratch));
    EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), out_dims));
    nll<T>(a, lp, t, weight != nullptr ? weight->data<T>() : nullptr, g, y->mutable_data<T>());
    return Status::ok();
  });
}

Result<std::unique_ptr<Kernel>> make_loss(const Node& node, bool softmax) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 3));
  const size_t max_outputs = softmax ? 2 : 1;
  if (node.outputs.size() > max_outputs) {
    return invalid_argument(str_cat(node.describe(), ": has ", node.outputs.size(), " outputs, at most ", max_outputs));
  }
  LossAttrs a;
  a.softmax = softmax;
  a.want_log_prob = softmax && node.outputs.size() > 1 && node.outputs[1] != nullptr;
  EDGE_ASSIGN_OR_RETURN(a.reduction, parse_reduction(node));
  if (node.has_attr("ignore_index")) {
    EDGE_ASSIGN_OR_RETURN(int64_t ii, node.attr_int("ignore_index"));
    a.ignore_index = ii;
  }
  return make_kernel(a, run_loss);
}

}  // namespace

std::vector<KernelEntry> loss_kernels() {
  return {
      {"NegativeLogLikelihoodLoss", EDGE_FACTORY { return make_loss(node, false); }, HalfMode::kAsFloat, "", 12},
      {"SoftmaxCrossEntropyLoss", EDGE_FACTORY { return make_loss(node, true); }, HalfMode::kAsFloat, "", 12},
  };
}

}  // namespace edgeserve::ref
