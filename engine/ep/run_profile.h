// RunProfile: per-node wall times of one run, filled only when the caller asks for it
// (Session::run with a profile). Lives in engine/ep so that kernels can add entries for the nodes
// they run internally; include/edgeserve/session.h re-exports it.
// Ownership and threading: owned by the caller of run(); one profile per run, never shared
// between concurrent runs, so no locking.
#pragma once

#include <string>
#include <vector>

namespace edgeserve {

struct RunProfile {
  struct Entry {
    std::string node;     // graph node name (import names unnamed nodes "<op_type>_<position>")
    std::string op_type;  // with its domain prefix for non-ai.onnx ops ("com.microsoft.Gelu")
    double ms = 0;        // wall time: the kernel, plus freeing the tensors whose last use it was
    // Empty for a step of the execution plan. For an entry a kernel added for a node it runs
    // internally (a fused subgraph): the name of that step's node. Such entries break a step's
    // time down; the step's own entry already includes them, so totals sum steps only.
    std::string parent;
    // The implementation that ran, when the provider knows it (oneDNN's "brgconv:avx512_core",
    // "jit_wino_4x3:avx512_core", ...); empty otherwise.
    std::string kernel;
  };
  std::vector<Entry> entries;  // in execution order; a step's inner entries follow it
};

}  // namespace edgeserve
