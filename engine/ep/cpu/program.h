// Program: a cpu subgraph compiled for one input-shape signature — oneDNN primitives in order,
// every intermediate memory placed in one arena by lifetime, weights prepacked in the layouts the
// primitives chose. Blocked layouts (nChw16c, ...) flow between primitives; conversions happen
// only where an op needs another layout, normally at the subgraph's inputs and outputs.
//
// Threading: a Program is immutable once built. run() may be called concurrently; each call
// borrows a RunState (arena + bound memory objects + stream) from a pool, so steady-state runs
// allocate nothing but the output tensors.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"

#include "common/status.h"
#include "engine/ep/cpu/dnnl_types.h"
#include "engine/ep/kernel.h"

namespace edgeserve::cpu {

enum class BufferKind { kArena, kInput, kOutput, kConstant };

// Storage that one or more slots view.
struct Buffer {
  BufferKind kind = BufferKind::kArena;
  size_t bytes = 0;
  int index = -1;                 // subgraph input/output index for kInput/kOutput
  std::shared_ptr<void> data;     // kConstant: owned, prepacked
  int first_use = -1, last_use = -1;
  int64_t offset = 0;             // kArena: offset in the arena
};

// A memory descriptor on a buffer: what a primitive argument binds to.
struct Slot {
  dnnl::memory::desc md;
  int buffer = -1;
};

using StepArgs = std::unordered_map<int, dnnl::memory>;

// A step computed by our own code instead of a oneDNN primitive: integer ops whose exact
// semantics (ONNX Runtime's fixed-point rounding) no primitive reproduces. It reads and writes
// the bound memories' buffers; run() is called on the run's thread, between primitives, and may
// use the OpenMP team.
class HostOp {
 public:
  virtual ~HostOp() = default;
  virtual void run(const StepArgs& args) const = 0;
};

struct ProgramStep {
  dnnl::primitive primitive;              // empty for a host step
  std::shared_ptr<const HostOp> host;     // set for a host step
  std::vector<std::pair<int, int>> args;  // (DNNL_ARG_*, slot)
  std::string node_name;
  std::string op_type;
  std::string kernel;  // oneDNN's implementation name (or "host"), for profiles

  void execute(dnnl::stream& stream, const StepArgs& bound) const {
    if (host) {
      host->run(bound);
    } else {
      primitive.execute(stream, bound);
    }
  }
};

class Program {
 public:
  Program(std::vector<Buffer> buffers, std::vector<Slot> slots, std::vector<ProgramStep> steps,
          std::vector<int> output_slots, int64_t arena_bytes, int threads, dnnl::engine engine);
  ~Program();

  // Inputs/outputs follow the subgraph's; output tensors are allocated here (plain layout).
  Status run(KernelContext& ctx) const;
  int64_t arena_bytes() const { return arena_bytes_; }
  // Best wall time (ms) of `repeats` runs (after a warm-up run when `warm_up`), on zero-filled
  // inputs with outputs in scratch memory: for choices made by measuring at compile time.
  // Infinity if out of memory.
  double time_runs(int repeats, bool warm_up = true) const;

 private:
  struct RunState;
  std::unique_ptr<RunState> make_state() const;  // null when the arena cannot be allocated
  std::unique_ptr<RunState> acquire() const;
  void release(std::unique_ptr<RunState> state) const;
  void run_profiled(RunState& state, RunProfile& profile) const;

  std::vector<Buffer> buffers_;
  std::vector<Slot> slots_;
  std::vector<ProgramStep> steps_;
  std::vector<int> output_slots_;
  // Slots whose buffer is a subgraph input/output, rebound to the caller's tensors every run.
  std::vector<int> external_slots_;
  int64_t arena_bytes_ = 0;
  int threads_ = 1;
  dnnl::engine engine_;  // the one the primitives were created on; memories must share it
  mutable std::mutex pool_mu_;
  mutable std::vector<std::unique_ptr<RunState>> pool_;  // guarded by pool_mu_
};

}  // namespace edgeserve::cpu
