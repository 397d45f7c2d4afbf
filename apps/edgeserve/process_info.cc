// Core count and peak RSS of the running process.
#include "apps/edgeserve/process_info.h"

#include <sched.h>
#include <sys/resource.h>

#include <cctype>
#include <fstream>
#include <sstream>
#include <string>

namespace edgeserve::cli {

double process_cpu_seconds() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  const int n = CPU_COUNT(&set);
  return n > 0 ? n : 1;
}

std::optional<int64_t> parse_vm_hwm_bytes(std::string_view status_text) {
  constexpr std::string_view kKey = "VmHWM:";
  size_t pos = status_text.find(kKey);
  if (pos == std::string_view::npos) return std::nullopt;
  pos += kKey.size();
  while (pos < status_text.size() && (status_text[pos] == ' ' || status_text[pos] == '\t')) ++pos;
  int64_t kib = 0;
  size_t digits = 0;
  for (; pos < status_text.size() && std::isdigit(static_cast<unsigned char>(status_text[pos])); ++pos, ++digits) {
    kib = kib * 10 + (status_text[pos] - '0');
  }
  // The kernel always writes the value in kB; anything else is not the format we know.
  if (digits == 0 || digits > 15 || status_text.substr(pos, 3) != " kB") return std::nullopt;
  return kib * 1024;
}

std::optional<int64_t> peak_rss_bytes() {
  std::ifstream f("/proc/self/status");
  if (!f) return std::nullopt;
  std::stringstream text;
  text << f.rdbuf();
  return parse_vm_hwm_bytes(text.str());
}

}  // namespace edgeserve::cli
