// com.microsoft.QLinearConcat(y_scale, y_zero, (x, x_scale, x_zero)...) as a host step: each
// input is requantized through ONNX Runtime's 256-entry table (engine/ops/qlinear_math.h), or
// copied when its parameters equal the output's. Every input contributes one contiguous chunk per
// output row: rows are the dims before the axis in plain layout, or every pixel when the axis is
// the channel axis and the inputs arrive channels-last (the int8 convolutions' layout), which then
// stays channels-last without conversions.
#include <omp.h>

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

struct ConcatPart {
  int64_t chunk = 0;  // elements per row
  bool copy = true;
  std::array<uint8_t, 256> table{};  // raw bytes of T
};

template <typename T>
class QLinearConcatOp : public HostOp {
 public:
  QLinearConcatOp(std::vector<ConcatPart> parts, int64_t rows) : parts_(std::move(parts)), rows_(rows) {
    for (const ConcatPart& p : parts_) row_ += p.chunk;
  }
  void run(const StepArgs& args) const override {
    auto* y = static_cast<T*>(args.at(DNNL_ARG_DST).get_data_handle());
    int64_t column = 0;
    for (size_t k = 0; k < parts_.size(); ++k) {
      const ConcatPart& p = parts_[k];
      const T* x = static_cast<const T*>(args.at(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(k)).get_data_handle());
#pragma omp parallel for schedule(static) if (rows_ * p.chunk > 65536)
      for (int64_t r = 0; r < rows_; ++r) copy_row(p, x + r * p.chunk, y + r * row_ + column);
      column += p.chunk;
    }
  }

 private:
  static void copy_row(const ConcatPart& p, const T* src, T* dst) {
    if (p.copy) {
      std::memcpy(dst, src, static_cast<size_t>(p.chunk) * sizeof(T));
      return;
    }
    for (int64_t i = 0; i < p.chunk; ++i) dst[i] = static_cast<T>(p.table[static_cast<uint8_t>(src[i])]);
  }

  std::vector<ConcatPart> parts_;
  int64_t rows_ = 0, row_ = 0;
};

size_t num_parts(const Node& node) { return node.inputs.size() < 5 ? 0 : (node.inputs.size() - 2) / 3; }

bool claims_qlinear_concat(const Node& node) {
  const size_t n = num_parts(node);
  if (n == 0 || node.inputs.size() != 2 + 3 * n) return false;
  const DType t = value_type(node.inputs[2]);
  const int rank = static_rank(node.inputs[2]);
  auto axis = node.attr_int("axis", 0);
  if (!is_quantized_type(t) || rank < 1 || !axis.is_ok() || axis.value() < -rank || axis.value() >= rank) return false;
  if (!constant_scale(node, 0) || !constant_zero_point(node, 1, t)) return false;
  for (size_t k = 0; k < n; ++k) {
    const size_t i = 2 + 3 * k;
    if (!node.has_input(i) || value_type(node.inputs[i]) != t || static_rank(node.inputs[i]) != rank) return false;
    if (!constant_scale(node, i + 1) || !constant_zero_point(node, i + 2, t)) return false;
  }
  return true;
}
template <typename T>
ConcatPart make_part(const Node& node, size_t i, int64_t chunk, DType t) {
  ConcatPart p;
  p.chunk = chunk;
  const float xs = *constant_scale(node, i + 1), ys = *constant_scale(node, 0);
  const int32_t xz = *constant_zero_point(node, i + 2, t), yz = *constant_zero_point(node, 1, t);
  p.copy = xs == ys && xz == yz;
  const auto table = quantized_table<T>(xs, xz, ys, yz, [](float v) { return v; });
  for (size_t b = 0; b < 256; ++b) p.table[b] = static_cast<uint8_t>(table[b]);
  return p;
}

// The inputs' slots in `layout` (plain or channels-last) and their chunk sizes.
Status build_qlinear_concat(const Node& node, ProgramBuilder& b) {
  const DType t = value_type(node.inputs[2]);
  const memory::data_type type = dnnl_dtype(t);
  const size_t n = num_parts(node);
  const memory::dims first = b.dims_of(node.inputs[2]);
  const auto rank = static_cast<int64_t>(first.size());
  int64_t axis = node.attr_int("axis", 0).value();
  if (axis < 0) axis += rank;
  memory::dims out = first;
  out[static_cast<size_t>(axis)] = 0;
  bool channels_last = axis == 1 && rank >= 3;
  for (size_t k = 0; k < n; ++k) {
    const Value* x = node.inputs[2 + 3 * k];
    const memory::dims d = b.dims_of(x);
    for (int64_t j = 0; j < rank; ++j) {
      if (j != axis && d[static_cast<size_t>(j)] != first[static_cast<size_t>(j)]) {
        return invalid_argument(str_cat(node.describe(), ": input ", 2 + 3 * k, " ", dims_to_string(Dims(d.begin(), d.end())),
                                        " does not match ", dims_to_string(Dims(first.begin(), first.end())),
                                        " outside axis ", axis));
      }
    }
    out[static_cast<size_t>(axis)] += d[static_cast<size_t>(axis)];
    if (channels_last && !x->constant) {
      auto s = b.slot_of(x);
      channels_last = s.is_ok() && b.md(s.value()) == channels_last_md(d, type);
    }
  }
  int64_t rows = 1;
  for (int64_t j = 0; j < (channels_last ? rank : axis); ++j) {
    if (j != 1 || !channels_last) rows *= out[static_cast<size_t>(j)];
  }
  std::vector<ConcatPart> parts;
  std::vector<std::pair<int, int>> args;
  for (size_t k = 0; k < n; ++k) {
    const Value* x = node.inputs[2 + 3 * k];
    const memory::dims d = b.dims_of(x);
    const memory::desc want = channels_last ? channels_last_md(d, type) : plain_md(d, type);
    int slot = -1;
    if (x->constant) {
      EDGE_ASSIGN_OR_RETURN(slot, b.typed_constant_slot(x, want));
    } else {
      EDGE_ASSIGN_OR_RETURN(slot, b.slot_as(x, want, node));
    }
    int64_t total = 1;
    for (int64_t e : d) total *= e;
    const int64_t chunk = rows > 0 ? total / rows : 0;
    parts.push_back(t == DType::kUint8 ? make_part<uint8_t>(node, 2 + 3 * k, chunk, t)
                                       : make_part<int8_t>(node, 2 + 3 * k, chunk, t));
    args.emplace_back(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(k), slot);
  }
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(channels_last ? channels_last_md(out, type) : plain_md(out, type), node));
  args.emplace_back(DNNL_ARG_DST, dst);
  std::shared_ptr<const HostOp> op;
  if (t == DType::kUint8) {
    op = std::make_shared<QLinearConcatOp<uint8_t>>(std::move(parts), rows);
  } else {
    op = std::make_shared<QLinearConcatOp<int8_t>>(std::move(parts), rows);
  }
  b.add_host_step(std::move(op), std::move(args), node);
  b.define(node.outputs[0], dst);
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> qlinear_concat_ops() {
  return {CpuOp{"QLinearConcat", claims_qlinear_concat, build_qlinear_concat, "com.microsoft", 1, /*constant_input0=*/true}};
}

}  // namespace edgeserve::cpu
