// What the QDQ rewrite will do, decided from the graph alone (pure; no ranges needed): which
// nodes are quantized, which activation tensors get a QuantizeLinear/DequantizeLinear pair and
// whose range each pair uses (a Concat shares its output's range; MaxPool, Reshape and the
// other pass-through ops reuse their input's), and which constant inputs become int8 weights,
// int32 biases or uint8 constants.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/ir/graph.h"

namespace edgeserve::quant {

// Why a node the quantizer could quantize stays FP32.
// kSensitive: a first or last layer kept by QdqOptions::keep_ends_fp32 (sensitive_end_nodes).
// kCoarseInput: a depthwise conv whose input channels are too uneven for one scale (channel_spread.h).
// kFloatReaders: an average pool whose output only float nodes read (requantizing would only round).
enum class KeepReason { kExcludedByUser, kAccuracy, kSpeed, kSensitive, kCoarseInput, kFloatReaders };

struct QdqOptions {
  bool per_channel = false;
  std::map<std::string, KeepReason> keep_fp32;  // node name -> why it stays FP32
  // Keep the nodes of sensitive_end_nodes() FP32 (reason kSensitive) unless keep_fp32 names them.
  bool keep_ends_fp32 = false;
  // Activation tensors left unquantized (no pair; the quantized nodes reading them demoted).
  std::set<std::string> float_tensors;
};

enum class ConstRole {
  kWeight,      // int8 symmetric, per channel along `axis` or per tensor (axis -1)
  kBias,        // int32, scale = input scale x weight scale; `weight_input` names its weight
  kConstantU8,  // uint8 asymmetric with its own min/max (constant operands of Add, Mul, ...)
};

struct PlannedConst {
  const Node* node = nullptr;
  size_t input = 0;
  ConstRole role = ConstRole::kWeight;
  int64_t axis = -1;
  size_t activation_input = 0;  // kBias: the input whose scale multiplies the weight's
  size_t weight_input = 1;      // kBias: the weight input
};

struct QdqPlan {
  // Compute nodes quantized (Conv, MatMul, Gemm, Add, Mul, Concat, pools), in graph order.
  std::vector<const Node*> quantized;
  // Nodes that read and write quantized tensors without their own parameters: pass-through
  // ops, and activations folded into the node before them (Conv/Gemm/MatMul/Add followed by
  // Relu, Clip, LeakyRelu, HardSwish, HardSigmoid, Sigmoid or Tanh as the output's only
  // reader): the output pair goes after the activation.
  std::set<const Node*> passthrough;
  // Tensor -> the tensor whose calibrated range its Q/DQ pair uses (itself unless tied).
  std::map<std::string, std::string> activations;
  std::vector<PlannedConst> consts;
  // Quantized node name -> its activation inputs and the tensor standing for its output (the
  // accuracy guard measures the error each node adds between them).
  struct NodeTensors {
    std::vector<std::string> inputs;
    std::string output;
  };
  std::map<std::string, NodeTensors> tensors_of;
  // Convs whose output no quantized node reads: int8 weights, float input, output and bias.
  std::vector<const Node*> weight_only;
  // Tensor -> the lowest value its calibrated range keeps: tensors read only by Sigmoid and
  // SiLU (Mul(x, Sigmoid(x))), which flatten everything below kSigmoidInputFloor.
  std::map<std::string, float> range_floor;
  // Nodes the quantizer could have quantized but that stay FP32, with the reason.
  std::map<std::string, KeepReason> kept_fp32;
};

// Sigmoid(-8) = 3.4e-4 and SiLU(-8) = -2.7e-3: below a uint8 half-step of either output, so a
// range cut there loses nothing the activation keeps (YOLOX's SiLU inputs reach -115).
inline constexpr float kSigmoidInputFloor = -8.0f;

// `graph` must be finalized (topological order). Fails when a --exclude name is no node.
Result<QdqPlan> plan_qdq(const Graph& graph, const QdqOptions& options);

// The layers standard practice leaves FP32 because quantizing them alone costs most: a
// Conv/Gemm/MatMul reading a graph input (the first layer, on raw pixels), and the output end
// of the network: walking back from every graph output, each node met is taken until a
// Conv/Gemm/MatMul with constant weights, which is taken and ends that path (a classifier's
// last conv and the pooling after it; a detection head's final convs and the concats joining
// them). Only nodes plan_qdq could quantize are returned.
std::set<std::string> sensitive_end_nodes(const Graph& graph);

// The Sigmoid of a SiLU when `mul` is Mul(x, Sigmoid(x)) (ai.onnx, either operand order), else
// nullptr; x is the Sigmoid's input.
const Node* silu_sigmoid(const Node& mul);

// True for the op types plan_qdq quantizes (not the pass-through ones).
bool is_quantizable_op(const std::string& op_type);

}  // namespace edgeserve::quant
