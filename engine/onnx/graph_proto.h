// IR -> protobuf pieces shared by model export and type inference.
#pragma once

#include "common/status.h"
#include "engine/ir/graph.h"

namespace onnx {
class NodeProto;
class ValueInfoProto;
}  // namespace onnx

namespace edgeserve {

// The value's name and, for a tensor of known dtype, its type.
void value_info(const Value& v, onnx::ValueInfoProto* proto);
// Fails, naming the node, for graph- or type-valued attributes.
Status node_to_proto(const Node& node, onnx::NodeProto* p);

}  // namespace edgeserve
