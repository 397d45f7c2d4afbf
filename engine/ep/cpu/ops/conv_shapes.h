// Convolution geometry in oneDNN's terms, shared by Conv/FusedConv (conv.cc) and QLinearConv
// (qlinear_conv.cc).
#pragma once

#include "oneapi/dnnl/dnnl.hpp"

#include "common/status.h"
#include "engine/ep/cpu/program_builder.h"
#include "engine/ir/graph.h"

namespace edgeserve::cpu {

struct ConvShapes {
  // weights are [G, O/G, I/G, k...] when grouped; dilates count the gaps (oneDNN's convention).
  dnnl::memory::dims src, weights, bias, dst, strides, dilates, pad_l, pad_r;
};

// The shapes for the node's current input dims; the weight is input `weight_input`.
Result<ConvShapes> conv_shapes(const Node& node, const ProgramBuilder& b, size_t weight_input = 1);

}  // namespace edgeserve::cpu
