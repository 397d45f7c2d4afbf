// The engine's intermediate representation: a Graph owns Values (tensors flowing between nodes,
// with their static type) and Nodes (operators). Only engine/onnx knows the ONNX protobufs; every
// later stage (passes, providers, runtime) works on this IR.
// Ownership: Graph owns all Nodes and Values; the raw pointers between them are non-owning and
// stay valid for the Graph's lifetime. A Graph is built once, then read concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "engine/ir/attribute.h"
#include "engine/ir/tensor.h"

namespace edgeserve {

class Node;

// One dimension of a static shape: a known size, a named symbol ("batch"), or unknown.
struct Dim {
  int64_t value = -1;  // >= 0 when known
  std::string symbol;  // set for symbolic dims, empty otherwise
  bool is_known() const { return value >= 0; }
  // Statically the same dim: equal numbers, or the same symbol when neither is known.
  bool same_as(const Dim& other) const {
    if (is_known() || other.is_known()) return value == other.value;
    return !symbol.empty() && symbol == other.symbol;
  }
};

// What a value holds: a tensor, a sequence of tensors, or an optional of either (ONNX's
// sequence_type and optional_type). For containers, dtype and dims describe the element tensor.
enum class ValueKind { kTensor, kSequence, kOptionalTensor, kOptionalSequence };

struct TensorType {
  DType dtype = DType::kUndefined;
  std::optional<std::vector<Dim>> dims;  // nullopt: rank unknown
  ValueKind kind = ValueKind::kTensor;
  // "float32[batch, 3, 224, 224]", "seq(float32[?])", "optional(seq(int64[3]))"
  std::string to_string() const;
  bool is_sequence() const { return kind == ValueKind::kSequence || kind == ValueKind::kOptionalSequence; }
  bool is_optional() const { return kind == ValueKind::kOptionalTensor || kind == ValueKind::kOptionalSequence; }
};

class Value {
 public:
  std::string name;
  TensorType type;
  Node* producer = nullptr;        // null for graph inputs and initializers
  std::vector<Node*> consumers;
  std::optional<Tensor> constant;  // initializer data, if this value is one
  int index = -1;                  // dense id for per-run slot arrays
};

class Node {
 public:
  std::string name;
  std::string op_type;
  std::string domain;              // "" is the default ai.onnx domain
  int64_t opset = 0;               // version of `domain` the model imports
  std::vector<Value*> inputs;      // nullptr marks an omitted optional input
  std::vector<Value*> outputs;     // nullptr marks an omitted optional output
  std::map<std::string, Attribute> attributes;
  // Control-flow nodes (If, Loop, Scan, SequenceMap): the last `implicit_inputs` entries of
  // `inputs` are outer-scope values their subgraphs read. The import appends them (and adds them
  // to each subgraph as trailing graph inputs), so that the executor orders, feeds and frees
  // them like any other input.
  size_t implicit_inputs = 0;

  // "node 'conv_1' (Conv, opset 13)" — the prefix of every error about this node.
  std::string describe() const;

  bool has_attr(const std::string& attr) const { return attributes.count(attr) != 0; }
  // Typed attribute getters: a missing attribute yields `fallback`, or an error naming the node
  // and attribute when there is none; an attribute of the wrong kind is always an error.
  Result<int64_t> attr_int(const std::string& attr, std::optional<int64_t> fallback = std::nullopt) const;
  Result<float> attr_float(const std::string& attr, std::optional<float> fallback = std::nullopt) const;
  Result<std::string> attr_string(const std::string& attr, std::optional<std::string> fallback = std::nullopt) const;
  Result<std::vector<int64_t>> attr_ints(const std::string& attr,
                                         std::optional<std::vector<int64_t>> fallback = std::nullopt) const;
  Result<std::vector<float>> attr_floats(const std::string& attr,
                                         std::optional<std::vector<float>> fallback = std::nullopt) const;
  Result<std::vector<std::string>> attr_strings(const std::string& attr,
                                                std::optional<std::vector<std::string>> fallback = std::nullopt) const;
  Result<Tensor> attr_tensor(const std::string& attr) const;
  // Number of inputs actually given (trailing omitted optionals excluded).
  size_t num_present_inputs() const;
  bool has_input(size_t i) const { return i < inputs.size() && inputs[i] != nullptr; }

 private:
  Result<const Attribute*> find_attr(const std::string& attr, AttrKind kind, bool required) const;
};

class Graph {
 public:
  std::string name;
  std::vector<Value*> inputs;   // true inputs, in declaration order (initializers excluded)
  std::vector<Value*> outputs;  // in declaration order

  // Returns the value named `name`, creating it on first use.
  Value* value(const std::string& name);
  Value* find_value(const std::string& name) const;
  // Whether `v` is one of the graph's outputs.
  bool is_output(const Value* v) const;
  Node* add_node(std::unique_ptr<Node> node);
  // Removes the nodes for which `pred` is true. Call finalize() afterwards.
  template <typename Pred>
  void remove_nodes_if(Pred pred) {
    std::erase_if(nodes_, [&](const std::unique_ptr<Node>& n) { return pred(*n); });
  }

  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  const std::vector<std::unique_ptr<Value>>& values() const { return values_; }

  // Links producers/consumers and orders nodes so every input is computed before use.
  // Fails, naming the node and tensor, on a cycle, a tensor produced twice, or a tensor that no
  // node, input or initializer provides.
  Status finalize();

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Value>> values_;
  std::unordered_map<std::string, Value*> by_name_;
};

// A loaded model: its graph plus the model-level metadata.
struct Model {
  int64_t ir_version = 0;
  std::string producer_name;
  std::map<std::string, int64_t> opsets;  // domain ("" = ai.onnx) -> version
  std::string path;                       // file it was loaded from, "" for bytes
  std::shared_ptr<Graph> graph;
};

}  // namespace edgeserve
