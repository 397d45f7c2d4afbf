// The explicit list of kernel families.
#include "engine/ep/reference/kernel_table.h"

namespace edgeserve::ref {

const std::vector<KernelEntry>& all_kernels() {
  static const std::vector<KernelEntry> table = [] {
    std::vector<KernelEntry> all;
    for (auto family : {elementwise_kernels, binary_kernels, reduce_kernels, softmax_kernels, conv_kernels,
                        pool_kernels, matmul_kernels, einsum_kernels, norm_kernels, shape_kernels, layout_kernels,
                        gather_kernels, generator_kernels, resize_kernels, misc_kernels, quantize_kernels,
                        qlinear_kernels, qgemm_kernels, fused_kernels, loss_kernels, detection_kernels,
                        recurrent_kernels, signal_kernels, text_kernels, sequence_kernels,
                        random_kernels}) {
      for (const KernelEntry& e : family()) all.push_back(e);
    }
    return all;
  }();
  return table;
}

}  // namespace edgeserve::ref
