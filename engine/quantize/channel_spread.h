// Depthwise convolutions whose input one int8 scale cannot carry. A depthwise output channel
// reads one input channel only, so an input channel much narrower than the tensor's range is
// quantized to a value or two and its output channel is lost outright; a regular convolution
// would mix it with the others. BatchNorm folding gives exactly those narrow channels large
// weights downstream (YOLOX-nano's stem: quantizing its output alone drops person-box F1 from
// 1.0 to 0.885; docs/quantize.md). Such convolutions stay FP32, which also keeps their input
// unquantized when nothing else reads it as int8; so does the SiLU producing that input, whose
// own input carries the same narrow channels.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/ir/graph.h"
#include "engine/quantize/calibrator.h"

namespace edgeserve::quant {

// An input channel spanning fewer quantization steps than this is "narrow".
inline constexpr double kNarrowChannelSteps = 2.0;
// A depthwise conv stays FP32 when at least 1/kNarrowChannelShare of its input channels are narrow.
inline constexpr int kNarrowChannelShare = 16;

struct CoarseInput {
  std::string tensor;   // the depthwise conv's activation input
  int narrow = 0;       // channels spanning < kNarrowChannelSteps steps of the tensor's scale
  int channels = 0;
  std::vector<std::string> silu_nodes;  // the Sigmoid and Mul of a SiLU producing `tensor`, if one does
  std::string silu_input;               // that SiLU's input
};

// Activation inputs of the depthwise convolutions (group > 1, one input channel per group,
// constant weights): the tensors whose per-channel ranges calibration must collect.
std::set<std::string> depthwise_conv_inputs(const Graph& graph);

// Depthwise conv node name -> its coarse input, by the tensor's calibrated range (method as in
// ranges_for) against its per-channel ranges. Tensors without channel ranges are skipped.
std::map<std::string, CoarseInput> coarse_depthwise_inputs(const Graph& graph, const StatsMap& stats,
                                                           CalibrationMethod method, double percentile);

}  // namespace edgeserve::quant
