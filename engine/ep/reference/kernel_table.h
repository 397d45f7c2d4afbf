// The reference provider's kernel table. Each kernel family (a file under kernels/) exports its
// entries through one function declared here, and kernel_table.cc lists every family
// explicitly: the whole set of supported ops is readable in one place.
#pragma once

#include <memory>
#include <vector>

#include "common/status.h"
#include "engine/ep/kernel.h"
#include "engine/ir/graph.h"

namespace edgeserve::ref {

using KernelFactory = Result<std::unique_ptr<Kernel>> (*)(const Node& node);

// How a kernel treats float16/bfloat16 tensors.
enum class HalfMode {
  kNative,   // handles them itself (type-agnostic data movement, Cast, ...)
  kAsFloat,  // computes in float32: half inputs are widened and float32 outputs narrowed back
};

struct KernelEntry {
  const char* op_type;
  KernelFactory create;
  HalfMode half = HalfMode::kAsFloat;
  const char* domain = "";  // "" = ai.onnx
  int min_opset = 1;        // first opset of `domain` whose semantics the kernel implements
};

// Kernel families, one per file under kernels/.
std::vector<KernelEntry> elementwise_kernels();   // unary math, activations
std::vector<KernelEntry> binary_kernels();        // broadcasting binary/variadic math, logic, Where
std::vector<KernelEntry> reduce_kernels();        // Reduce*, ArgMax/ArgMin
std::vector<KernelEntry> softmax_kernels();       // Softmax, LogSoftmax, Hardmax
std::vector<KernelEntry> conv_kernels();          // Conv, ConvTranspose
std::vector<KernelEntry> pool_kernels();          // Max/Average/Lp pooling, global pooling
std::vector<KernelEntry> matmul_kernels();        // MatMul, Gemm, MatMulInteger
std::vector<KernelEntry> einsum_kernels();        // Einsum
std::vector<KernelEntry> norm_kernels();          // BatchNorm, InstanceNorm, LayerNorm, LRN, MVN
std::vector<KernelEntry> shape_kernels();         // Reshape, Squeeze, Concat, Split, Slice, ...
std::vector<KernelEntry> layout_kernels();        // Transpose, Pad, Tile, Expand, DepthToSpace, ...
std::vector<KernelEntry> gather_kernels();        // Gather*, Scatter*
std::vector<KernelEntry> generator_kernels();     // Range, ConstantOfShape, EyeLike, OneHot, ...
std::vector<KernelEntry> resize_kernels();        // Resize, Upsample
std::vector<KernelEntry> misc_kernels();          // Cast, CumSum, TopK, NonZero, ...
std::vector<KernelEntry> quantize_kernels();      // QuantizeLinear, DequantizeLinear
std::vector<KernelEntry> qlinear_kernels();       // QLinearConv, QLinearMatMul, ConvInteger, ..., com.microsoft QLinear*
std::vector<KernelEntry> qgemm_kernels();         // com.microsoft QGemm
std::vector<KernelEntry> fused_kernels();         // edgeserve.FusedConv, edgeserve.FusedGemm (graph fusion)
std::vector<KernelEntry> loss_kernels();          // NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss
std::vector<KernelEntry> detection_kernels();     // NonMaxSuppression, RoiAlign, MaxUnpool, GridSample, ReverseSequence
std::vector<KernelEntry> recurrent_kernels();     // RNN, GRU, LSTM
std::vector<KernelEntry> signal_kernels();        // DFT, STFT, window functions, MelWeightMatrix
std::vector<KernelEntry> text_kernels();          // StringNormalizer, TfIdfVectorizer
std::vector<KernelEntry> sequence_kernels();      // Sequence*, SplitToSequence, ConcatFromSequence, Optional*
std::vector<KernelEntry> random_kernels();        // RandomUniform(Like), RandomNormal(Like), Bernoulli, Multinomial

// All entries, concatenated from the families above.
const std::vector<KernelEntry>& all_kernels();

}  // namespace edgeserve::ref
