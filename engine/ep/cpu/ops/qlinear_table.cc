// com.microsoft.QLinearSigmoid and QLinearLeakyRelu as 256-entry lookup tables built at compile
// time with ONNX Runtime's construction (engine/ops/qlinear_math.h), and edgeserve.QLinearTable
// (the table given: what passes/qlinear_table_fusion makes of them and of quantized SiLU), applied
// by a host step over the input's buffer in whatever layout it has (in place when nothing later
// reads the input): 64 lookups per AVX-512 VBMI step where the CPU has it.
#include <immintrin.h>
#include <omp.h>

#include <algorithm>

#include <array>
#include <cstring>
#include <memory>

#include "common/strings.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/ops/quant_params.h"
#include "engine/ops/qlinear_math.h"

namespace edgeserve::cpu {

namespace {

using dnnl::memory;

enum TableInput : size_t { kX = 0, kXScale, kXZero, kYScale, kYZero };

template <typename T>
using Table = std::array<T, 256>;

template <typename T>
void apply_scalar(const Table<T>& table, const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = table[static_cast<uint8_t>(x[i])];
}

// Two 128-entry permutes (index bit 6 picks the half inside each) and a blend on bit 7.
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void apply_vbmi(const uint8_t* table, const uint8_t* x,
                                                                       uint8_t* y, int64_t n) {
  const __m512i t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64);
  const __m512i t2 = _mm512_loadu_si512(table + 128), t3 = _mm512_loadu_si512(table + 192);
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512i idx = _mm512_loadu_si512(x + i);
    const __m512i low = _mm512_permutex2var_epi8(t0, idx, t1);
    const __m512i high = _mm512_permutex2var_epi8(t2, idx, t3);
    _mm512_storeu_si512(y + i, _mm512_mask_blend_epi8(_mm512_movepi8_mask(idx), low, high));
  }
  for (; i < n; ++i) y[i] = table[x[i]];
}

bool has_vbmi() {
  static const bool yes = __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512bw");
  return yes;
}

template <typename T>
void apply(const Table<T>& table, const T* x, T* y, int64_t n) {
  if (has_vbmi()) {
    apply_vbmi(reinterpret_cast<const uint8_t*>(table.data()), reinterpret_cast<const uint8_t*>(x),
               reinterpret_cast<uint8_t*>(y), n);
  } else {
    apply_scalar(table, x, y, n);
  }
}

template <typename T>
class TableOp : public HostOp {
 public:
  TableOp(Table<T> table, int64_t count) : table_(table), count_(count) {}
  void run(const StepArgs& args) const override {
    const T* x = static_cast<const T*>(args.at(DNNL_ARG_SRC).get_data_handle());
    T* y = static_cast<T*>(args.at(DNNL_ARG_DST).get_data_handle());
    constexpr int64_t kChunk = 16384;
    const int64_t chunks = (count_ + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (chunks > 1)
    for (int64_t k = 0; k < chunks; ++k) {
      const int64_t begin = k * kChunk;
      apply(table_, x + begin, y + begin, std::min(kChunk, count_ - begin));
    }
  }

 private:
  Table<T> table_;
  int64_t count_;
};

bool claims_table(const Node& node) {
  const DType t = value_type(node.inputs[kX]);
  if (!is_quantized_type(t) || static_rank(node.inputs[kX]) < 1) return false;
  if (node.domain == "edgeserve") {
    const Value* table = node.inputs.size() == 2 ? node.inputs[1] : nullptr;
    return table != nullptr && table->constant && table->constant->num_elements() == 256 &&
           table->constant->dtype() == t && value_type(node.outputs[0]) == t;
  }
  if (node.op_type == "QLinearLeakyRelu" && !node.attr_float("alpha", 0.01f).is_ok()) return false;
  return constant_scale(node, kXScale) && constant_zero_point(node, kXZero, t) && constant_scale(node, kYScale) &&
         constant_zero_point(node, kYZero, t);
}

template <typename T>
Result<Table<T>> node_table(const Node& node) {
  const DType t = value_type(node.inputs[kX]);
  if (node.domain == "edgeserve") {
    Table<T> table{};
    const auto* bytes = static_cast<const T*>(node.inputs[1]->constant->raw_data());
    std::copy(bytes, bytes + 256, table.begin());
    return table;
  }
  const float xs = *constant_scale(node, kXScale), ys = *constant_scale(node, kYScale);
  const int32_t xz = *constant_zero_point(node, kXZero, t), yz = *constant_zero_point(node, kYZero, t);
  if (node.op_type == "QLinearSigmoid") return quantized_table<T>(xs, xz, ys, yz, mlas_logistic);
  EDGE_ASSIGN_OR_RETURN(float alpha, node.attr_float("alpha", 0.01f));
  return quantized_table<T>(xs, xz, ys, yz, [alpha](float v) { return v >= 0.0f ? v : alpha * v; });
}

template <typename T>
Result<std::shared_ptr<const HostOp>> make_table_op(const Node& node, int64_t count) {
  EDGE_ASSIGN_OR_RETURN(Table<T> table, node_table<T>(node));
  return std::shared_ptr<const HostOp>(std::make_shared<TableOp<T>>(table, count));
}

Status build_table(const Node& node, ProgramBuilder& b) {
  const DType t = value_type(node.inputs[kX]);
  EDGE_ASSIGN_OR_RETURN(int src, b.slot_of(node.inputs[kX]));
  if (b.md(src).data.offset0 != 0) {
    EDGE_ASSIGN_OR_RETURN(src, b.plain_slot(node.inputs[kX], node));
  }
  const auto count = static_cast<int64_t>(b.md(src).get_size());  // one byte per element
  EDGE_ASSIGN_OR_RETURN(std::shared_ptr<const HostOp> op,
                        t == DType::kUint8 ? make_table_op<uint8_t>(node, count) : make_table_op<int8_t>(node, count));
  int dst = src;
  EDGE_ASSIGN_OR_RETURN(int own, b.slot_of(node.inputs[kX]));
  if (own != src || !b.can_overwrite(node.inputs[kX], node)) {
    EDGE_ASSIGN_OR_RETURN(dst, b.new_slot(b.md(src), node));
  }
  b.add_host_step(std::move(op), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}, node);
  b.define(node.outputs[0], dst);
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> qlinear_table_ops() {
  return {CpuOp{"QLinearSigmoid", claims_table, build_table, "com.microsoft", 1},
          CpuOp{"QLinearLeakyRelu", claims_table, build_table, "com.microsoft", 1},
          CpuOp{"QLinearTable", claims_table, build_table, "edgeserve", 1}};
}

}  // namespace edgeserve::cpu
