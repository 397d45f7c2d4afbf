// Options of `edgeserve perf`, the KServe v2 load generator, parsed and checked. Every bad value
// is a usage error (exit 2) reported as one line; defaults are listed here and in --help.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "apps/edgeserve/args.h"
#include "apps/edgeserve/bench_inputs.h"

namespace edgeserve::cli {

enum class PerfProtocol { kHttp, kGrpc };
// Closed loop: a fixed number of clients, each waiting for its answer before sending again.
// Open loop: sends on a fixed schedule whatever the answers, as independent users would.
enum class PerfLoad { kConcurrency, kRate };

const char* perf_protocol_name(PerfProtocol p);

inline constexpr double kPerfDefaultDurationS = 10;
inline constexpr double kPerfDefaultWarmupS = 2;
// Long enough for a slow model under load; a request still unanswered then counts as an error.
inline constexpr int64_t kPerfDefaultTimeoutMs = 30000;
// Open loop: sends beyond this many unanswered requests count as "client overloaded" errors
// instead of piling up sockets and memory without bound.
inline constexpr int64_t kPerfDefaultMaxOutstanding = 4096;
// Random inputs are the same from run to run, and the same as `edgeserve bench` makes.
inline constexpr uint64_t kPerfInputSeed = 1;

struct PerfOptions {
  std::string host;  // from --url HOST:PORT ("[::1]:8000" for IPv6)
  std::string port;
  std::string model;
  std::string model_version;  // "": the server picks
  PerfProtocol protocol = PerfProtocol::kHttp;
  PerfLoad load = PerfLoad::kConcurrency;
  int concurrency = 1;          // kConcurrency
  double rate_per_s = 0;        // kRate
  double duration_s = kPerfDefaultDurationS;
  double warmup_s = kPerfDefaultWarmupS;
  int64_t batch = 1;            // the first dim of inputs whose first dim is -1
  std::vector<ShapeOverride> shapes;
  bool binary_inputs = true;    // HTTP: binary tensor extension; false: JSON `data`
  bool json_report = false;
  int64_t timeout_ms = kPerfDefaultTimeoutMs;
  int64_t max_outstanding = kPerfDefaultMaxOutstanding;

  std::string url() const;  // host:port as given
};

// The metadata call also opens the first connection, so a --timeout-ms sized for infer requests
// alone does not apply below this floor.
inline constexpr int64_t kPerfMetadataTimeoutFloorMs = 10000;
inline int64_t metadata_timeout_ms(const PerfOptions& o) { return std::max(o.timeout_ms, kPerfMetadataTimeoutFloorMs); }

// Splits "HOST:PORT" (an "http://" or "grpc://" prefix and a trailing "/" are dropped; an IPv6
// host is bracketed). The port must be a number in 1..65535.
Status split_host_port(const std::string& url, std::string* host, std::string* port);

ArgSpec perf_arg_spec();
Result<PerfOptions> parse_perf_options(const Args& args);

}  // namespace edgeserve::cli
