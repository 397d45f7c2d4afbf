// Graph construction, attribute access and topological ordering.
#include "engine/ir/graph.h"

#include <algorithm>
#include <queue>
#include <unordered_set>

#include "common/strings.h"

namespace edgeserve {

const char* attr_kind_name(AttrKind k) {
  switch (k) {
    case AttrKind::kFloat: return "float";
    case AttrKind::kInt: return "int";
    case AttrKind::kString: return "string";
    case AttrKind::kTensor: return "tensor";
    case AttrKind::kGraph: return "graph";
    case AttrKind::kFloats: return "floats";
    case AttrKind::kInts: return "ints";
    case AttrKind::kStrings: return "strings";
    case AttrKind::kTensors: return "tensors";
    case AttrKind::kGraphs: return "graphs";
    case AttrKind::kType: return "type";
  }
  return "unknown";
}

std::string TensorType::to_string() const {
  std::string s = dtype_name(dtype);
  if (!dims) {
    s += "[?]";
  } else {
    s += "[";
    for (size_t i = 0; i < dims->size(); ++i) {
      if (i) s += ", ";
      const Dim& d = (*dims)[i];
      s += d.is_known() ? std::to_string(d.value) : (d.symbol.empty() ? "?" : d.symbol);
    }
    s += "]";
  }
  if (is_sequence()) s = "seq(" + s + ")";
  return is_optional() ? "optional(" + s + ")" : s;
}

std::string Node::describe() const {
  std::string op = domain.empty() ? op_type : domain + "." + op_type;
  return str_cat("node '", name, "' (", op, ", opset ", opset, ")");
}

Result<const Attribute*> Node::find_attr(const std::string& attr, AttrKind kind, bool required) const {
  auto it = attributes.find(attr);
  if (it == attributes.end()) {
    if (required) return invalid_argument(str_cat(describe(), ": required attribute '", attr, "' is missing"));
    return static_cast<const Attribute*>(nullptr);
  }
  if (it->second.kind != kind) {
    return invalid_argument(str_cat(describe(), ": attribute '", attr, "' is ", attr_kind_name(it->second.kind),
                                    ", expected ", attr_kind_name(kind)));
  }
  return &it->second;
}

Result<int64_t> Node::attr_int(const std::string& attr, std::optional<int64_t> fallback) const {
  EDGE_ASSIGN_OR_RETURN(const Attribute* a, find_attr(attr, AttrKind::kInt, !fallback));
  return a ? a->i : *fallback;
}

Result<float> Node::attr_float(const std::string& attr, std::optional<float> fallback) const {
  EDGE_ASSIGN_OR_RETURN(const Attribute* a, find_attr(attr, AttrKind::kFloat, !fallback));
  return a ? a->f : *fallback;
}

Result<std::string> Node::attr_string(const std::string& attr, std::optional<std::string> fallback) const {
  EDGE_ASSIGN_OR_RETURN(const Attribute* a, find_attr(attr, AttrKind::kString, !fallback));
  return a ? a->s : *fallback;
}

Result<std::vector<int64_t>> Node::attr_ints(const std::string& attr,
                                             std::optional<std::vector<int64_t>> fallback) const {
  EDGE_ASSIGN_OR_RETURN(const Attribute* a, find_attr(attr, AttrKind::kInts, !fallback));
  return a ? a->ints : *fallback;
}

Result<std::vector<float>> Node::attr_floats(const std::string& attr,
                                             std::optional<std::vector<float>> fallback) const {
  EDGE_ASSIGN_OR_RETURN(const Attribute* a, find_attr(attr, AttrKind::kFloats, !fallback));
  return a ? a->floats : *fallback;
}

Result<std::vector<std::string>> Node::attr_strings(const std::string& attr,
                                                    std::optional<std::vector<std::string>> fallback) const {
  EDGE_ASSIGN_OR_RETURN(const Attribute* a, find_attr(attr, AttrKind::kStrings, !fallback));
  return a ? a->strings : *fallback;
}

Result<Tensor> Node::attr_tensor(const std::string& attr) const {
  EDGE_ASSIGN_OR_RETURN(const Attribute* a, find_attr(attr, AttrKind::kTensor, true));
  return a->t;
}

size_t Node::num_present_inputs() const {
  size_t n = inputs.size();
  while (n > 0 && inputs[n - 1] == nullptr) --n;
  return n;
}

Value* Graph::value(const std::string& value_name) {
  auto it = by_name_.find(value_name);
  if (it != by_name_.end()) return it->second;
  auto v = std::make_unique<Value>();
  v->name = value_name;
  v->index = static_cast<int>(values_.size());
  Value* raw = v.get();
  values_.push_back(std::move(v));
  by_name_.emplace(value_name, raw);
  return raw;
}

Value* Graph::find_value(const std::string& value_name) const {
  auto it = by_name_.find(value_name);
  return it == by_name_.end() ? nullptr : it->second;
}

bool Graph::is_output(const Value* v) const { return std::find(outputs.begin(), outputs.end(), v) != outputs.end(); }

Node* Graph::add_node(std::unique_ptr<Node> node) {
  nodes_.push_back(std::move(node));
  return nodes_.back().get();
}

Status Graph::finalize() {
  for (auto& v : values_) {
    v->producer = nullptr;
    v->consumers.clear();
  }
  for (auto& n : nodes_) {
    for (Value* out : n->outputs) {
      if (out == nullptr) continue;
      if (out->producer != nullptr || out->constant) {
        return invalid_argument(str_cat(n->describe(), ": output '", out->name,
                                        "' is already produced by another node or initializer"));
      }
      out->producer = n.get();
    }
  }
  std::unordered_set<const Value*> graph_inputs(inputs.begin(), inputs.end());
  // Kahn's algorithm, stable with respect to file order.
  std::unordered_map<const Node*, int> pending;
  std::vector<Node*> ready;
  for (auto& n : nodes_) {
    int deps = 0;
    for (Value* in : n->inputs) {
      if (in == nullptr) continue;
      in->consumers.push_back(n.get());
      if (in->producer != nullptr) {
        ++deps;
      } else if (!in->constant && !graph_inputs.count(in)) {
        return invalid_argument(str_cat(n->describe(), ": input '", in->name,
                                        "' is not a graph input, an initializer or any node's output"));
      }
    }
    pending[n.get()] = deps;
  }
  std::queue<Node*> queue;
  for (auto& n : nodes_) {
    if (pending[n.get()] == 0) queue.push(n.get());
  }
  std::vector<Node*> order;
  while (!queue.empty()) {
    Node* n = queue.front();
    queue.pop();
    order.push_back(n);
    for (Value* out : n->outputs) {
      if (out == nullptr) continue;
      for (Node* c : out->consumers) {
        if (--pending[c] == 0) queue.push(c);
      }
    }
  }
  if (order.size() != nodes_.size()) {
    for (auto& n : nodes_) {
      if (pending[n.get()] > 0) return invalid_argument(str_cat(n->describe(), ": is part of a cycle"));
    }
  }
  std::unordered_map<const Node*, size_t> position;
  for (size_t i = 0; i < order.size(); ++i) position[order[i]] = i;
  std::sort(nodes_.begin(), nodes_.end(),
            [&](const auto& a, const auto& b) { return position[a.get()] < position[b.get()]; });
  for (Value* out : outputs) {
    if (out->producer == nullptr && !out->constant && !graph_inputs.count(out)) {
      return invalid_argument(str_cat("graph output '", out->name, "' is not produced by any node"));
    }
  }
  return Status::ok();
}

}  // namespace edgeserve
