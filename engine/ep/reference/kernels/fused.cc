// edgeserve.FusedConv and edgeserve.FusedGemm, the nodes graph fusion produces: the optional
// input scaling (FusedConv input 4, multiplied into X with ONNX broadcasting), the plain Conv or
// Gemm kernel, then the optional residual sum (FusedConv input 3), then the activation — the
// definition the cpu provider's post-ops are tested against. And edgeserve.QLinearTable(X, Table):
// Y[i] = Table[raw byte of X[i]] for an int8/uint8 X and a [256] Table of Y's type (the lookups
// quantized elementwise ops become). And edgeserve.Gelu(X), the exact GELU
// x * 0.5 * (1 + erf(x / sqrt(2))) that GELU fusion makes of the Erf pattern where no Conv/Gemm
// can take it. And edgeserve.Attention(Q, Kt, V) = softmax(scale * Q @ Kt) @ V over the last two
// dims (attention fusion's node), accumulated in double: the oracle for the cpu provider's tiles.
#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"
#include "engine/ep/reference/reference_provider.h"
#include "engine/ops/attention_plan.h"
#include "engine/ops/fused_activation.h"

namespace edgeserve::ref {

namespace {

struct FusedState {
  std::shared_ptr<Node> base;          // the Conv/Gemm node the base kernel was built for
  std::shared_ptr<Kernel> base_kernel;
  std::string activation;              // "" = none
  std::vector<float> params;
  bool has_sum = false;
  bool has_bias = false;               // FusedMatMul input 2: N values added along the last dim
  std::shared_ptr<Node> scale;          // Mul(X, InputScale) when FusedConv has input 4
  std::shared_ptr<Kernel> scale_kernel;
};

constexpr size_t kSumInput = 3;
constexpr size_t kBiasInput = 2;  // FusedMatMul
constexpr size_t kScaleInput = 4;

// X * InputScale, through the reference Mul kernel.
Result<Tensor> scaled_input(const FusedState& st, KernelContext& ctx) {
  std::vector<const Tensor*> inputs = {&ctx.input(0), &ctx.input(kScaleInput)};
  std::vector<Tensor> outputs(1);
  KernelContext mul_ctx(*st.scale, inputs, &outputs, ctx.max_tensor_bytes());
  EDGE_RETURN_IF_ERROR(st.scale_kernel->run(mul_ctx));
  return std::move(outputs[0]);
}

Status add_sum(const Tensor& sum, Tensor& y) {
  if (sum.dims() != y.dims()) {
    return invalid_argument(str_cat("residual input has shape ", dims_to_string(sum.dims()), ", expected ",
                                    dims_to_string(y.dims())));
  }
  float* out = y.mutable_data<float>();
  const float* s = sum.data<float>();
  for (int64_t i = 0; i < y.num_elements(); ++i) out[i] += s[i];
  return Status::ok();
}

Status add_bias(const Tensor& bias, Tensor& y) {
  const int64_t n = bias.num_elements();
  if (bias.dtype() != DType::kFloat32 || y.rank() == 0 || y.dim(y.rank() - 1) != n) {
    return invalid_argument(str_cat("bias of ", n, " values does not match the output's last dim"));
  }
  float* out = y.mutable_data<float>();
  const float* b = bias.data<float>();
  for (int64_t i = 0; i < y.num_elements(); ++i) out[i] += b[i % n];
  return Status::ok();
}

Status run_fused(const FusedState& st, KernelContext& ctx) {
  std::vector<const Tensor*> inputs;
  for (size_t i = 0; i < st.base->inputs.size(); ++i) inputs.push_back(ctx.optional_input(i));
  Tensor scaled;
  if (st.scale_kernel) {
    EDGE_ASSIGN_OR_RETURN(scaled, scaled_input(st, ctx));
    inputs[0] = &scaled;
  }
  std::vector<Tensor> outputs(1);
  KernelContext base_ctx(*st.base, inputs, &outputs, ctx.max_tensor_bytes());
  EDGE_RETURN_IF_ERROR(st.base_kernel->run(base_ctx));
  Tensor y = std::move(outputs[0]);  // freshly allocated by the base kernel: ours to modify
  if (y.dtype() != DType::kFloat32) return invalid_argument("fused ops compute in float32");
  if (st.has_bias) EDGE_RETURN_IF_ERROR(add_bias(ctx.input(kBiasInput), y));
  if (st.has_sum) EDGE_RETURN_IF_ERROR(add_sum(ctx.input(kSumInput), y));
  if (!st.activation.empty()) {
    float* out = y.mutable_data<float>();
    for (int64_t i = 0; i < y.num_elements(); ++i) out[i] = apply_fused_activation(st.activation, st.params, out[i]);
  }
  ctx.set_output(0, std::move(y));
  return Status::ok();
}

Result<std::unique_ptr<Kernel>> make_fused(const Node& node, const char* base_op, size_t base_inputs) {
  // FusedConv: + residual sum, + input scale. FusedMatMul: + bias.
  const bool matmul = node.op_type == "FusedMatMul";
  const size_t max_inputs = node.op_type == "FusedConv" ? base_inputs + 2 : base_inputs + (matmul ? 1 : 0);
  EDGE_RETURN_IF_ERROR(check_arity(node, 2, max_inputs));
  FusedState st;
  st.base = std::make_shared<Node>(node);
  st.base->op_type = base_op;
  st.base->domain = "";
  st.base->opset = 13;  // the current semantics of Conv and Gemm (optional C)
  st.base->attributes.erase("activation");
  st.base->attributes.erase("activation_params");
  if (st.base->inputs.size() > base_inputs) st.base->inputs.resize(base_inputs);
  EDGE_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> base_kernel, ReferenceProvider().create_kernel(*st.base));
  st.base_kernel = std::move(base_kernel);
  EDGE_ASSIGN_OR_RETURN(st.activation, node.attr_string("activation", ""));
  EDGE_ASSIGN_OR_RETURN(st.params, node.attr_floats("activation_params", std::vector<float>{}));
  if (!st.activation.empty()) {
    Status ok = check_activation_params(st.activation, st.params);
    if (!ok.is_ok()) return ok.with_context(node.describe());
  }
  st.has_bias = matmul && node.has_input(kBiasInput);
  st.has_sum = !matmul && node.has_input(kSumInput);
  if (node.has_input(kScaleInput)) {
    st.scale = std::make_shared<Node>(node);
    st.scale->op_type = "Mul";
    st.scale->domain = "";
    st.scale->opset = 14;
    st.scale->attributes.clear();
    st.scale->inputs = {node.inputs[0], node.inputs[kScaleInput]};
    EDGE_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> mul, ReferenceProvider().create_kernel(*st.scale));
    st.scale_kernel = std::move(mul);
  }
  return make_kernel(std::move(st), run_fused);
}

Status run_table(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& table = ctx.input(1);
  if (x.dtype() != DType::kUint8 && x.dtype() != DType::kInt8) {
    return invalid_argument(str_cat("input 0 (X) must be uint8 or int8, got ", dtype_name(x.dtype())));
  }
  if ((table.dtype() != DType::kUint8 && table.dtype() != DType::kInt8) || table.num_elements() != 256) {
    return invalid_argument(str_cat("input 1 (Table) must hold 256 int8 or uint8 values, got ",
                                    table.num_elements(), " of ", dtype_name(table.dtype())));
  }
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, table.dtype(), x.dims()));
  const auto* in = static_cast<const uint8_t*>(x.raw_data());
  const auto* t = static_cast<const uint8_t*>(table.raw_data());
  auto* out = static_cast<uint8_t*>(y->mutable_raw_data());
  for (int64_t i = 0; i < x.num_elements(); ++i) out[i] = t[in[i]];
  return Status::ok();
}

// In double: the oracle for oneDNN's gelu_erf (the unfused pattern computes it in float steps).
template <typename T>
Status run_gelu_typed(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x.dtype(), x.dims()));
  const T* in = x.data<T>();
  T* out = y->mutable_data<T>();
  for (int64_t i = 0; i < x.num_elements(); ++i) {
    const double v = static_cast<double>(in[i]);
    out[i] = static_cast<T>(0.5 * v * (1.0 + std::erf(v / std::numbers::sqrt2)));
  }
  return Status::ok();
}

Status run_gelu(KernelContext& ctx) {
  return dispatch<EDGE_FLOAT_TYPES>(ctx.input(0).dtype(), "input X",
                                    [&](auto tag) -> Status { return run_gelu_typed<decltype(tag)>(ctx); });
}

// One output matrix: scores row by row in double, max subtracted before exp.
void attention_matrix(const AttentionPlan& p, double scale, const float* q, const float* kt, const float* v,
                      float* out) {
  std::vector<double> row(static_cast<size_t>(p.n));
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t j = 0; j < p.n; ++j) {
      double s = 0;
      for (int64_t k = 0; k < p.d; ++k) s += static_cast<double>(q[i * p.d + k]) * kt[k * p.n + j];
      row[j] = scale * s;
    }
    const double max = p.n == 0 ? 0.0 : *std::max_element(row.begin(), row.end());
    double sum = 0;
    for (double& x : row) sum += (x = std::exp(x - max));
    for (int64_t c = 0; c < p.dv; ++c) {
      double o = 0;
      for (int64_t j = 0; j < p.n; ++j) o += row[j] * v[j * p.dv + c];
      out[i * p.dv + c] = static_cast<float>(p.n == 0 ? 0.0 : o / sum);
    }
  }
}

Status run_attention(const float& scale, KernelContext& ctx) {
  const Tensor& q = ctx.input(0);
  const Tensor& kt = ctx.input(1);
  const Tensor& v = ctx.input(2);
  const char* names[] = {"input 0 (Q)", "input 1 (Kt)", "input 2 (V)"};
  for (size_t i = 0; i < 3; ++i) {
    if (ctx.input(i).dtype() != DType::kFloat32) {
      return unimplemented(str_cat(names[i], " of type ", dtype_name(ctx.input(i).dtype()), " is not float32"));
    }
  }
  EDGE_ASSIGN_OR_RETURN(AttentionPlan p, plan_attention(q.dims(), kt.dims(), v.dims()));
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DType::kFloat32, p.out_dims));
  float* out = y->mutable_data<float>();
  for (const auto& [oq, ok, ov] : attention_batch_offsets(p, q.dims(), kt.dims(), v.dims())) {
    attention_matrix(p, scale, q.data<float>() + oq, kt.data<float>() + ok, v.data<float>() + ov, out);
    out += p.m * p.dv;
  }
  return Status::ok();
}

Result<std::unique_ptr<Kernel>> make_attention(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 3, 3));
  EDGE_ASSIGN_OR_RETURN(float scale, node.attr_float("scale", 1.f));
  if (!std::isfinite(scale)) return invalid_argument(str_cat("attribute scale must be finite, got ", scale));
  return make_kernel(scale, run_attention);
}

}  // namespace

std::vector<KernelEntry> fused_kernels() {
  return {
      {"FusedConv", EDGE_FACTORY { return make_fused(node, "Conv", 3); }, HalfMode::kAsFloat, "edgeserve"},
      {"FusedGemm", EDGE_FACTORY { return make_fused(node, "Gemm", 3); }, HalfMode::kAsFloat, "edgeserve"},
      {"FusedMatMul", EDGE_FACTORY { return make_fused(node, "MatMul", 2); }, HalfMode::kAsFloat, "edgeserve"},
      {"QLinearTable", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 2, 2));
         return make_kernel(run_table);
       }, HalfMode::kNative, "edgeserve"},
      {"Gelu", EDGE_FACTORY {
         EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
         return make_kernel(run_gelu);
       }, HalfMode::kAsFloat, "edgeserve"},
      {"Attention", EDGE_FACTORY { return make_attention(node); }, HalfMode::kAsFloat, "edgeserve"},
  };
}

}  // namespace edgeserve::ref
