// Timing FP32 and INT8 models side by side (see speed_guard.h).
#include "engine/quantize/speed_guard.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "edgeserve/session.h"

namespace edgeserve::quant {

namespace {

Result<std::unique_ptr<Session>> load(const std::string& bytes, const SpeedOptions& options) {
  SessionOptions so;
  so.provider = Provider::kCpu;
  so.threads = options.threads;
  return Session::load_from_bytes(bytes, so);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// p50 of `runs` timed runs after one warm-up.
Result<double> p50_of_runs(const Session& s, const std::vector<NamedTensor>& sample, int runs) {
  EDGE_RETURN_IF_ERROR(s.run(sample).status());
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    EDGE_RETURN_IF_ERROR(s.run(sample).status());
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  return median(ms);
}

// The node an entry's time belongs to: inner entries of a fused subgraph are named by their
// node, the layout conversions a node needed "<node>/reorder"; a subgraph's own entry is the
// sum of its inner ones and is skipped.
std::string owner(const RunProfile::Entry& e) {
  const std::string suffix = "/reorder";
  if (e.node.size() > suffix.size() && e.node.compare(e.node.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return e.node.substr(0, e.node.size() - suffix.size());
  }
  return e.node;
}

}  // namespace

Result<ModelTiming> profile_model(const std::string& bytes, const std::vector<NamedTensor>& sample,
                                  const SpeedOptions& options) {
  EDGE_ASSIGN_OR_RETURN(auto session, load(bytes, options));
  EDGE_RETURN_IF_ERROR(session->run(sample).status());  // warm-up (and first-use compilation)
  ModelTiming t;
  for (int i = 0; i < options.profiled_runs; ++i) {
    RunProfile profile;
    EDGE_RETURN_IF_ERROR(session->run(sample, &profile).status());
    for (const auto& e : profile.entries) {
      if (e.op_type == "edgeserve.Subgraph" && e.parent.empty()) continue;
      t.node_ms[owner(e)] += e.ms / options.profiled_runs;
    }
  }
  EDGE_ASSIGN_OR_RETURN(t.p50_ms, p50_of_runs(*session, sample, options.runs_per_round));
  return t;
}

Result<std::vector<double>> compare_models(const std::vector<std::string>& models,
                                           const std::vector<NamedTensor>& sample, const SpeedOptions& options) {
  std::vector<std::unique_ptr<Session>> sessions;
  for (const std::string& bytes : models) {
    EDGE_ASSIGN_OR_RETURN(auto s, load(bytes, options));
    sessions.push_back(std::move(s));
  }
  std::vector<std::vector<double>> p50s(models.size());
  for (int r = 0; r < options.rounds; ++r) {
    for (size_t m = 0; m < sessions.size(); ++m) {
      EDGE_ASSIGN_OR_RETURN(double ms, p50_of_runs(*sessions[m], sample, options.runs_per_round));
      p50s[m].push_back(ms);
    }
  }
  std::vector<double> out;
  for (auto& v : p50s) out.push_back(median(v));
  return out;
}

std::vector<std::string> slower_in_int8(const ModelTiming& fp32, const ModelTiming& int8,
                                        const std::vector<std::string>& quantized, double slower_factor) {
  std::vector<std::string> slower;
  for (const std::string& node : quantized) {
    auto f = fp32.node_ms.find(node);
    auto q = int8.node_ms.find(node);
    if (f == fp32.node_ms.end() || q == int8.node_ms.end()) continue;
    if (q->second > slower_factor * f->second) slower.push_back(node);
  }
  return slower;
}

}  // namespace edgeserve::quant
