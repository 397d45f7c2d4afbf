// ProgramBuilder: what the cpu op builders (ops/*.cc) use to turn a subgraph into a Program for
// one input-shape signature. It tracks, for every IR value, the slot that holds it (memory
// descriptor + buffer), inserts reorders when an op needs another layout, prepacks constants and
// records the steps; finish() computes lifetimes and the arena plan.
// Not thread-safe; lives for one compilation.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"

#include "common/status.h"
#include "engine/ep/cpu/cpu_options.h"
#include "engine/ep/cpu/packed_constants.h"
#include "engine/ep/cpu/program.h"
#include "engine/ep/execution_provider.h"
#include "engine/ir/graph.h"

namespace edgeserve::cpu {

using dnnl::memory;
using Tag = dnnl::memory::format_tag;

// A row-major descriptor for `dims` (a scalar is described as [1]).
memory::desc plain_md(const memory::dims& dims, memory::data_type type = memory::data_type::f32);
// Row-major for its own element type.
bool is_plain(const memory::desc& md);
// Channels-last (N, spatial..., C innermost; acdb for rank 4) as an explicit-stride descriptor:
// the layout oneDNN's brgconv kernels keep activations in, and that broadcasts per channel fastest.
memory::desc channels_last_md(const memory::dims& dims, memory::data_type type = memory::data_type::f32);

class ProgramBuilder {
 public:
  // `packed` (may be null) shares prepacked constants with the subgraph's other Programs.
  ProgramBuilder(const Subgraph& subgraph, const std::vector<Dims>& input_dims, const CpuOptions& options,
                 PackedConstants* packed = nullptr);

  const dnnl::engine& engine() const { return engine_; }
  const CpuOptions& options() const { return options_; }

  // The slot currently holding non-constant value `v` (an error naming it if none does).
  Result<int> slot_of(const Value* v) const;
  const memory::desc& md(int slot) const { return slots_[slot].md; }
  memory::dims dims_of(const Value* v) const;  // logical dims of a defined value or a constant

  // `v` in layout `want` (same dims): its own slot if the layouts match, else a reordered copy
  // (cached, so several consumers share one reorder).
  Result<int> slot_as(const Value* v, const memory::desc& want, const Node& consumer);
  Result<int> plain_slot(const Value* v, const Node& consumer);
  // Slot `slot`'s contents in layout `want`: the slot itself if it already is, else a new slot
  // filled by a reorder step (not cached: for intermediates that are not IR values).
  Result<int> reordered(int slot, const memory::desc& want, const Node& consumer);
  // A constant in layout `want`, converted once now ("prepacked"). `v->constant` must be float32.
  Result<int> constant_slot(const Value* v, const memory::desc& want);
  // Same, for a constant whose bytes are laid out as `stored` (e.g. a transposed view).
  Result<int> constant_slot(const Value* v, const memory::desc& want, const memory::desc& stored);
  // A constant of any type the provider holds, converted to `want` (whose element type may differ:
  // int8 weights stay int8, a float32 scale could become another type).
  Result<int> typed_constant_slot(const Value* v, const memory::desc& want);
  // A constant whose bytes are used as given, with descriptor `md` (sizes must match).
  int raw_constant_slot(std::shared_ptr<void> data, const memory::desc& md);

  // New arena storage for an op's output.
  Result<int> new_slot(const memory::desc& md, const Node& node);
  // A second view (descriptor) of slot's buffer; the sizes must match (reshape of a plain tensor).
  int view_slot(int slot, const memory::desc& md);
  // A view of slot's buffer (in its element type) with explicit `dims`, element `strides` and start `offset`
  // (a slice, a permutation, or a region of a larger tensor).
  int strided_view(int slot, const memory::dims& dims, const memory::dims& strides, int64_t offset);
  // Whether `consumer` may write its output over value `v`: every other reader of v runs before
  // `consumer` (steps run in subgraph order, so v is dead afterwards), v is not a subgraph output
  // and lives alone in an arena buffer. Builders run in subgraph order too, so those readers'
  // steps (and any layout copies of v they made) already exist.
  bool can_overwrite(const Value* v, const Node& consumer) const;

  void define(const Value* v, int slot);
  void add_step(dnnl::primitive primitive, std::vector<std::pair<int, int>> args, const Node& node);
  // A step our own code computes (program.h HostOp); `args` name its slots as for a primitive.
  void add_host_step(std::shared_ptr<const HostOp> op, std::vector<std::pair<int, int>> args, const Node& node);

  Result<std::unique_ptr<Program>> finish();

 private:
  int add_buffer(Buffer b);
  int add_slot(const memory::desc& md, int buffer);
  void reorder_step(int from, int to, const Node& node);
  void push_step(dnnl::primitive primitive, std::vector<std::pair<int, int>> args, std::string name,
                 std::string op_type);

  const Subgraph& subgraph_;
  dnnl::engine engine_{dnnl::engine::kind::cpu, 0};
  CpuOptions options_;
  PackedConstants* packed_ = nullptr;
  std::vector<Buffer> buffers_;
  std::vector<Slot> slots_;
  std::vector<ProgramStep> steps_;
  std::unordered_map<const Value*, int> value_slot_;
  std::unordered_map<const Value*, std::vector<int>> converted_;  // layout copies per value
  std::unordered_map<int, int> buffer_views_;                     // buffer -> number of slots
  std::unordered_map<const Node*, size_t> position_;              // node -> index in subgraph order
  std::string missing_scratchpad_;  // the first step made in library scratchpad mode (a bug)
};

}  // namespace edgeserve::cpu
