// Claims, and compilation of subgraphs into SubgraphKernels.
#include "engine/ep/cpu/cpu_provider.h"

#include <algorithm>

#include "common/strings.h"
#include "engine/ep/cpu/dnnl_types.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/subgraph_kernel.h"

namespace edgeserve {

CpuProvider::CpuProvider(const CpuOptions& options) : options_(options) {
  if (options_.threads < 1) options_.threads = 1;
}

bool CpuProvider::supports(const Node& node) const {
  // A node on constants only is constant folding's business (level >= 1), not a kernel's.
  const bool computed_input = std::any_of(node.inputs.begin(), node.inputs.end(),
                                          [](const Value* v) { return v != nullptr && !v->constant; });
  if (node.inputs.empty() || node.inputs[0] == nullptr || !computed_input) return false;
  // Sequences and optionals are the reference provider's (and control flow's) business.
  auto is_container = [](const Value* v) { return v != nullptr && v->type.kind != ValueKind::kTensor; };
  if (std::any_of(node.inputs.begin(), node.inputs.end(), is_container) ||
      std::any_of(node.outputs.begin(), node.outputs.end(), is_container)) {
    return false;
  }
  const cpu::CpuOp* op = cpu::find_cpu_op(node);
  if (op == nullptr || (node.inputs[0]->constant && !op->constant_input0)) return false;
  return op->claims(node);
}

Result<std::unique_ptr<Kernel>> CpuProvider::create_kernel(const Node& node) const {
  Subgraph sg;
  sg.nodes = {&node};
  for (const Value* in : node.inputs) {
    if (in != nullptr && !in->constant) sg.inputs.push_back(in);
  }
  for (const Value* out : node.outputs) {
    if (out != nullptr) sg.outputs.push_back(out);
  }
  return compile_subgraph(sg);
}

namespace {

// The inputs' dims when every one is statically known.
std::optional<std::vector<Dims>> static_input_dims(const Subgraph& sg) {
  std::vector<Dims> all;
  for (const Value* v : sg.inputs) {
    if (!v->type.dims) return std::nullopt;
    Dims dims;
    for (const Dim& d : *v->type.dims) {
      if (!d.is_known()) return std::nullopt;
      dims.push_back(d.value);
    }
    all.push_back(std::move(dims));
  }
  return all;
}

}  // namespace

Result<std::unique_ptr<Kernel>> CpuProvider::compile_subgraph(const Subgraph& subgraph) const {
  for (const Value* v : subgraph.inputs) {
    if (cpu::dnnl_dtype(v->type.dtype) == dnnl::memory::data_type::undef) {
      return internal_error(str_cat("cpu subgraph input '", v->name, "' is ", dtype_name(v->type.dtype),
                                    ", expected float32, uint8, int8 or int32"));
    }
  }
  auto kernel = std::make_unique<cpu::SubgraphKernel>(subgraph, options_);
  if (auto dims = static_input_dims(subgraph)) EDGE_RETURN_IF_ERROR(kernel->precompile(*dims));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

}  // namespace edgeserve
