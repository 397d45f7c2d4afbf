// Prometheus metrics: one family per counter, labelled by model and version; process metrics
// from /proc/self (standard names, so dashboards built for other exporters work).
#include "serving/core/metrics_text.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace edgeserve::serving {
namespace {

struct Family {
  const char* name;
  const char* type;
  const char* help;
};

void header(std::ostringstream& os, const Family& f) {
  os << "# HELP " << f.name << ' ' << f.help << "\n# TYPE " << f.name << ' ' << f.type << '\n';
}

std::string labels(const ModelStatistics& m) { return "{model=\"" + m.name + "\",version=\"" + m.version + "\"}"; }

template <typename Get>
void family(std::ostringstream& os, const Family& f, const std::vector<ModelStatistics>& models, Get get) {
  header(os, f);
  for (const ModelStatistics& m : models) os << f.name << labels(m) << ' ' << get(m) << '\n';
}

void histogram(std::ostringstream& os, const std::vector<ModelStatistics>& models) {
  const Family f{"edgeserve_request_duration_seconds", "histogram",
                 "Request duration from admission to response (success and failure)"};
  header(os, f);
  for (const ModelStatistics& m : models) {
    const std::string base = "model=\"" + m.name + "\",version=\"" + m.version + "\"";
    for (size_t i = 0; i < m.duration_bucket_bounds_s.size(); ++i) {
      os << f.name << "_bucket{" << base << ",le=\"" << m.duration_bucket_bounds_s[i] << "\"} "
         << m.duration_bucket_counts[i] << '\n';
    }
    os << f.name << "_bucket{" << base << ",le=\"+Inf\"} " << m.completed.count << '\n';
    os << f.name << "_sum{" << base << "} " << static_cast<double>(m.completed.ns) * 1e-9 << '\n';
    os << f.name << "_count{" << base << "} " << m.completed.count << '\n';
  }
}

void process_metrics(std::ostringstream& os) {
  // /proc/self/stat fields 14 and 15: user and system time in clock ticks.
  std::ifstream stat("/proc/self/stat");
  std::string line;
  std::getline(stat, line);
  const size_t paren = line.rfind(')');
  double cpu_s = 0;
  if (paren != std::string::npos) {
    std::istringstream rest(line.substr(paren + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    cpu_s = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  std::ifstream statm("/proc/self/statm");
  long long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  header(os, {"process_cpu_seconds_total", "counter", "User and system CPU time of the server process"});
  os << "process_cpu_seconds_total " << cpu_s << '\n';
  header(os, {"process_resident_memory_bytes", "gauge", "Resident memory of the server process"});
  os << "process_resident_memory_bytes " << pages_resident * sysconf(_SC_PAGESIZE) << '\n';
}

}  // namespace

std::string format_metrics(const std::vector<ModelStatistics>& models) {
  std::ostringstream os;
  family(os, {"edgeserve_inference_request_success_total", "counter", "Successful inference requests"}, models,
         [](const ModelStatistics& m) { return m.success.count; });
  family(os, {"edgeserve_inference_request_failure_total", "counter", "Failed inference requests (incl. rejected)"},
         models, [](const ModelStatistics& m) { return m.fail.count; });
  family(os, {"edgeserve_inference_request_rejected_total", "counter", "Requests refused because the queue was full"},
         models, [](const ModelStatistics& m) { return m.rejected_overload; });
  family(os, {"edgeserve_inference_count_total", "counter", "Inferences performed (a batch of 8 counts 8)"}, models,
         [](const ModelStatistics& m) { return m.inference_count; });
  family(os, {"edgeserve_inference_exec_count_total", "counter", "Engine runs (a batch of 8 counts 1)"}, models,
         [](const ModelStatistics& m) { return m.execution_count; });
  family(os, {"edgeserve_inference_queue_duration_us_total", "counter", "Time requests waited in the queue"}, models,
         [](const ModelStatistics& m) { return m.queue.ns / 1000; });
  family(os, {"edgeserve_inference_compute_infer_duration_us_total", "counter", "Time in the engine"}, models,
         [](const ModelStatistics& m) { return m.compute_infer.ns / 1000; });
  family(os, {"edgeserve_inference_compute_input_duration_us_total", "counter", "Time gathering batch inputs"},
         models, [](const ModelStatistics& m) { return m.compute_input.ns / 1000; });
  family(os, {"edgeserve_inference_compute_output_duration_us_total", "counter", "Time splitting batch outputs"},
         models, [](const ModelStatistics& m) { return m.compute_output.ns / 1000; });
  family(os, {"edgeserve_inference_pending_request_count", "gauge", "Requests queued or running"}, models,
         [](const ModelStatistics& m) { return m.pending; });
  histogram(os, models);
  process_metrics(os);
  return os.str();
}

}  // namespace edgeserve::serving
