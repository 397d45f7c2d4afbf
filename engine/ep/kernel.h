// The kernel interface every execution provider implements. A Kernel is built once per node at
// session creation (prepare: parse and validate attributes, choose an implementation) and is then
// immutable: run() may be called from several threads at once, each with its own KernelContext.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "common/status.h"
#include "engine/ep/run_profile.h"
#include "engine/ir/graph.h"
#include "engine/ir/tensor.h"

namespace edgeserve {

// Per-call view of one node's inputs and outputs. Owned by the executor, lives for one run().
class KernelContext {
 public:
  KernelContext(const Node& node, std::vector<const Tensor*> inputs, std::vector<Tensor>* outputs,
                int64_t max_tensor_bytes, RunProfile* profile = nullptr)
      : node_(node),
        inputs_(std::move(inputs)),
        outputs_(outputs),
        max_tensor_bytes_(max_tensor_bytes),
        profile_(profile) {}

  const Node& node() const { return node_; }
  size_t num_inputs() const { return inputs_.size(); }
  bool has_input(size_t i) const { return i < inputs_.size() && inputs_[i] != nullptr; }
  // Precondition: has_input(i). Checked at prepare time against the node's arity.
  const Tensor& input(size_t i) const { return *inputs_[i]; }
  const Tensor* optional_input(size_t i) const { return has_input(i) ? inputs_[i] : nullptr; }

  size_t num_outputs() const { return outputs_->size(); }
  // Allocates output i (zero-filled), bounded by the session's per-tensor byte limit.
  Result<Tensor*> allocate_output(size_t i, DType dtype, const Dims& dims);
  // Publishes an existing tensor (possibly sharing an input's buffer) as output i.
  void set_output(size_t i, Tensor t) { (*outputs_)[i] = std::move(t); }
  int64_t max_tensor_bytes() const { return max_tensor_bytes_; }

  // The run's profile, or null when the caller did not ask for one (then time nothing: profiling
  // must cost nothing by default). The executor records one entry per step on its own. A kernel
  // that runs several graph nodes in one call (a fused subgraph) may append one entry per inner
  // node, in execution order, leaving `parent` empty: the executor sets it to this step's node
  // after run() returns. Only the calling thread may append, even if the kernel uses a pool.
  RunProfile* profile() const { return profile_; }

 private:
  const Node& node_;
  std::vector<const Tensor*> inputs_;
  std::vector<Tensor>* outputs_;
  int64_t max_tensor_bytes_;
  RunProfile* profile_;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Computes the outputs. Errors describe what is wrong with the inputs (shapes, values); the
  // executor prefixes the node's description.
  virtual Status run(KernelContext& ctx) const = 0;
  // Optional: bytes of scratch memory (an arena) one run of the kernel uses for the input shapes
  // it was last prepared for; 0 when it has none or has not been prepared yet.
  virtual int64_t arena_bytes() const { return 0; }
};

// A kernel whose state is one parsed-attribute struct and whose body is a function of it.
template <typename State, typename Fn>
class FnKernel final : public Kernel {
 public:
  FnKernel(State state, Fn fn) : state_(std::move(state)), fn_(std::move(fn)) {}
  Status run(KernelContext& ctx) const override { return fn_(state_, ctx); }

 private:
  State state_;
  Fn fn_;
};

template <typename State, typename Fn>
std::unique_ptr<Kernel> make_kernel(State state, Fn fn) {
  return std::make_unique<FnKernel<State, Fn>>(std::move(state), std::move(fn));
}

// A kernel with no attributes.
template <typename Fn>
std::unique_ptr<Kernel> make_kernel(Fn fn) {
  struct NoState {};
  return make_kernel(NoState{}, [fn](const NoState&, KernelContext& ctx) { return fn(ctx); });
}

}  // namespace edgeserve
