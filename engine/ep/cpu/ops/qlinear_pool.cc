// com.microsoft.QLinearGlobalAveragePool as a host step, with ONNX Runtime's integer semantics:
// per (sample, channel) acc = sum(x) - x_zero * image_size in int32, then
// y = saturate(round_half_even(float(acc) * (x_scale / (y_scale * image_size))) + y_zero).
// oneDNN's average pooling divides in its own order, so it cannot reproduce these bits. Reads
// channels-last (the int8 convolutions' layout) or plain NCHW; any other layout is converted.
#include <omp.h>

#include <cmath>
#include <limits>
#include <memory>

#include "common/strings.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/ops/quant_params.h"

namespace edgeserve::cpu {

namespace {

using dnnl::memory;

enum PoolInput : size_t { kX = 0, kXScale, kXZero, kYScale, kYZero };

struct PoolParams {
  int64_t batch = 0, channels = 0, image = 0;
  bool channels_last = false;
  float scale = 1.f;  // x_scale / (y_scale * image)
  int32_t x_zero = 0, y_zero = 0;
};

template <typename T>
class GlobalAveragePoolOp : public HostOp {
 public:
  explicit GlobalAveragePoolOp(PoolParams p) : p_(p) {}

  void run(const StepArgs& args) const override {
    const T* x = static_cast<const T*>(args.at(DNNL_ARG_SRC).get_data_handle());
    T* y = static_cast<T*>(args.at(DNNL_ARG_DST).get_data_handle());
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < p_.batch; ++n) {
      const T* xn = x + n * p_.channels * p_.image;
      T* yn = y + n * p_.channels;
      if (p_.channels_last) {
        pool_channels_last(xn, yn);
      } else {
        for (int64_t c = 0; c < p_.channels; ++c) {
          int32_t sum = 0;
          for (int64_t i = 0; i < p_.image; ++i) sum += xn[c * p_.image + i];
          yn[c] = requantize(sum);
        }
      }
    }
  }

 private:
  void pool_channels_last(const T* x, T* y) const {
    std::unique_ptr<int32_t[]> sums(new int32_t[static_cast<size_t>(p_.channels)]());
    for (int64_t i = 0; i < p_.image; ++i) {
      const T* row = x + i * p_.channels;
      for (int64_t c = 0; c < p_.channels; ++c) sums[c] += row[c];
    }
    for (int64_t c = 0; c < p_.channels; ++c) y[c] = requantize(sums[c]);
  }

  T requantize(int32_t sum) const {
    const int32_t acc = sum - p_.x_zero * static_cast<int32_t>(p_.image);
    const float v = std::nearbyint(static_cast<float>(acc) * p_.scale) + static_cast<float>(p_.y_zero);
    constexpr float lo = std::numeric_limits<T>::lowest();
    constexpr float hi = std::numeric_limits<T>::max();
    return static_cast<T>(v < lo ? lo : (v > hi ? hi : v));
  }

  PoolParams p_;
};

bool claims_qlinear_gap(const Node& node) {
  const int rank = static_rank(node.inputs[kX]);
  const DType t = value_type(node.inputs[kX]);
  if (rank < 3 || !is_quantized_type(t) || value_type(node.outputs[0]) != t) return false;
  auto last = node.attr_int("channels_last", 0);
  if (!last.is_ok() || last.value() != 0) return false;  // NCHW semantics only
  return constant_scale(node, kXScale) && constant_zero_point(node, kXZero, t) && constant_scale(node, kYScale) &&
         constant_zero_point(node, kYZero, t);
}

Status build_qlinear_gap(const Node& node, ProgramBuilder& b) {
  const DType t = value_type(node.inputs[kX]);
  EDGE_ASSIGN_OR_RETURN(int src, b.slot_of(node.inputs[kX]));
  const memory::dims dims = b.md(src).dims();
  const memory::desc last = channels_last_md(dims, dnnl_dtype(t));
  const bool is_last = b.md(src) == last;
  if (!is_last) {
    EDGE_ASSIGN_OR_RETURN(src, b.plain_slot(node.inputs[kX], node));
  }
  PoolParams p;
  p.batch = dims[0];
  p.channels = dims[1];
  p.image = 1;
  for (size_t i = 2; i < dims.size(); ++i) p.image *= dims[i];
  // 255 * image_size must fit the int32 accumulator.
  if (p.image <= 0 || p.image >= (int64_t{1} << 23)) {
    return invalid_argument(str_cat(node.describe(), ": image of ", p.image, " elements is out of range"));
  }
  p.channels_last = is_last;
  p.scale = *constant_scale(node, kXScale) / (*constant_scale(node, kYScale) * static_cast<float>(p.image));
  p.x_zero = *constant_zero_point(node, kXZero, t);
  p.y_zero = *constant_zero_point(node, kYZero, t);
  memory::dims out = {dims[0], dims[1]};
  out.insert(out.end(), dims.size() - 2, 1);
  EDGE_ASSIGN_OR_RETURN(int dst, b.new_slot(plain_md(out, dnnl_dtype(t)), node));
  std::shared_ptr<const HostOp> op;
  if (t == DType::kUint8) {
    op = std::make_shared<GlobalAveragePoolOp<uint8_t>>(p);
  } else {
    op = std::make_shared<GlobalAveragePoolOp<int8_t>>(p);
  }
  b.add_host_step(std::move(op), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}, node);
  b.define(node.outputs[0], dst);
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> qlinear_pool_ops() {
  return {CpuOp{"QLinearGlobalAveragePool", claims_qlinear_gap, build_qlinear_gap, "com.microsoft", 1}};
}

}  // namespace edgeserve::cpu
