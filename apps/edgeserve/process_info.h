// Facts about this process that `edgeserve bench` reports: the cores it may run on and its peak
// resident memory. Linux only (sched_getaffinity, /proc).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace edgeserve::cli {

// Cores in this process's affinity mask (what taskset/cgroups allow), at least 1.
int available_cores();

// Peak resident set size (VmHWM) in bytes, read from /proc/self/status; nullopt if unreadable.
std::optional<int64_t> peak_rss_bytes();

// CPU time (user + system, all threads) this process has used so far, in seconds.
double process_cpu_seconds();

// The VmHWM line of a /proc/<pid>/status text, in bytes; nullopt if absent or malformed.
std::optional<int64_t> parse_vm_hwm_bytes(std::string_view status_text);

}  // namespace edgeserve::cli
