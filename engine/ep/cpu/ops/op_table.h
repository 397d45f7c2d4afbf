// The cpu provider's op table. Each family file under ops/ exports its entries through one
// function declared here; op_table.cc lists the families explicitly, so the whole set of ops the
// provider claims is readable in one place.
//
// An entry's `claims` decides from the node alone (attributes, constant inputs, static dtypes and
// ranks) whether `build` will succeed for every input shape the static types allow; unclaimed
// nodes run on the reference provider. `build` adds the node's primitives to a ProgramBuilder
// for one concrete input-shape signature.
#pragma once

#include <vector>

#include "common/status.h"
#include "engine/ep/cpu/program_builder.h"
#include "engine/ir/graph.h"

namespace edgeserve::cpu {

using ClaimFn = bool (*)(const Node& node);
using BuildFn = Status (*)(const Node& node, ProgramBuilder& builder);

struct CpuOp {
  const char* op_type;
  ClaimFn claims;
  BuildFn build;
  const char* domain = "";  // "" = ai.onnx
  int min_opset = 1;
  // Input 0 may be a constant (QLinearConcat's first inputs are its output scale and zero point);
  // for every other op a constant input 0 leaves the node to the reference provider.
  bool constant_input0 = false;
};

std::vector<CpuOp> conv_ops();     // Conv, edgeserve.FusedConv
std::vector<CpuOp> pool_ops();     // MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool
std::vector<CpuOp> eltwise_ops();  // activations and unary math
std::vector<CpuOp> binary_ops();   // Add, Sub, Mul, Div, Max, Min with broadcasting
std::vector<CpuOp> concat_ops();   // Concat
std::vector<CpuOp> gemm_ops();     // Gemm with constant weights, edgeserve.FusedGemm
std::vector<CpuOp> matmul_ops();   // MatMul (both operands of rank >= 2), edgeserve.FusedMatMul
std::vector<CpuOp> view_ops();     // Identity, Dropout, Flatten, Reshape, Squeeze, Unsqueeze
std::vector<CpuOp> softmax_ops();  // Softmax, LogSoftmax
std::vector<CpuOp> attention_ops();  // edgeserve.Attention (softmax(scale * Q @ Kt) @ V)
std::vector<CpuOp> layout_ops();   // Slice, Transpose
std::vector<CpuOp> resize_ops();   // Resize (nearest, whole factors)
std::vector<CpuOp> normalization_ops();  // BatchNormalization (inference), LayerNormalization
std::vector<CpuOp> quantize_ops();       // QuantizeLinear, DequantizeLinear (one scale)
std::vector<CpuOp> qlinear_conv_ops();   // QLinearConv, QLinearMatMul (int8 primitives)
std::vector<CpuOp> qlinear_pool_ops();   // com.microsoft.QLinearGlobalAveragePool
std::vector<CpuOp> qlinear_binary_ops(); // com.microsoft.QLinearAdd, QLinearMul
std::vector<CpuOp> qlinear_table_ops();  // com.microsoft.QLinearSigmoid, QLinearLeakyRelu
std::vector<CpuOp> qlinear_concat_ops(); // com.microsoft.QLinearConcat
std::vector<CpuOp> qgemm_ops();          // com.microsoft.QGemm (int8 matmul with int32 bias)

// The entry for the node's op type, domain and opset, or null.
const CpuOp* find_cpu_op(const Node& node);

// Helpers shared by the claim functions.
bool is_float32(const Value* v);
// Rank from the static type, or -1 when unknown.
int static_rank(const Value* v);
// All present inputs and outputs float32 except inputs listed in `skip` (e.g. shape tensors).
bool float32_io(const Node& node, std::vector<size_t> skip = {});
bool is_constant_input(const Node& node, size_t i);

}  // namespace edgeserve::cpu
