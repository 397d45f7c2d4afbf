// Normalization: BatchNormalization (inference), InstanceNormalization, LayerNormalization,
// LRN and MeanVarianceNormalization. Statistics accumulate in double for stability.
#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

namespace {

int64_t product(Dims::const_iterator begin, Dims::const_iterator end) {
  int64_t p = 1;
  for (auto it = begin; it != end; ++it) p *= *it;
  return p;
}

// Requires inputs [1, last] to share input 0's dtype.
Status check_all_same_dtype(const KernelContext& ctx, size_t last) {
  for (size_t i = 1; i <= last; ++i) {
    if (ctx.has_input(i)) EDGE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, i));
  }
  return Status::ok();
}

// ---- BatchNormalization ----

struct BatchNormState {
  float epsilon = 1e-5f;
  bool spatial = true;  // opset < 9: spatial = 0 gives per-activation parameters
};

template <typename T>
Status run_batch_norm(const BatchNormState& st, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  EDGE_RETURN_IF_ERROR(check_dims_bounded(x, "input X"));
  if (x.rank() < 2) return invalid_argument(str_cat("input X must have rank >= 2 (N, C, ...), got rank ", x.rank()));
  const int64_t batch = x.dim(0);
  const int64_t inner = product(x.dims().begin() + 2, x.dims().end());
  // Parameters are per channel, or per (channel, position) when not spatial.
  const int64_t params = st.spatial ? x.dim(1) : x.dim(1) * inner;
  static const char* const kNames[] = {"X", "scale", "B", "input_mean", "input_var"};
  for (size_t i = 1; i <= 4; ++i) {
    if (ctx.input(i).num_elements() != params) {
      return invalid_argument(str_cat("input ", kNames[i], " must have ", params, " values (", st.spatial ? "C" : "C x spatial",
                                      "), got ", ctx.input(i).num_elements()));
    }
  }
  // y = x * a + b with a = scale / sqrt(var + eps), b = B - mean * a.
  std::vector<T> a(static_cast<size_t>(params)), b(static_cast<size_t>(params));
  for (int64_t p = 0; p < params; ++p) {
    const double scale = ctx.input(1).data<T>()[p] / std::sqrt(static_cast<double>(ctx.input(4).data<T>()[p]) + st.epsilon);
    a[static_cast<size_t>(p)] = static_cast<T>(scale);
    b[static_cast<size_t>(p)] = static_cast<T>(ctx.input(2).data<T>()[p] - ctx.input(3).data<T>()[p] * scale);
  }
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), x.dims()));
  const int64_t per_image = x.dim(1) * inner;
  const int64_t run = st.spatial ? inner : 1;  // elements sharing one parameter
  for (int64_t n = 0; n < batch; ++n) {
    const T* in = x.data<T>() + n * per_image;
    T* out = y->mutable_data<T>() + n * per_image;
    for (int64_t i = 0; i < per_image; ++i) {
      const size_t p = static_cast<size_t>(i / run);
      out[i] = in[i] * a[p] + b[p];
    }
  }
  return Status::ok();
}

Result<std::unique_ptr<Kernel>> make_batch_norm(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 5, 5));
  BatchNormState st;
  EDGE_ASSIGN_OR_RETURN(st.epsilon, node.attr_float("epsilon", 1e-5f));
  EDGE_ASSIGN_OR_RETURN(int64_t training, node.attr_int("training_mode", 0));
  EDGE_ASSIGN_OR_RETURN(int64_t spatial, node.attr_int("spatial", 1));
  st.spatial = node.opset >= 9 || spatial != 0;
  if (!(st.epsilon >= 0)) return invalid_argument(str_cat(node.describe(), ": epsilon must be >= 0"));
  // Before opset 14 the extra outputs exist only in training; both forms need batch statistics.
  bool extra_outputs = false;
  for (size_t i = 1; i < node.outputs.size(); ++i) extra_outputs |= node.outputs[i] != nullptr;
  if (training != 0 || extra_outputs) {
    return unimplemented(str_cat(node.describe(), ": training mode (training_mode=1 or running-statistics outputs) "
                                 "is not supported; only inference is"));
  }
  return make_kernel(st, [](const BatchNormState& s, KernelContext& ctx) -> Status {
    EDGE_RETURN_IF_ERROR(check_all_same_dtype(ctx, 4));
    return dispatch<EDGE_FLOAT_TYPES>(ctx.input(0).dtype(), "input X",
                                      [&](auto tag) -> Status { return run_batch_norm<decltype(tag)>(s, ctx); });
  });
}

// ---- InstanceNormalization ----

// Mean and 1 / sqrt(variance + eps) of n values (population variance).
template <typename T>
std::pair<double, double> moments(const T* v, int64_t n, double epsilon) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += v[i];
  const double mean = n > 0 ? sum / static_cast<double>(n) : 0.0;
  double sq = 0;
  for (int64_t i = 0; i < n; ++i) sq += (v[i] - mean) * (v[i] - mean);
  const double var = n > 0 ? sq / static_cast<double>(n) : 0.0;
  return {mean, 1.0 / std::sqrt(var + epsilon)};
}

template <typename T>
Status run_instance_norm(float epsilon, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  EDGE_RETURN_IF_ERROR(check_dims_bounded(x, "input X"));
  if (x.rank() < 3) return invalid_argument(str_cat("input X must have rank >= 3 (N, C, spatial...), got rank ", x.rank()));
  const int64_t channels = x.dim(1);
  for (size_t i : {size_t{1}, size_t{2}}) {
    if (ctx.input(i).rank() != 1 || ctx.input(i).dim(0) != channels) {
      return invalid_argument(str_cat("input ", i == 1 ? "scale" : "B", " must be 1-D with ", channels, " values (C)"));
    }
  }
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), x.dims()));
  const int64_t inner = product(x.dims().begin() + 2, x.dims().end());
  for (int64_t plane = 0; plane < x.dim(0) * channels; ++plane) {
    const T* in = x.data<T>() + plane * inner;
    T* out = y->mutable_data<T>() + plane * inner;
    const auto [mean, inv_std] = moments(in, inner, epsilon);
    const double scale = ctx.input(1).data<T>()[plane % channels] * inv_std;
    const double shift = ctx.input(2).data<T>()[plane % channels];
    for (int64_t i = 0; i < inner; ++i) out[i] = static_cast<T>((in[i] - mean) * scale + shift);
  }
  return Status::ok();
}

Result<std::unique_ptr<Kernel>> make_instance_norm(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 3, 3));
  EDGE_ASSIGN_OR_RETURN(float epsilon, node.attr_float("epsilon", 1e-5f));
  if (!(epsilon >= 0)) return invalid_argument(str_cat(node.describe(), ": epsilon must be >= 0"));
  return make_kernel(epsilon, [](const float& eps, KernelContext& ctx) -> Status {
    EDGE_RETURN_IF_ERROR(check_all_same_dtype(ctx, 2));
    return dispatch<EDGE_FLOAT_TYPES>(ctx.input(0).dtype(), "input X",
                                      [&](auto tag) -> Status { return run_instance_norm<decltype(tag)>(eps, ctx); });
  });
}

// ---- LayerNormalization ----

struct LayerNormState {
  int64_t axis = -1;
  float epsilon = 1e-5f;
  DType stat_type = DType::kFloat32;  // Mean/InvStdDev dtype; from stash_type
  bool want_mean = false, want_inv_std = false;
};

// Offsets of a parameter (Scale or B) broadcast over the normalized shape X[axis:].
Result<std::vector<int64_t>> param_offsets(const Tensor& p, const Dims& norm_dims, const char* name) {
  Result<Dims> b = broadcast_dims(p.dims(), norm_dims);
  if (!b.is_ok() || *b != norm_dims) {
    return invalid_argument(str_cat("input ", name, " does not broadcast to the normalized shape X[axis:]"));
  }
  std::vector<int64_t> offsets;
  offsets.reserve(static_cast<size_t>(product(norm_dims.begin(), norm_dims.end())));
  const std::vector<int64_t> strides[1] = {broadcast_strides(p.dims(), norm_dims)};
  for_each_broadcast<1>(norm_dims, strides, [&](int64_t o) { offsets.push_back(o); });
  return offsets;
}

template <typename T, typename U>
Status run_layer_norm_typed(const LayerNormState& st, int64_t axis, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  EDGE_RETURN_IF_ERROR(check_dims_bounded(x, "input X"));
  const Dims norm_dims(x.dims().begin() + axis, x.dims().end());
  const int64_t cols = product(norm_dims.begin(), norm_dims.end());
  const int64_t rows = product(x.dims().begin(), x.dims().begin() + axis);
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> scale_at, param_offsets(ctx.input(1), norm_dims, "Scale"));
  std::vector<int64_t> bias_at;
  if (ctx.has_input(2)) {
    EDGE_ASSIGN_OR_RETURN(bias_at, param_offsets(ctx.input(2), norm_dims, "B"));
  }
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), x.dims()));
  Dims stat_dims = x.dims();
  std::fill(stat_dims.begin() + axis, stat_dims.end(), 1);
  U* mean_out = nullptr;
  U* inv_out = nullptr;
  if (st.want_mean) {
    EDGE_ASSIGN_OR_RETURN(Tensor * t, ctx.allocate_output(1, st.stat_type, stat_dims));
    mean_out = t->mutable_data<U>();
  }
  if (st.want_inv_std) {
    EDGE_ASSIGN_OR_RETURN(Tensor * t, ctx.allocate_output(2, st.stat_type, stat_dims));
    inv_out = t->mutable_data<U>();
  }
  const T* scale = ctx.input(1).data<T>();
  const T* bias = ctx.has_input(2) ? ctx.input(2).data<T>() : nullptr;
  for (int64_t r = 0; r < rows; ++r) {
    const T* in = x.data<T>() + r * cols;
    T* out = y->mutable_data<T>() + r * cols;
    const auto [mean, inv_std] = moments(in, cols, st.epsilon);
    for (int64_t c = 0; c < cols; ++c) {
      const size_t ci = static_cast<size_t>(c);
      double v = (in[c] - mean) * inv_std * scale[scale_at[ci]];
      if (bias != nullptr) v += bias[bias_at[ci]];
      out[c] = static_cast<T>(v);
    }
    if (mean_out != nullptr) mean_out[r] = static_cast<U>(mean);
    if (inv_out != nullptr) inv_out[r] = static_cast<U>(inv_std);
  }
  return Status::ok();
}

template <typename T>
Status run_layer_norm(const LayerNormState& st, KernelContext& ctx) {
  EDGE_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(st.axis, static_cast<int64_t>(ctx.input(0).rank())));
  if (st.stat_type == DType::kFloat64) return run_layer_norm_typed<T, double>(st, axis, ctx);
  return run_layer_norm_typed<T, float>(st, axis, ctx);
}

Result<std::unique_ptr<Kernel>> make_layer_norm(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, 3));
  LayerNormState st;
  EDGE_ASSIGN_OR_RETURN(st.axis, node.attr_int("axis", -1));
  EDGE_ASSIGN_OR_RETURN(st.epsilon, node.attr_float("epsilon", 1e-5f));
  EDGE_ASSIGN_OR_RETURN(int64_t stash, node.attr_int("stash_type", 1));
  if (!(st.epsilon >= 0)) return invalid_argument(str_cat(node.describe(), ": epsilon must be >= 0"));
  // stash_type is an ONNX TensorProto type: 1 = float, 11 = double; statistics use that type.
  if (stash != 1 && stash != 11) {
    return invalid_argument(str_cat(node.describe(), ": stash_type must be 1 (float) or 11 (double), got ", stash));
  }
  st.stat_type = stash == 11 ? DType::kFloat64 : DType::kFloat32;
  st.want_mean = node.outputs.size() > 1 && node.outputs[1] != nullptr;
  st.want_inv_std = node.outputs.size() > 2 && node.outputs[2] != nullptr;
  return make_kernel(st, [](const LayerNormState& s, KernelContext& ctx) -> Status {
    EDGE_RETURN_IF_ERROR(check_all_same_dtype(ctx, 2));
    return dispatch<EDGE_FLOAT_TYPES>(ctx.input(0).dtype(), "input X",
                                      [&](auto tag) -> Status { return run_layer_norm<decltype(tag)>(s, ctx); });
  });
}

// ---- LRN ----

struct LrnState {
  int64_t size = 1;
  float alpha = 1e-4f, beta = 0.75f, bias = 1.0f;
};

template <typename T>
Status run_lrn(const LrnState& st, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  EDGE_RETURN_IF_ERROR(check_dims_bounded(x, "input X"));
  if (x.rank() < 2) return invalid_argument(str_cat("input X must have rank >= 2 (N, C, ...), got rank ", x.rank()));
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), x.dims()));
  const int64_t channels = x.dim(1);
  const int64_t inner = product(x.dims().begin() + 2, x.dims().end());
  // The window over channels is [c - floor((size-1)/2), c + ceil((size-1)/2)].
  const int64_t before = (st.size - 1) / 2;
  const int64_t after = st.size - 1 - before;
  const double coeff = static_cast<double>(st.alpha) / static_cast<double>(st.size);
  for (int64_t n = 0; n < x.dim(0); ++n) {
    const T* in = x.data<T>() + n * channels * inner;
    T* out = y->mutable_data<T>() + n * channels * inner;
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t lo = std::max<int64_t>(0, c - before);
      const int64_t hi = std::min(channels - 1, c + after);
      for (int64_t i = 0; i < inner; ++i) {
        double sq = 0;
        for (int64_t k = lo; k <= hi; ++k) sq += static_cast<double>(in[k * inner + i]) * in[k * inner + i];
        out[c * inner + i] = static_cast<T>(in[c * inner + i] / std::pow(st.bias + coeff * sq, static_cast<double>(st.beta)));
      }
    }
  }
  return Status::ok();
}

Result<std::unique_ptr<Kernel>> make_lrn(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  LrnState st;
  EDGE_ASSIGN_OR_RETURN(st.size, node.attr_int("size"));
  EDGE_ASSIGN_OR_RETURN(st.alpha, node.attr_float("alpha", 1e-4f));
  EDGE_ASSIGN_OR_RETURN(st.beta, node.attr_float("beta", 0.75f));
  EDGE_ASSIGN_OR_RETURN(st.bias, node.attr_float("bias", 1.0f));
  if (st.size < 1 || st.size > (int64_t{1} << 24)) {
    return invalid_argument(str_cat(node.describe(), ": size must be in [1, 2^24], got ", st.size));
  }
  return make_kernel(st, [](const LrnState& s, KernelContext& ctx) -> Status {
    return dispatch<EDGE_FLOAT_TYPES>(ctx.input(0).dtype(), "input X",
                                      [&](auto tag) -> Status { return run_lrn<decltype(tag)>(s, ctx); });
  });
}

// ---- MeanVarianceNormalization ----

// y = (x - mean) / (sqrt(variance) + 1e-9), statistics over `axes` (the ONNX function body).
template <typename T>
Status run_mvn(const std::vector<int64_t>& raw_axes, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  EDGE_RETURN_IF_ERROR(check_dims_bounded(x, "input X"));
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> axes, normalize_axes(raw_axes, static_cast<int64_t>(x.rank())));
  Dims stat_dims = x.dims();
  for (int64_t a : axes) stat_dims[static_cast<size_t>(a)] = 1;
  const int64_t count = x.num_elements() / std::max<int64_t>(1, product(stat_dims.begin(), stat_dims.end()));
  const std::vector<int64_t> strides[1] = {broadcast_strides(stat_dims, x.dims())};
  const size_t n_stats = static_cast<size_t>(product(stat_dims.begin(), stat_dims.end()));
  std::vector<double> mean(n_stats, 0.0), var(n_stats, 0.0);
  const T* in = x.data<T>();
  int64_t i = 0;
  for_each_broadcast<1>(x.dims(), strides, [&](int64_t o) { mean[static_cast<size_t>(o)] += in[i++]; });
  for (double& m : mean) m /= static_cast<double>(std::max<int64_t>(1, count));
  i = 0;
  for_each_broadcast<1>(x.dims(), strides, [&](int64_t o) {
    const double d = in[i++] - mean[static_cast<size_t>(o)];
    var[static_cast<size_t>(o)] += d * d;
  });
  for (double& v : var) v = std::sqrt(v / static_cast<double>(std::max<int64_t>(1, count))) + 1e-9;
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), x.dims()));
  T* out = y->mutable_data<T>();
  i = 0;
  for_each_broadcast<1>(x.dims(), strides, [&](int64_t o) {
    out[i] = static_cast<T>((in[i] - mean[static_cast<size_t>(o)]) / var[static_cast<size_t>(o)]);
    ++i;
  });
  return Status::ok();
}

Result<std::unique_ptr<Kernel>> make_mvn(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> axes, node.attr_ints("axes", std::vector<int64_t>{0, 2, 3}));
  return make_kernel(std::move(axes), [](const std::vector<int64_t>& a, KernelContext& ctx) -> Status {
    return dispatch<EDGE_FLOAT_TYPES>(ctx.input(0).dtype(), "input X",
                                      [&](auto tag) -> Status { return run_mvn<decltype(tag)>(a, ctx); });
  });
}

}  // namespace

std::vector<KernelEntry> norm_kernels() {
  return {
      {"BatchNormalization", make_batch_norm},
      {"InstanceNormalization", make_instance_norm},
      {"LayerNormalization", make_layer_norm, HalfMode::kAsFloat, "", 17},
      // The same op fused from a decomposed LayerNorm in a model older than opset 17.
      {"LayerNormalization", make_layer_norm, HalfMode::kAsFloat, "edgeserve", 1},
      {"LRN", make_lrn},
      {"MeanVarianceNormalization", make_mvn},
  };
}

}  // namespace edgeserve::ref
