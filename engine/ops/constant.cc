// Constant node semantics (opset 1-13 value attributes).
#include "engine/ops/constant.h"

#include "common/strings.h"

namespace edgeserve {

Result<Tensor> constant_node_value(const Node& node) {
  if (node.attributes.size() != 1) {
    return invalid_argument(str_cat(node.describe(), ": Constant needs exactly one value attribute, has ",
                                    node.attributes.size()));
  }
  const auto& [name, a] = *node.attributes.begin();
  auto expect = [&](AttrKind kind) -> Status {
    if (a.kind == kind) return Status::ok();
    return invalid_argument(str_cat(node.describe(), ": attribute '", name, "' is ", attr_kind_name(a.kind),
                                    ", expected ", attr_kind_name(kind)));
  };
  if (name == "value") {
    EDGE_RETURN_IF_ERROR(expect(AttrKind::kTensor));
    return a.t;
  }
  if (name == "value_float") {
    EDGE_RETURN_IF_ERROR(expect(AttrKind::kFloat));
    return Tensor::scalar<float>(a.f);
  }
  if (name == "value_int") {
    EDGE_RETURN_IF_ERROR(expect(AttrKind::kInt));
    return Tensor::scalar<int64_t>(a.i);
  }
  if (name == "value_floats") {
    EDGE_RETURN_IF_ERROR(expect(AttrKind::kFloats));
    return Tensor::from_vector<float>({static_cast<int64_t>(a.floats.size())}, a.floats);
  }
  if (name == "value_ints") {
    EDGE_RETURN_IF_ERROR(expect(AttrKind::kInts));
    return Tensor::from_vector<int64_t>({static_cast<int64_t>(a.ints.size())}, a.ints);
  }
  if (name == "value_string") {
    EDGE_RETURN_IF_ERROR(expect(AttrKind::kString));
    return Tensor::from_vector<std::string>({}, {a.s});
  }
  if (name == "value_strings") {
    EDGE_RETURN_IF_ERROR(expect(AttrKind::kStrings));
    return Tensor::from_vector<std::string>({static_cast<int64_t>(a.strings.size())}, a.strings);
  }
  return unimplemented(str_cat(node.describe(), ": Constant attribute '", name, "' is not supported"));
}

}  // namespace edgeserve
