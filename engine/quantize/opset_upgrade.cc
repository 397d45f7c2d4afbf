// ai.onnx opset upgrade to 13 (see opset_upgrade.h).
#include "engine/quantize/opset_upgrade.h"

#include <algorithm>
#include <limits>
#include <set>

#include "common/strings.h"

namespace edgeserve::quant {

namespace {

Value* add_const(Graph& g, const Node& n, const std::string& what, Tensor t) {
  std::string name = str_cat(n.name, "_", what);
  for (int i = 1; g.find_value(name) != nullptr; ++i) name = str_cat(n.name, "_", what, "_", i);
  Value* v = g.value(name);
  std::vector<Dim> dims;
  for (int64_t d : t.dims()) dims.push_back(Dim{d, ""});
  v->type = TensorType{t.dtype(), dims};
  v->constant = std::move(t);
  return v;
}

void set_input(Node& n, size_t i, Value* v) {
  if (n.inputs.size() <= i) n.inputs.resize(i + 1, nullptr);
  n.inputs[i] = v;
}

// Moves an ints attribute into input `i` as a 1-D int64 constant.
void ints_attr_to_input(Graph& g, Node& n, const std::string& attr, size_t i) {
  auto it = n.attributes.find(attr);
  if (it == n.attributes.end()) return;
  const std::vector<int64_t> v = it->second.ints;
  set_input(n, i, add_const(g, n, attr, Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v)));
  n.attributes.erase(it);
}

void float_attr_to_input(Graph& g, Node& n, const std::string& attr, size_t i) {
  auto it = n.attributes.find(attr);
  if (it == n.attributes.end()) return;
  set_input(n, i, add_const(g, n, attr, Tensor::scalar<float>(it->second.f)));
  n.attributes.erase(it);
}

// Softmax before 13 flattens to 2-D at `axis`; from 13 it normalises along `axis` alone. The
// two agree when `axis` is the last dim or every later dim is 1.
Status upgrade_softmax(Node& n) {
  const auto& dims = n.inputs[0]->type.dims;
  if (!dims) return unimplemented(str_cat(n.describe(), ": input rank unknown, cannot move to opset 13"));
  const int64_t rank = static_cast<int64_t>(dims->size());
  EDGE_ASSIGN_OR_RETURN(int64_t axis, n.attr_int("axis", 1));
  if (axis < 0) axis += rank;
  for (int64_t d = axis + 1; d < rank; ++d) {
    if ((*dims)[static_cast<size_t>(d)].value != 1) {
      return unimplemented(str_cat(n.describe(), ": softmax over several axes has no opset-13 equivalent here;"
                                                 " re-export the model at opset >= 13"));
    }
  }
  n.attributes["axis"] = Attribute::of_int(axis);
  return Status::ok();
}

Status upgrade_node(Graph& g, Node& n) {
  const std::string& op = n.op_type;
  const int64_t v = n.opset;
  if (op == "Softmax" || op == "LogSoftmax" || op == "Hardmax") return upgrade_softmax(n);
  if (op == "Clip" && v < 11) {
    if (!n.has_attr("min") && n.has_attr("max")) {
      n.attributes["min"].kind = AttrKind::kFloat;
      n.attributes["min"].f = -std::numeric_limits<float>::infinity();
    }
    float_attr_to_input(g, n, "min", 1);
    float_attr_to_input(g, n, "max", 2);
  } else if ((op == "Squeeze" || op == "Unsqueeze" || op == "ReduceSum") && v < 13) {
    ints_attr_to_input(g, n, "axes", 1);
  } else if (op == "Split" && v < 13) {
    ints_attr_to_input(g, n, "split", 1);
  } else if (op == "Pad" && v < 11) {
    ints_attr_to_input(g, n, "pads", 1);
    float_attr_to_input(g, n, "value", 2);
  } else if (op == "Slice" && v < 10) {
    ints_attr_to_input(g, n, "starts", 1);
    ints_attr_to_input(g, n, "ends", 2);
    ints_attr_to_input(g, n, "axes", 3);
  } else if (op == "Dropout" && v < 12) {
    float_attr_to_input(g, n, "ratio", 1);
  } else if (op == "BatchNormalization" && v < 9) {
    EDGE_ASSIGN_OR_RETURN(int64_t spatial, n.attr_int("spatial", 1));
    if (spatial != 1) return unimplemented(str_cat(n.describe(), ": spatial=0 has no opset-13 equivalent"));
    n.attributes.erase("spatial");
  } else {
    static const std::set<std::string> kRefused = {"Upsample", "Scatter", "If", "Loop", "Scan"};
    if (kRefused.count(op) || (op == "Resize" && v < 11) || (op == "TopK" && v < 10)) {
      return unimplemented(str_cat(n.describe(), ": cannot be moved to opset 13 here; re-export the model at opset >= 13"));
    }
  }
  return Status::ok();
}

}  // namespace

Status upgrade_opset(Model& model) {
  auto it = model.opsets.find("");
  if (it == model.opsets.end() || it->second >= kQdqOpset) return Status::ok();
  Graph& g = *model.graph;
  std::vector<Node*> nodes;
  for (const auto& n : g.nodes()) nodes.push_back(n.get());
  for (Node* n : nodes) {
    if (!n->domain.empty()) continue;
    EDGE_RETURN_IF_ERROR(upgrade_node(g, *n));
    n->opset = kQdqOpset;
  }
  it->second = kQdqOpset;
  model.ir_version = std::max<int64_t>(model.ir_version, 7);  // IR 7 introduced opset 13
  return g.finalize();
}

}  // namespace edgeserve::quant
