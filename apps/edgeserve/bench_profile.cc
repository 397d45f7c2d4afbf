// Aggregation of RunProfiles into per-op-type and per-node averages.
#include "apps/edgeserve/bench_profile.h"

#include <algorithm>
#include <set>

namespace edgeserve::cli {

void ProfileTotals::add_run(const RunProfile& profile) {
  ++runs_;
  for (const RunProfile::Entry& e : profile.entries) {
    NodeSum& sum = nodes_[e.parent + "/" + e.node];
    sum.op_type = e.op_type;
    sum.parent = e.parent;
    sum.kernel = e.kernel;
    sum.ms += e.ms;
    if (e.parent.empty()) step_ms_ += e.ms;
  }
}

void ProfileTotals::merge(const ProfileTotals& other) {
  runs_ += other.runs_;
  step_ms_ += other.step_ms_;
  for (const auto& [key, sum] : other.nodes_) {
    NodeSum& mine = nodes_[key];
    mine.op_type = sum.op_type;
    mine.parent = sum.parent;
    mine.kernel = sum.kernel;
    mine.ms += sum.ms;
  }
}

double ProfileTotals::step_ms_per_run() const { return runs_ == 0 ? 0 : step_ms_ / static_cast<double>(runs_); }

std::vector<OpTypeRow> ProfileTotals::by_op_type() const {
  if (runs_ == 0) return {};
  // Leaves only: a fused step (a cpu subgraph) is broken down into its inner entries, so the
  // table shows Conv, Reorder, ... rather than one opaque subgraph; the percentages still add up.
  std::set<std::string> fused_steps;
  for (const auto& [key, sum] : nodes_) {
    if (!sum.parent.empty()) fused_steps.insert(sum.parent);
  }
  std::map<std::string, OpTypeRow> rows;
  for (const auto& [key, sum] : nodes_) {
    if (sum.parent.empty() && fused_steps.count(key.substr(1))) continue;
    OpTypeRow& row = rows[sum.op_type];
    row.op_type = sum.op_type;
    row.ms_per_run += sum.ms / static_cast<double>(runs_);
    row.nodes_per_run += 1;
  }
  std::vector<OpTypeRow> out;
  const double total = step_ms_per_run();
  for (auto& [op, row] : rows) {
    row.percent = total > 0 ? 100.0 * row.ms_per_run / total : 0;
    out.push_back(row);
  }
  std::stable_sort(out.begin(), out.end(), [](const OpTypeRow& a, const OpTypeRow& b) { return a.ms_per_run > b.ms_per_run; });
  return out;
}

std::vector<NodeRow> ProfileTotals::by_node() const {
  std::vector<NodeRow> out;
  if (runs_ == 0) return out;
  for (const auto& [key, sum] : nodes_) {
    const std::string node = key.substr(sum.parent.size() + 1);
    out.push_back(NodeRow{node, sum.op_type, sum.parent, sum.kernel, sum.ms / static_cast<double>(runs_)});
  }
  std::stable_sort(out.begin(), out.end(), [](const NodeRow& a, const NodeRow& b) { return a.ms_per_run > b.ms_per_run; });
  return out;
}

}  // namespace edgeserve::cli
