// Broadcasting binary math as oneDNN binary primitives. oneDNN broadcasts only the second
// operand, so the full-size operand goes first (commutative ops are swapped when needed); the
// output keeps the first operand's layout and overwrites it when nothing else reads it.
#include <optional>

#include "common/strings.h"
#include "engine/ep/cpu/ops/op_table.h"
#include "engine/ep/cpu/scratchpad.h"

namespace edgeserve::cpu {

namespace {

using dnnl::memory;

bool is_commutative(const std::string& op) { return op == "Add" || op == "Mul" || op == "Max" || op == "Min"; }

std::optional<std::vector<Dim>> static_dims(const Value* v) {
  if (v->constant) {
    std::vector<Dim> dims;
    for (int64_t d : v->constant->dims()) dims.push_back(Dim{d, ""});
    return dims;
  }
  return v->type.dims;
}

// Whether `small` broadcasts to `full` without `full` itself being broadcast.
bool broadcasts_into(const std::vector<Dim>& full, const std::vector<Dim>& small) {
  if (small.size() > full.size()) return false;
  const size_t lead = full.size() - small.size();
  for (size_t i = 0; i < small.size(); ++i) {
    if (!(small[i].is_known() && small[i].value == 1) && !full[lead + i].same_as(small[i])) return false;
  }
  return true;
}

bool claims_binary(const Node& node) {
  if (node.num_present_inputs() != 2 || !float32_io(node)) return false;
  auto a = static_dims(node.inputs[0]);
  auto b = static_dims(node.inputs[1]);
  if (!a || !b || a->empty() || (node.inputs[0]->constant && node.inputs[1]->constant)) return false;
  // oneDNN broadcasts the second operand only: a constant or smaller first operand of a
  // commutative op (Add(bias, x), as torch exports it) is swapped at build time.
  if (!node.inputs[0]->constant && broadcasts_into(*a, *b)) return true;
  return is_commutative(node.op_type) && !b->empty() && broadcasts_into(*b, *a);
}

dnnl::algorithm binary_algorithm(const std::string& op) {
  if (op == "Add") return dnnl::algorithm::binary_add;
  if (op == "Sub") return dnnl::algorithm::binary_sub;
  if (op == "Mul") return dnnl::algorithm::binary_mul;
  if (op == "Div") return dnnl::algorithm::binary_div;
  if (op == "Max") return dnnl::algorithm::binary_max;
  return dnnl::algorithm::binary_min;
}

// The second operand with its dims padded to `rank` by leading ones.
Result<int> second_operand(const Node& node, ProgramBuilder& b, const Value* v, size_t rank) {
  memory::dims dims = b.dims_of(v);
  memory::dims padded(rank - dims.size(), 1);
  padded.insert(padded.end(), dims.begin(), dims.end());
  if (v->constant) return b.constant_slot(v, plain_md(padded));
  if (dims.size() == rank) return b.slot_of(v);
  EDGE_ASSIGN_OR_RETURN(int plain, b.plain_slot(v, node));
  return b.view_slot(plain, plain_md(padded));
}

Status build_binary(const Node& node, ProgramBuilder& b) {
  const Value* first = node.inputs[0];
  const Value* second = node.inputs[1];
  const memory::dims a = b.dims_of(first);
  const memory::dims c = b.dims_of(second);
  bool swap = first->constant.has_value() || c.size() > a.size();
  if (!swap && c.size() == a.size()) {
    for (size_t i = 0; i < a.size(); ++i) swap = swap || (a[i] == 1 && c[i] != 1);
  }
  if (swap) std::swap(first, second);
  EDGE_ASSIGN_OR_RETURN(int src0, b.slot_of(first));
  const size_t rank = b.md(src0).dims().size();
  EDGE_ASSIGN_OR_RETURN(int src1, second_operand(node, b, second, rank));
  const auto alg = binary_algorithm(node.op_type);
  dnnl::binary::primitive_desc pd;
  try {
    pd = dnnl::binary::primitive_desc(dnnl::binary::desc(alg, b.md(src0), b.md(src1), b.md(src0)), user_scratchpad(),
                                      b.engine());
  } catch (const dnnl::error&) {
    // No implementation for this layout mix: run it on plain layouts.
    EDGE_ASSIGN_OR_RETURN(src0, b.plain_slot(first, node));
    if (!second->constant) {
      const memory::desc padded = plain_md(b.md(src1).dims());
      EDGE_ASSIGN_OR_RETURN(int plain1, b.plain_slot(second, node));
      src1 = b.view_slot(plain1, padded);
    }
    pd = dnnl::binary::primitive_desc(dnnl::binary::desc(alg, b.md(src0), b.md(src1), b.md(src0)), user_scratchpad(),
                                      b.engine());
  }
  int dst = src0;
  if (!b.can_overwrite(first, node)) {
    EDGE_ASSIGN_OR_RETURN(dst, b.new_slot(pd.dst_desc(), node));
  }
  b.add_step(dnnl::binary(pd), {{DNNL_ARG_SRC_0, src0}, {DNNL_ARG_SRC_1, src1}, {DNNL_ARG_DST, dst}}, node);
  b.define(node.outputs[0], dst);
  return Status::ok();
}

}  // namespace

std::vector<CpuOp> binary_ops() {
  std::vector<CpuOp> ops;
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Max", "Min"}) {
    ops.push_back(CpuOp{op, claims_binary, build_binary, "", 7, /*constant_input0=*/is_commutative(op)});
  }
  return ops;
}

}  // namespace edgeserve::cpu
