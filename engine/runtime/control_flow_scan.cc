// Scan (opset 8 with its batch axis, and 9+) and SequenceMap.
#include <algorithm>

#include "common/strings.h"
#include "engine/runtime/control_flow_body.h"
#include "engine/runtime/tensor_stacking.h"

namespace edgeserve {

namespace {

struct ScanState {
  Body body;
  size_t states = 0;  // N state variables; the other formal inputs are scanned
  size_t scans = 0;   // M scanned inputs
  std::vector<int64_t> in_axes, out_axes;
  std::vector<bool> in_reverse, out_reverse;
  bool batched = false;  // opset 8: inputs carry a leading batch axis and sequence_lens comes first
  int64_t max_tensor_bytes = 0;
};

Result<int64_t> scan_length(const ScanState& s, const std::vector<Tensor>& scans, std::vector<size_t>& axes) {
  int64_t len = -1;
  for (size_t j = 0; j < scans.size(); ++j) {
    const Tensor& x = scans[j];
    const int64_t rank = static_cast<int64_t>(x.rank());
    int64_t axis = j < s.in_axes.size() ? s.in_axes[j] : 0;
    if (axis < 0) axis += rank;
    if (x.is_container() || axis < 0 || axis >= rank) {
      return invalid_argument(str_cat("scan input ", j, ": axis ", axis, " is out of range for ", x.rank(), "-D input"));
    }
    axes.push_back(static_cast<size_t>(axis));
    const int64_t n = x.dim(static_cast<size_t>(axis));
    if (len >= 0 && n != len) return invalid_argument(str_cat("scan input ", j, " has ", n, " steps, others ", len));
    len = n;
  }
  return len;
}

// One scan over unbatched inputs: returns the final states then the stacked scan outputs.
Result<std::vector<Tensor>> scan_once(const ScanState& s, std::vector<Tensor> states, const std::vector<Tensor>& scans,
                                      const KernelContext& ctx) {
  std::vector<size_t> axes;
  EDGE_ASSIGN_OR_RETURN(int64_t len, scan_length(s, scans, axes));
  StackBuilder outs(s.body.outputs - s.states, s.max_tensor_bytes);
  for (int64_t t = 0; t < len; ++t) {
    std::vector<Tensor> in = states;
    for (size_t j = 0; j < scans.size(); ++j) {
      const bool reverse = j < s.in_reverse.size() && s.in_reverse[j];
      EDGE_ASSIGN_OR_RETURN(Tensor slice, slice_along(scans[j], axes[j], reverse ? len - 1 - t : t));
      in.push_back(std::move(slice));
    }
    EDGE_ASSIGN_OR_RETURN(std::vector<Tensor> out, s.body.run(std::move(in), ctx));
    for (size_t i = 0; i < s.states; ++i) states[i] = out[i];
    EDGE_RETURN_IF_ERROR(outs.append(out, s.states).with_context(str_cat("step ", t)));
  }
  EDGE_ASSIGN_OR_RETURN(std::vector<Tensor> stacked, outs.finish(*s.body.graph, s.states, s.out_axes, s.out_reverse));
  states.insert(states.end(), stacked.begin(), stacked.end());
  return states;
}

// Opset 8: every input has a leading batch axis; each batch entry is scanned on its own.
Result<std::vector<Tensor>> scan_batched(const ScanState& s, const std::vector<Tensor>& inputs,
                                         const KernelContext& ctx) {
  const int64_t batch = inputs.empty() || inputs[0].rank() == 0 ? 0 : inputs[0].dim(0);
  std::vector<std::vector<Tensor>> per_output;
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<Tensor> sliced;
    for (const Tensor& x : inputs) {
      if (x.is_container() || x.rank() == 0 || x.dim(0) != batch) {
        return invalid_argument(str_cat("every Scan input needs the batch dim ", batch, " first"));
      }
      EDGE_ASSIGN_OR_RETURN(Tensor one, slice_along(x, 0, b));
      sliced.push_back(std::move(one));
    }
    std::vector<Tensor> states(sliced.begin(), sliced.begin() + static_cast<std::ptrdiff_t>(s.states));
    std::vector<Tensor> scans(sliced.begin() + static_cast<std::ptrdiff_t>(s.states), sliced.end());
    EDGE_ASSIGN_OR_RETURN(std::vector<Tensor> out, scan_once(s, std::move(states), scans, ctx));
    per_output.resize(out.size());
    for (size_t k = 0; k < out.size(); ++k) per_output[k].push_back(std::move(out[k]));
  }
  std::vector<Tensor> result;
  for (const auto& items : per_output) {
    EDGE_ASSIGN_OR_RETURN(Tensor stacked, stack_along(items, 0, s.max_tensor_bytes));
    result.push_back(std::move(stacked));
  }
  return result;
}

Status run_scan(const ScanState& s, KernelContext& ctx) {
  const size_t first = s.batched ? 1 : 0;
  if (s.batched && ctx.has_input(0)) {
    return unimplemented("Scan-8 with sequence_lens is not supported (every batch entry runs the full length)");
  }
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < s.states + s.scans; ++i) inputs.push_back(ctx.input(first + i));
  if (s.batched) {
    EDGE_ASSIGN_OR_RETURN(std::vector<Tensor> out, scan_batched(s, inputs, ctx));
    return publish(ctx, std::move(out));
  }
  std::vector<Tensor> states(inputs.begin(), inputs.begin() + static_cast<std::ptrdiff_t>(s.states));
  std::vector<Tensor> scans(inputs.begin() + static_cast<std::ptrdiff_t>(s.states), inputs.end());
  EDGE_ASSIGN_OR_RETURN(std::vector<Tensor> out, scan_once(s, std::move(states), scans, ctx));
  return publish(ctx, std::move(out));
}

Result<std::vector<bool>> directions(const Node& node, const char* attr, size_t count) {
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> d, node.attr_ints(attr, std::vector<int64_t>(count, 0)));
  if (d.size() != count) return invalid_argument(str_cat(node.describe(), ": '", attr, "' needs ", count, " entries"));
  std::vector<bool> reverse;
  for (int64_t v : d) reverse.push_back(v != 0);
  return reverse;
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_scan(const Node& node, const BuildContext& bc) {
  ScanState s;
  s.batched = node.opset < 9;
  s.max_tensor_bytes = bc.max_tensor_bytes;
  EDGE_ASSIGN_OR_RETURN(int64_t m, node.attr_int("num_scan_inputs"));
  const size_t formal = num_formal_inputs(node) - (s.batched ? 1 : 0);
  if (m < 1 || static_cast<size_t>(m) > formal) {
    return invalid_argument(str_cat(node.describe(), ": num_scan_inputs ", m, " does not fit ", formal, " inputs"));
  }
  EDGE_RETURN_IF_ERROR(check_inputs_present(node, s.batched ? 1 : 0));  // only sequence_lens is optional
  s.scans = static_cast<size_t>(m);
  s.states = formal - s.scans;
  EDGE_ASSIGN_OR_RETURN(s.body, build_body(node, "body", bc));
  if (s.body.formal_inputs != formal || s.body.outputs < s.states || node.outputs.size() != s.body.outputs) {
    return invalid_argument(str_cat(node.describe(), ": the body must take ", formal, " inputs and return one output ",
                                    "per node output"));
  }
  const size_t k = s.body.outputs - s.states;
  if (s.batched) {
    EDGE_ASSIGN_OR_RETURN(s.in_reverse, directions(node, "directions", s.scans));
  } else {
    EDGE_ASSIGN_OR_RETURN(s.in_axes, node.attr_ints("scan_input_axes", std::vector<int64_t>(s.scans, 0)));
    EDGE_ASSIGN_OR_RETURN(s.out_axes, node.attr_ints("scan_output_axes", std::vector<int64_t>(k, 0)));
    EDGE_ASSIGN_OR_RETURN(s.in_reverse, directions(node, "scan_input_directions", s.scans));
    EDGE_ASSIGN_OR_RETURN(s.out_reverse, directions(node, "scan_output_directions", k));
    if (s.in_axes.size() != s.scans || s.out_axes.size() != k) {
      return invalid_argument(str_cat(node.describe(), ": scan_input_axes / scan_output_axes need ", s.scans, " / ", k,
                                      " entries"));
    }
  }
  return make_kernel(std::move(s), run_scan);
}

// ---- SequenceMap ----

namespace {

struct MapState {
  Body body;
  int64_t max_tensor_bytes = 0;
};

Status run_sequence_map(const MapState& s, KernelContext& ctx) {
  const Tensor& seq = ctx.input(0);
  if (!seq.is_sequence()) return invalid_argument("input 0 must be a sequence");
  const size_t n = seq.items().size();
  const size_t extra = num_formal_inputs(ctx.node()) - 1;
  for (size_t j = 1; j <= extra; ++j) {
    if (ctx.input(j).is_sequence() && ctx.input(j).items().size() != n) {
      return invalid_argument(str_cat("input ", j, " has ", ctx.input(j).items().size(), " elements, input 0 has ", n));
    }
  }
  std::vector<std::vector<Tensor>> outs(s.body.outputs);
  int64_t bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    std::vector<Tensor> in = {seq.items()[i]};
    for (size_t j = 1; j <= extra; ++j) in.push_back(ctx.input(j).is_sequence() ? ctx.input(j).items()[i] : ctx.input(j));
    EDGE_ASSIGN_OR_RETURN(std::vector<Tensor> out, s.body.run(std::move(in), ctx));
    for (size_t k = 0; k < outs.size(); ++k) {
      bytes += static_cast<int64_t>(out[k].byte_size());
      if (bytes > s.max_tensor_bytes) return resource_exhausted("SequenceMap outputs exceed the tensor byte limit");
      outs[k].push_back(std::move(out[k]));
    }
  }
  for (size_t k = 0; k < outs.size() && k < ctx.num_outputs(); ++k) {
    const DType dtype = outs[k].empty() ? s.body.graph->outputs[k]->type.dtype : outs[k][0].dtype();
    ctx.set_output(k, Tensor::sequence(dtype, std::move(outs[k])));
  }
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_sequence_map(const Node& node, const BuildContext& bc) {
  if (num_formal_inputs(node) < 1) return invalid_argument(str_cat(node.describe(), ": SequenceMap needs a sequence input"));
  EDGE_RETURN_IF_ERROR(check_inputs_present(node, 0));
  MapState s;
  s.max_tensor_bytes = bc.max_tensor_bytes;
  EDGE_ASSIGN_OR_RETURN(s.body, build_body(node, "body", bc));
  if (s.body.formal_inputs != num_formal_inputs(node) || s.body.outputs != node.outputs.size()) {
    return invalid_argument(str_cat(node.describe(), ": the body must take one input per node input and return one ",
                                    "output per node output"));
  }
  return make_kernel(std::move(s), run_sequence_map);
}

}  // namespace edgeserve
