// Sums of per-node profiles over the measured runs of `edgeserve bench --profile`, and the
// per-op-type and per-node tables made from them.
// Threading: one ProfileTotals per stream thread; merge() them once the threads have joined.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "edgeserve/session.h"

namespace edgeserve::cli {

struct OpTypeRow {
  std::string op_type;
  double ms_per_run = 0;    // summed over its nodes, averaged over runs
  double percent = 0;       // of all steps' time
  double nodes_per_run = 0; // how many nodes of this type ran per run
};

struct NodeRow {
  std::string node;
  std::string op_type;
  std::string parent;  // non-empty for an entry inside a fused step (see RunProfile::Entry)
  std::string kernel;  // the implementation that ran, when known
  double ms_per_run = 0;
};

class ProfileTotals {
 public:
  void add_run(const RunProfile& profile);
  void merge(const ProfileTotals& other);
  int64_t runs() const { return runs_; }
  // Sum of all steps' time per run; entries inside steps are not counted twice.
  double step_ms_per_run() const;
  // Op types by descending time, over leaf entries (a fused step's inner entries instead of the
  // step), so the percentages add up to 100 when the inner entries cover the step.
  std::vector<OpTypeRow> by_op_type() const;
  // Every node, steps and inner entries alike, by descending time.
  std::vector<NodeRow> by_node() const;

 private:
  struct NodeSum {
    std::string op_type;
    std::string parent;
    std::string kernel;
    double ms = 0;
  };
  int64_t runs_ = 0;
  double step_ms_ = 0;
  std::map<std::string, NodeSum> nodes_;  // keyed by parent + "/" + node
};

}  // namespace edgeserve::cli
