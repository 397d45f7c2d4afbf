// Input validation.
#include "engine/runtime/input_binding.h"

#include <map>

#include "common/strings.h"

namespace edgeserve {

namespace {

// Sequences and optionals: the right kind, and elements of the declared dtype (their shapes
// may differ from one element to the next, so they are left to the kernels).
Status check_container(const Value& decl, const Tensor& t) {
  const std::string where = str_cat("input '", decl.name, "'");
  const TensorType& type = decl.type;
  if (type.is_optional() && t.is_none()) return Status::ok();
  if (type.is_sequence() != t.is_sequence() || t.is_none()) {
    return invalid_argument(str_cat(where, ": expected ", type.to_string(), ", got ",
                                    t.is_none() ? "an empty optional" : t.is_sequence() ? "a sequence" : "a tensor"));
  }
  if (!t.is_sequence()) return Status::ok();
  for (const Tensor& item : t.items()) {
    if (item.is_container() || (type.dtype != DType::kUndefined && item.dtype() != type.dtype)) {
      return invalid_argument(str_cat(where, ": a sequence element is not a ", dtype_name(type.dtype), " tensor"));
    }
  }
  return Status::ok();
}

Status check_shape(const Value& decl, const Tensor& t, std::map<std::string, int64_t>& symbols) {
  const std::string where = str_cat("input '", decl.name, "'");
  if (decl.type.kind != ValueKind::kTensor || t.is_container()) {
    if (decl.type.kind == ValueKind::kTensor) return invalid_argument(str_cat(where, ": expected a tensor"));
    EDGE_RETURN_IF_ERROR(check_container(decl, t));
    if (t.is_container()) return Status::ok();
  }
  if (decl.type.dtype != DType::kUndefined && t.dtype() != decl.type.dtype) {
    return invalid_argument(str_cat(where, ": dtype is ", dtype_name(t.dtype()), ", expected ",
                                    dtype_name(decl.type.dtype)));
  }
  if (!decl.type.dims) return Status::ok();
  const auto& dims = *decl.type.dims;
  if (t.rank() != dims.size()) {
    return invalid_argument(str_cat(where, ": shape ", dims_to_string(t.dims()), " has rank ", t.rank(),
                                    ", expected ", decl.type.to_string()));
  }
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i].is_known() && dims[i].value != t.dim(i)) {
      return invalid_argument(str_cat(where, ": shape ", dims_to_string(t.dims()), " does not match ",
                                      decl.type.to_string(), " at axis ", i));
    }
    if (!dims[i].is_known() && !dims[i].symbol.empty()) {
      auto [it, inserted] = symbols.emplace(dims[i].symbol, t.dim(i));
      if (!inserted && it->second != t.dim(i)) {
        return invalid_argument(str_cat(where, ": dimension '", dims[i].symbol, "' is ", t.dim(i), " at axis ", i,
                                        " but ", it->second, " in another input"));
      }
    }
  }
  return Status::ok();
}

}  // namespace

Result<std::vector<Tensor>> bind_inputs(const Graph& graph, const std::vector<NamedTensor>& given) {
  std::vector<Tensor> bound(graph.inputs.size());
  std::vector<bool> seen(graph.inputs.size(), false);
  std::map<std::string, int64_t> symbols;
  for (const NamedTensor& nt : given) {
    size_t pos = graph.inputs.size();
    for (size_t i = 0; i < graph.inputs.size(); ++i) {
      if (graph.inputs[i]->name == nt.name) pos = i;
    }
    if (pos == graph.inputs.size()) {
      std::string names;
      for (const Value* v : graph.inputs) names += (names.empty() ? "'" : ", '") + v->name + "'";
      return invalid_argument(str_cat("unknown input '", nt.name, "' (model inputs: ", names, ")"));
    }
    if (seen[pos]) return invalid_argument(str_cat("input '", nt.name, "' is given twice"));
    if (!nt.tensor.defined()) return invalid_argument(str_cat("input '", nt.name, "' is an empty tensor handle"));
    EDGE_RETURN_IF_ERROR(check_shape(*graph.inputs[pos], nt.tensor, symbols));
    seen[pos] = true;
    bound[pos] = nt.tensor;
  }
  for (size_t i = 0; i < graph.inputs.size(); ++i) {
    if (!seen[i]) return invalid_argument(str_cat("input '", graph.inputs[i]->name, "' is missing"));
  }
  return bound;
}

}  // namespace edgeserve
