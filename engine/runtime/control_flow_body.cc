// Child plans for subgraphs.
#include "engine/runtime/control_flow_body.h"

#include "common/strings.h"

namespace edgeserve {

Result<std::vector<Tensor>> Body::run(std::vector<Tensor> inputs, const KernelContext& ctx) const {
  const Node& node = ctx.node();
  for (size_t i = num_formal_inputs(node); i < node.inputs.size(); ++i) inputs.push_back(ctx.input(i));
  return plan->run(inputs);
}

Result<Body> build_body(const Node& node, const char* attr, const BuildContext& bc) {
  auto it = node.attributes.find(attr);
  if (it == node.attributes.end() || it->second.kind != AttrKind::kGraph || !it->second.g) {
    return invalid_argument(str_cat(node.describe(), ": missing graph attribute '", attr, "'"));
  }
  Body b;
  b.graph = it->second.g;
  if (b.graph->inputs.size() < node.implicit_inputs) {
    return internal_error(str_cat(node.describe(), ": subgraph '", attr, "' lacks its outer-scope inputs"));
  }
  b.formal_inputs = b.graph->inputs.size() - node.implicit_inputs;
  b.outputs = b.graph->outputs.size();
  auto plan = ExecutionPlan::create(b.graph, bc.providers, bc.max_tensor_bytes);
  if (!plan.is_ok()) return plan.status().with_context(str_cat(node.describe(), ": subgraph '", attr, "'"));
  b.plan = std::move(plan).value();
  return b;
}

Status check_inputs_present(const Node& node, size_t first) {
  for (size_t i = first; i < num_formal_inputs(node); ++i) {
    if (node.inputs[i] == nullptr) return invalid_argument(str_cat(node.describe(), ": input ", i, " is missing"));
  }
  return Status::ok();
}

Result<bool> read_condition(const Tensor& t, const char* what) {
  if (t.is_container() || t.dtype() != DType::kBool || t.num_elements() != 1) {
    return invalid_argument(str_cat(what, " must be a one-element bool tensor"));
  }
  return t.data<bool>()[0];
}

Status publish(KernelContext& ctx, std::vector<Tensor> outputs, size_t first) {
  for (size_t i = 0; i < ctx.num_outputs(); ++i) {
    if (first + i >= outputs.size()) return invalid_argument("the subgraph returned too few outputs");
    ctx.set_output(i, std::move(outputs[first + i]));
  }
  return Status::ok();
}

}  // namespace edgeserve
