// If, Loop, Scan and SequenceMap: each iteration (or branch) is one run of a child plan.
#include "engine/runtime/control_flow.h"

#include <cstring>
#include <limits>
#include <memory>

#include "common/strings.h"
#include "engine/runtime/control_flow_body.h"
#include "engine/runtime/tensor_stacking.h"

namespace edgeserve {

namespace {

// ---- If ----

struct IfState {
  Body then_body, else_body;
};

Status run_if(const IfState& s, KernelContext& ctx) {
  EDGE_ASSIGN_OR_RETURN(bool cond, read_condition(ctx.input(0), "input 'cond'"));
  const Body& body = cond ? s.then_body : s.else_body;
  EDGE_ASSIGN_OR_RETURN(std::vector<Tensor> out, body.run({}, ctx));
  return publish(ctx, std::move(out));
}

Result<std::unique_ptr<Kernel>> make_if(const Node& node, const BuildContext& bc) {
  if (num_formal_inputs(node) != 1) return invalid_argument(str_cat(node.describe(), ": If takes exactly one input"));
  EDGE_RETURN_IF_ERROR(check_inputs_present(node, 0));
  IfState s;
  EDGE_ASSIGN_OR_RETURN(s.then_body, build_body(node, "then_branch", bc));
  EDGE_ASSIGN_OR_RETURN(s.else_body, build_body(node, "else_branch", bc));
  for (const Body* b : {&s.then_body, &s.else_body}) {
    if (b->formal_inputs != 0 || b->outputs != node.outputs.size()) {
      return invalid_argument(str_cat(node.describe(), ": a branch must take no inputs and return ",
                                      node.outputs.size(), " outputs"));
    }
  }
  return make_kernel(std::move(s), run_if);
}

// ---- Loop ----

struct LoopState {
  Body body;
  size_t carried = 0;  // N loop-carried values; the body's other outputs are scan outputs
  int64_t max_tensor_bytes = 0;
};

Status run_loop(const LoopState& s, KernelContext& ctx) {
  int64_t trips = std::numeric_limits<int64_t>::max();
  if (ctx.has_input(0)) {
    const Tensor& m = ctx.input(0);
    if (m.is_container() || m.dtype() != DType::kInt64 || m.num_elements() != 1) {
      return invalid_argument("input 'M' must be a one-element int64 tensor");
    }
    trips = m.data<int64_t>()[0];
  }
  bool cond = true;
  if (ctx.has_input(1)) {
    EDGE_ASSIGN_OR_RETURN(cond, read_condition(ctx.input(1), "input 'cond'"));
  }
  std::vector<Tensor> carried;
  for (size_t i = 0; i < s.carried; ++i) carried.push_back(ctx.input(2 + i));
  StackBuilder scans(s.body.outputs - 1 - s.carried, s.max_tensor_bytes);
  for (int64_t iter = 0; iter < trips && cond; ++iter) {
    std::vector<Tensor> in = {Tensor::scalar<int64_t>(iter), Tensor::scalar<bool>(cond)};
    in.insert(in.end(), carried.begin(), carried.end());
    EDGE_ASSIGN_OR_RETURN(std::vector<Tensor> out, s.body.run(std::move(in), ctx));
    EDGE_ASSIGN_OR_RETURN(cond, read_condition(out[0], "the body's condition output"));
    for (size_t i = 0; i < s.carried; ++i) carried[i] = std::move(out[1 + i]);
    EDGE_RETURN_IF_ERROR(scans.append(out, 1 + s.carried).with_context(str_cat("iteration ", iter)));
  }
  EDGE_ASSIGN_OR_RETURN(std::vector<Tensor> stacked, scans.finish(*s.body.graph, 1 + s.carried, /*axes=*/{}));
  carried.insert(carried.end(), stacked.begin(), stacked.end());
  return publish(ctx, std::move(carried));
}

Result<std::unique_ptr<Kernel>> make_loop(const Node& node, const BuildContext& bc) {
  if (num_formal_inputs(node) < 2) return invalid_argument(str_cat(node.describe(), ": Loop needs inputs M and cond"));
  EDGE_RETURN_IF_ERROR(check_inputs_present(node, 2));  // M and cond may be omitted, the carried values not
  LoopState s;
  s.max_tensor_bytes = bc.max_tensor_bytes;
  s.carried = num_formal_inputs(node) - 2;
  EDGE_ASSIGN_OR_RETURN(s.body, build_body(node, "body", bc));
  if (s.body.formal_inputs != 2 + s.carried || s.body.outputs < 1 + s.carried ||
      node.outputs.size() != s.body.outputs - 1) {
    return invalid_argument(str_cat(node.describe(), ": the body must take 2 + ", s.carried, " inputs and return 1 + ",
                                    s.carried, " + (scan outputs), one per node output"));
  }
  return make_kernel(std::move(s), run_loop);
}

}  // namespace

bool ControlFlowProvider::supports(const Node& node) const {
  if (!node.domain.empty()) return false;
  return node.op_type == "If" || node.op_type == "Loop" || node.op_type == "Scan" || node.op_type == "SequenceMap";
}

Result<std::unique_ptr<Kernel>> ControlFlowProvider::create_kernel(const Node& node) const {
  const BuildContext bc{body_providers_, max_tensor_bytes_};
  if (node.op_type == "If") return make_if(node, bc);
  if (node.op_type == "Loop") return make_loop(node, bc);
  if (node.op_type == "Scan") return make_scan(node, bc);
  if (node.op_type == "SequenceMap") return make_sequence_map(node, bc);
  return unimplemented(str_cat(node.describe(), ": not a control-flow op"));
}

}  // namespace edgeserve
