// Slot bookkeeping, reorders, prepacking and the arena plan of a cpu Program.
#include "engine/ep/cpu/program_builder.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "common/arena_plan.h"
#include "common/aligned_buffer.h"
#include "common/strings.h"
#include "engine/ep/cpu/scratchpad.h"

namespace edgeserve::cpu {

memory::desc plain_md(const memory::dims& dims, memory::data_type type) {
  memory::dims d = dims.empty() ? memory::dims{1} : dims;
  memory::dims strides(d.size(), 1);
  for (size_t i = d.size() - 1; i-- > 0;) strides[i] = strides[i + 1] * d[i + 1];
  return memory::desc(d, type, strides);
}

bool is_plain(const memory::desc& md) { return md == plain_md(md.dims(), md.data_type()); }

memory::desc channels_last_md(const memory::dims& dims, memory::data_type type) {
  memory::dims strides(dims.size());
  int64_t stride = dims[1];
  for (size_t i = dims.size(); i-- > 2;) {
    strides[i] = stride;
    stride *= dims[i];
  }
  strides[1] = 1;
  strides[0] = stride;
  return memory::desc(dims, type, strides);
}

ProgramBuilder::ProgramBuilder(const Subgraph& subgraph, const std::vector<Dims>& input_dims,
                               const CpuOptions& options, PackedConstants* packed)
    : subgraph_(subgraph), options_(options), packed_(packed) {
  for (size_t i = 0; i < subgraph.nodes.size(); ++i) position_[subgraph.nodes[i]] = i;
  for (size_t i = 0; i < subgraph.inputs.size(); ++i) {
    Buffer b;
    b.kind = BufferKind::kInput;
    b.index = static_cast<int>(i);
    const memory::desc md = plain_md(memory::dims(input_dims[i].begin(), input_dims[i].end()),
                                     dnnl_dtype(subgraph.inputs[i]->type.dtype));
    b.bytes = md.get_size();
    value_slot_[subgraph.inputs[i]] = add_slot(md, add_buffer(b));
  }
}

int ProgramBuilder::add_buffer(Buffer b) {
  buffers_.push_back(std::move(b));
  return static_cast<int>(buffers_.size()) - 1;
}

int ProgramBuilder::add_slot(const memory::desc& md, int buffer) {
  slots_.push_back(Slot{md, buffer});
  ++buffer_views_[buffer];
  return static_cast<int>(slots_.size()) - 1;
}

Result<int> ProgramBuilder::slot_of(const Value* v) const {
  auto it = value_slot_.find(v);
  if (it == value_slot_.end()) return internal_error(str_cat("cpu provider: tensor '", v->name, "' is not computed yet"));
  return it->second;
}

memory::dims ProgramBuilder::dims_of(const Value* v) const {
  if (v->constant) return memory::dims(v->constant->dims().begin(), v->constant->dims().end());
  auto it = value_slot_.find(v);
  return it == value_slot_.end() ? memory::dims{} : slots_[it->second].md.dims();
}

void ProgramBuilder::reorder_step(int from, int to, const Node& node) {
  dnnl::reorder::primitive_desc pd(engine_, slots_[from].md, engine_, slots_[to].md, user_scratchpad());
  push_step(dnnl::reorder(pd), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}}, node.name + "/reorder", "Reorder");
}

Result<int> ProgramBuilder::slot_as(const Value* v, const memory::desc& want, const Node& consumer) {
  EDGE_ASSIGN_OR_RETURN(int s, slot_of(v));
  if (slots_[s].md == want) return s;
  for (int c : converted_[v]) {
    if (slots_[c].md == want) return c;
  }
  EDGE_ASSIGN_OR_RETURN(int copy, new_slot(want, consumer));
  reorder_step(s, copy, consumer);
  converted_[v].push_back(copy);
  return copy;
}

Result<int> ProgramBuilder::reordered(int slot, const memory::desc& want, const Node& consumer) {
  if (slots_[slot].md == want) return slot;
  EDGE_ASSIGN_OR_RETURN(int copy, new_slot(want, consumer));
  reorder_step(slot, copy, consumer);
  return copy;
}

Result<int> ProgramBuilder::plain_slot(const Value* v, const Node& consumer) {
  EDGE_ASSIGN_OR_RETURN(int s, slot_of(v));
  return slot_as(v, plain_md(slots_[s].md.dims(), slots_[s].md.data_type()), consumer);
}

Result<int> ProgramBuilder::constant_slot(const Value* v, const memory::desc& want) {
  return constant_slot(v, want, plain_md(want.dims()));
}

Result<int> ProgramBuilder::constant_slot(const Value* v, const memory::desc& want, const memory::desc& src) {
  const Tensor& t = *v->constant;
  if (t.dtype() != DType::kFloat32) {
    return invalid_argument(str_cat("cpu provider: constant '", v->name, "' is ", dtype_name(t.dtype()),
                                    ", expected float32"));
  }
  if (src.get_size() != t.byte_size()) {
    return invalid_argument(str_cat("cpu provider: constant '", v->name, "' has ", t.num_elements(),
                                    " elements, expected ", src.get_size() / sizeof(float)));
  }
  auto holder = std::make_shared<Tensor>(t);
  std::shared_ptr<void> bytes(holder, const_cast<void*>(holder->raw_data()));
  if (want == src) return raw_constant_slot(std::move(bytes), want);
  if (packed_ != nullptr) {
    if (std::shared_ptr<void> shared = packed_->find(v, want, src)) return raw_constant_slot(std::move(shared), want);
  }
  std::shared_ptr<void> packed = aligned_buffer(want.get_size(), /*zero=*/false);  // the reorder fills it
  if (packed == nullptr) return resource_exhausted(str_cat("cpu provider: out of memory prepacking '", v->name, "'"));
  dnnl::memory from(src, engine_, bytes.get());
  dnnl::memory to(want, engine_, packed.get());
  dnnl::stream stream(engine_);
  dnnl::reorder(from, to).execute(stream, from, to);
  stream.wait();
  if (packed_ != nullptr) packed_->add(v, want, src, packed);
  return raw_constant_slot(std::move(packed), want);
}

Result<int> ProgramBuilder::typed_constant_slot(const Value* v, const memory::desc& want) {
  const Tensor& t = *v->constant;
  const memory::data_type type = dnnl_dtype(t.dtype());
  if (type == memory::data_type::undef) {
    return invalid_argument(str_cat("cpu provider: constant '", v->name, "' has type ", dtype_name(t.dtype())));
  }
  const memory::desc stored = plain_md(want.dims(), type);
  if (stored.get_size() != t.byte_size()) {
    return invalid_argument(str_cat("cpu provider: constant '", v->name, "' has ", t.num_elements(),
                                    " elements, expected ", stored.get_size() / dtype_size(t.dtype())));
  }
  auto holder = std::make_shared<Tensor>(t);
  std::shared_ptr<void> bytes(holder, const_cast<void*>(holder->raw_data()));
  if (want == stored) return raw_constant_slot(std::move(bytes), want);
  if (packed_ != nullptr) {
    if (std::shared_ptr<void> shared = packed_->find(v, want, stored)) return raw_constant_slot(std::move(shared), want);
  }
  std::shared_ptr<void> packed = aligned_buffer(want.get_size(), /*zero=*/true);  // padding stays zero
  if (packed == nullptr) return resource_exhausted(str_cat("cpu provider: out of memory prepacking '", v->name, "'"));
  dnnl::memory from(stored, engine_, bytes.get());
  dnnl::memory to(want, engine_, packed.get());
  dnnl::stream stream(engine_);
  dnnl::reorder(from, to).execute(stream, from, to);
  stream.wait();
  if (packed_ != nullptr) packed_->add(v, want, stored, packed);
  return raw_constant_slot(std::move(packed), want);
}

int ProgramBuilder::raw_constant_slot(std::shared_ptr<void> data, const memory::desc& md) {
  Buffer b;
  b.kind = BufferKind::kConstant;
  b.bytes = md.get_size();
  b.data = std::move(data);
  return add_slot(md, add_buffer(std::move(b)));
}

Result<int> ProgramBuilder::new_slot(const memory::desc& md, const Node& node) {
  if (static_cast<int64_t>(md.get_size()) > options_.max_tensor_bytes) {
    return resource_exhausted(str_cat(node.describe(), ": output needs ", md.get_size(),
                                      " bytes, more than the per-tensor limit of ", options_.max_tensor_bytes));
  }
  Buffer b;
  b.bytes = md.get_size();
  return add_slot(md, add_buffer(b));
}

int ProgramBuilder::view_slot(int slot, const memory::desc& md) { return add_slot(md, slots_[slot].buffer); }

int ProgramBuilder::strided_view(int slot, const memory::dims& dims, const memory::dims& strides, int64_t offset) {
  memory::desc md(dims, slots_[slot].md.data_type(), strides);
  md.data.offset0 = offset;
  return view_slot(slot, md);
}

bool ProgramBuilder::can_overwrite(const Value* v, const Node& consumer) const {
  if (v->constant) return false;
  auto it = value_slot_.find(v);
  if (it == value_slot_.end()) return false;
  const int buffer = slots_[it->second].buffer;
  if (buffers_[buffer].kind != BufferKind::kArena || buffer_views_.at(buffer) != 1) return false;
  if (std::find(subgraph_.outputs.begin(), subgraph_.outputs.end(), v) != subgraph_.outputs.end()) return false;
  if (std::count(consumer.inputs.begin(), consumer.inputs.end(), v) != 1) return false;
  const auto me = position_.find(&consumer);
  if (me == position_.end()) return false;
  return std::all_of(v->consumers.begin(), v->consumers.end(), [&](const Node* c) {
    if (c == &consumer) return true;
    const auto other = position_.find(c);
    return other != position_.end() && other->second < me->second;
  });
}

void ProgramBuilder::define(const Value* v, int slot) { value_slot_[v] = slot; }

void ProgramBuilder::add_step(dnnl::primitive primitive, std::vector<std::pair<int, int>> args, const Node& node) {
  push_step(std::move(primitive), std::move(args), node.name,
            node.domain.empty() ? node.op_type : node.domain + "." + node.op_type);
}

void ProgramBuilder::add_host_step(std::shared_ptr<const HostOp> op, std::vector<std::pair<int, int>> args,
                                   const Node& node) {
  steps_.push_back(ProgramStep{dnnl::primitive(), std::move(op), std::move(args), node.name,
                               node.domain.empty() ? node.op_type : node.domain + "." + node.op_type, "host"});
}

void ProgramBuilder::push_step(dnnl::primitive primitive, std::vector<std::pair<int, int>> args, std::string name,
                               std::string op_type) {
  if (!has_user_scratchpad(primitive) && missing_scratchpad_.empty()) missing_scratchpad_ = name;
  // Each step's scratchpad is arena storage live for that step only: the arena plan overlaps
  // them with everything else, and every RunState has its own.
  const memory::desc scratchpad = scratchpad_md(primitive);
  if (scratchpad.get_size() > 0) {
    Buffer b;
    b.bytes = scratchpad.get_size();
    args.emplace_back(DNNL_ARG_SCRATCHPAD, add_slot(scratchpad, add_buffer(b)));
  }
  const char* kernel = nullptr;
  if (dnnl_primitive_desc_query(primitive.get_primitive_desc(), dnnl_query_impl_info_str, 0, &kernel) !=
      dnnl_success) {
    kernel = nullptr;
  }
  steps_.push_back(ProgramStep{std::move(primitive), nullptr, std::move(args), std::move(name), std::move(op_type),
                               kernel != nullptr ? kernel : ""});
}

Result<std::unique_ptr<Program>> ProgramBuilder::finish() {
  if (!missing_scratchpad_.empty()) {
    return internal_error(str_cat("cpu subgraph: step ", missing_scratchpad_, " was built without user_scratchpad()"));
  }
  std::vector<int> output_slots;
  std::vector<bool> buffer_taken(buffers_.size(), false);
  for (size_t k = 0; k < subgraph_.outputs.size(); ++k) {
    const Value* v = subgraph_.outputs[k];
    EDGE_ASSIGN_OR_RETURN(int s, slot_of(v));
    Buffer& b = buffers_[slots_[s].buffer];
    // The producer can write straight into the caller's output tensor when it already produces
    // the plain layout into a buffer of its own.
    if (is_plain(slots_[s].md) && b.kind == BufferKind::kArena && buffer_views_[slots_[s].buffer] == 1 &&
        !buffer_taken[slots_[s].buffer]) {
      b.kind = BufferKind::kOutput;
      b.index = static_cast<int>(k);
      buffer_taken[slots_[s].buffer] = true;
      output_slots.push_back(s);
      continue;
    }
    Buffer out;
    out.kind = BufferKind::kOutput;
    out.index = static_cast<int>(k);
    const memory::desc md = plain_md(slots_[s].md.dims(), slots_[s].md.data_type());
    out.bytes = md.get_size();
    const int slot = add_slot(md, add_buffer(out));
    buffer_taken.push_back(true);
    reorder_step(s, slot, *v->producer);
    output_slots.push_back(slot);
  }
  for (size_t i = 0; i < steps_.size(); ++i) {
    for (const auto& [arg, slot] : steps_[i].args) {
      Buffer& b = buffers_[slots_[slot].buffer];
      if (b.first_use < 0) b.first_use = static_cast<int>(i);
      b.last_use = static_cast<int>(i);
    }
  }
  std::vector<ArenaRequest> requests;
  std::vector<int> arena_buffers;
  for (size_t i = 0; i < buffers_.size(); ++i) {
    if (buffers_[i].kind != BufferKind::kArena || buffers_[i].first_use < 0) continue;
    requests.push_back({static_cast<int64_t>(buffers_[i].bytes), buffers_[i].first_use, buffers_[i].last_use});
    arena_buffers.push_back(static_cast<int>(i));
  }
  ArenaPlan plan = plan_arena(requests);
  for (size_t r = 0; r < arena_buffers.size(); ++r) buffers_[arena_buffers[r]].offset = plan.offsets[r];
  return std::make_unique<Program>(std::move(buffers_), std::move(slots_), std::move(steps_), std::move(output_slots),
                                   plan.total_bytes, options_.threads, engine_);
}

}  // namespace edgeserve::cpu
