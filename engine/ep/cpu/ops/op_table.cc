// The explicit list of cpu op families and the claim helpers they share.
#include "engine/ep/cpu/ops/op_table.h"

#include <algorithm>
#include <string>

namespace edgeserve::cpu {

namespace {

std::vector<CpuOp> all_ops() {
  std::vector<CpuOp> table;
  for (auto family : {conv_ops, pool_ops, eltwise_ops, binary_ops, concat_ops, gemm_ops, view_ops, softmax_ops,
                      attention_ops, layout_ops, resize_ops, matmul_ops, normalization_ops, quantize_ops, qlinear_conv_ops,
                      qlinear_pool_ops, qlinear_binary_ops, qlinear_table_ops,
                      qlinear_concat_ops, qgemm_ops}) {
    std::vector<CpuOp> ops = family();
    table.insert(table.end(), ops.begin(), ops.end());
  }
  return table;
}

}  // namespace

const CpuOp* find_cpu_op(const Node& node) {
  static const std::vector<CpuOp> table = all_ops();
  for (const CpuOp& op : table) {
    if (node.op_type == op.op_type && node.domain == op.domain && node.opset >= op.min_opset) return &op;
  }
  return nullptr;
}

bool is_float32(const Value* v) { return v != nullptr && v->type.dtype == DType::kFloat32; }

int static_rank(const Value* v) {
  if (v == nullptr) return -1;
  if (v->constant) return static_cast<int>(v->constant->rank());
  return v->type.dims ? static_cast<int>(v->type.dims->size()) : -1;
}

bool float32_io(const Node& node, std::vector<size_t> skip) {
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (node.inputs[i] == nullptr || std::count(skip.begin(), skip.end(), i)) continue;
    if (!is_float32(node.inputs[i])) return false;
  }
  return std::all_of(node.outputs.begin(), node.outputs.end(),
                     [](const Value* v) { return v == nullptr || is_float32(v); });
}

bool is_constant_input(const Node& node, size_t i) {
  return node.has_input(i) && node.inputs[i]->constant.has_value();
}

}  // namespace edgeserve::cpu
