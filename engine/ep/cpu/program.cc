// Program execution: bind the caller's tensors and the arena to the prebuilt memory objects,
// then run the primitives in order on the calling thread's OpenMP team.
#include "engine/ep/cpu/program.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <cstdlib>
#include <unordered_map>

#include "common/aligned_buffer.h"
#include "common/strings.h"

namespace edgeserve::cpu {

// Everything one in-flight run needs: its own arena, memory objects bound to it and a stream.
struct Program::RunState {
  std::shared_ptr<void> arena;
  std::vector<dnnl::memory> memories;  // one per slot
  std::vector<StepArgs> step_args;
  dnnl::stream stream;
};

Program::Program(std::vector<Buffer> buffers, std::vector<Slot> slots, std::vector<ProgramStep> steps,
                 std::vector<int> output_slots, int64_t arena_bytes, int threads, dnnl::engine engine)
    : buffers_(std::move(buffers)),
      slots_(std::move(slots)),
      steps_(std::move(steps)),
      output_slots_(std::move(output_slots)),
      arena_bytes_(arena_bytes),
      threads_(threads),
      engine_(std::move(engine)) {
  for (size_t s = 0; s < slots_.size(); ++s) {
    const BufferKind kind = buffers_[slots_[s].buffer].kind;
    if (kind == BufferKind::kInput || kind == BufferKind::kOutput) external_slots_.push_back(static_cast<int>(s));
  }
}

Program::~Program() = default;

std::unique_ptr<Program::RunState> Program::make_state() const {
  auto state = std::make_unique<RunState>();
  const size_t arena = static_cast<size_t>((arena_bytes_ + 63) / 64 * 64 + 64);
  state->arena = aligned_buffer(arena, /*zero=*/false);
  if (state->arena == nullptr) return nullptr;
  char* base = static_cast<char*>(state->arena.get());
  for (const Slot& slot : slots_) {
    const Buffer& b = buffers_[slot.buffer];
    void* handle = DNNL_MEMORY_NONE;
    if (b.kind == BufferKind::kArena) handle = base + b.offset;
    if (b.kind == BufferKind::kConstant) handle = b.data.get();
    state->memories.emplace_back(slot.md, engine_, handle);
  }
  for (const ProgramStep& step : steps_) {
    StepArgs args;
    for (const auto& [arg, slot] : step.args) args.emplace(arg, state->memories[slot]);
    state->step_args.push_back(std::move(args));
  }
  state->stream = dnnl::stream(engine_);
  return state;
}

std::unique_ptr<Program::RunState> Program::acquire() const {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!pool_.empty()) {
      auto state = std::move(pool_.back());
      pool_.pop_back();
      return state;
    }
  }
  return make_state();  // first run, or more concurrent runs than ever before
}

void Program::release(std::unique_ptr<RunState> state) const {
  std::lock_guard<std::mutex> lock(pool_mu_);
  pool_.push_back(std::move(state));
}

// One profile entry per primitive (several per node when reorders were inserted).
void Program::run_profiled(RunState& state, RunProfile& profile) const {
  for (size_t i = 0; i < steps_.size(); ++i) {
    const auto start = std::chrono::steady_clock::now();
    steps_[i].execute(state.stream, state.step_args[i]);
    state.stream.wait();
    const auto end = std::chrono::steady_clock::now();
    profile.entries.push_back({steps_[i].node_name, steps_[i].op_type,
                               std::chrono::duration<double, std::milli>(end - start).count(), {}, steps_[i].kernel});
  }
}

double Program::time_runs(int repeats, bool warm_up) const {
  std::unique_ptr<RunState> state = acquire();
  if (state == nullptr) return std::numeric_limits<double>::infinity();
  std::unordered_map<int, std::shared_ptr<void>> scratch;  // external buffer -> zeroed memory
  for (int s : external_slots_) {
    auto& buffer = scratch[slots_[s].buffer];
    if (buffer == nullptr) buffer = aligned_buffer(buffers_[slots_[s].buffer].bytes, /*zero=*/true);
    if (buffer == nullptr) return std::numeric_limits<double>::infinity();
    state->memories[s].set_data_handle(buffer.get());
  }
  omp_set_num_threads(threads_);
  double best = std::numeric_limits<double>::infinity();
  for (int r = warm_up ? 0 : 1; r <= repeats; ++r) {  // r == 0 warms up
    const auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < steps_.size(); ++i) steps_[i].execute(state->stream, state->step_args[i]);
    state->stream.wait();
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    if (r > 0) best = std::min(best, took.count());
  }
  release(std::move(state));
  return best;
}

Status Program::run(KernelContext& ctx) const {
  std::unique_ptr<RunState> state = acquire();
  if (state == nullptr) return resource_exhausted(str_cat("cpu subgraph: out of memory for a ", arena_bytes_, "-byte arena"));
  std::vector<void*> outputs(output_slots_.size(), nullptr);
  for (size_t k = 0; k < output_slots_.size(); ++k) {
    const dnnl::memory::desc& md = slots_[output_slots_[k]].md;
    const dnnl::memory::dims d = md.dims();
    auto out = ctx.allocate_output(k, edge_dtype(md.data_type()), Dims(d.begin(), d.end()));
    if (!out.is_ok()) {
      release(std::move(state));
      return out.status();
    }
    outputs[k] = out.value()->mutable_raw_data();
  }
  for (int s : external_slots_) {
    const Buffer& b = buffers_[slots_[s].buffer];
    if (b.kind == BufferKind::kInput) {
      if (ctx.input(b.index).dtype() != edge_dtype(slots_[s].md.data_type())) {
        release(std::move(state));
        return invalid_argument(str_cat("cpu subgraph: input ", b.index, " is ", dtype_name(ctx.input(b.index).dtype()),
                                        ", expected ", dtype_name(edge_dtype(slots_[s].md.data_type()))));
      }
      state->memories[s].set_data_handle(const_cast<void*>(ctx.input(b.index).raw_data()));
    } else if (b.kind == BufferKind::kOutput) {
      state->memories[s].set_data_handle(outputs[b.index]);
    }
  }
  omp_set_num_threads(threads_);
  if (ctx.profile() != nullptr) {
    run_profiled(*state, *ctx.profile());
  } else {
    for (size_t i = 0; i < steps_.size(); ++i) steps_[i].execute(state->stream, state->step_args[i]);
    state->stream.wait();
  }
  release(std::move(state));
  return Status::ok();
}

}  // namespace edgeserve::cpu
