// Parsing and checking of `edgeserve perf` options.
#include "apps/edgeserve/perf_options.h"

#include <cmath>

#include "common/strings.h"

namespace edgeserve::cli {

namespace {

// Far above any sensible load; the bounds keep the int conversions exact and the schedule
// arithmetic (index / rate in double) precise to the nanosecond over a day.
constexpr int64_t kMaxConcurrency = 100000;
constexpr double kMaxRatePerS = 10'000'000;
constexpr double kMaxSeconds = 86400;

Result<int64_t> int_in(const Args& args, const std::string& flag, int64_t fallback, int64_t min, int64_t max) {
  EDGE_ASSIGN_OR_RETURN(int64_t v, args.get_int(flag, fallback));
  if (v < min || v > max) return invalid_argument(str_cat(flag, " expects an integer in ", min, "..", max, ", got ", v));
  return v;
}

// Seconds in [0, kMaxSeconds], or (0, kMaxSeconds] unless `zero_ok`.
Result<double> seconds(const Args& args, const std::string& flag, double fallback, bool zero_ok) {
  EDGE_ASSIGN_OR_RETURN(double v, args.get_double(flag, fallback));
  if (!std::isfinite(v) || v < 0 || (v == 0 && !zero_ok) || v > kMaxSeconds) {
    return invalid_argument(str_cat(flag, " expects seconds in ", zero_ok ? "[0, " : "(0, ", kMaxSeconds, "], got ",
                                    args.get(flag)));
  }
  return v;
}

Status parse_target(const Args& args, PerfOptions& o) {
  if (!args.positional.empty()) return invalid_argument(str_cat("unexpected argument '", args.positional[0], "'"));
  if (!args.has("--url")) return invalid_argument("--url HOST:PORT is required");
  if (!args.has("--model")) return invalid_argument("--model NAME is required");
  EDGE_RETURN_IF_ERROR(split_host_port(args.get("--url"), &o.host, &o.port));
  o.model = args.get("--model");
  o.model_version = args.get("--model-version");
  if (o.model.empty()) return invalid_argument("--model expects a name");
  const std::string protocol = args.get("--protocol", "http");
  if (protocol == "http") {
    o.protocol = PerfProtocol::kHttp;
  } else if (protocol == "grpc") {
    o.protocol = PerfProtocol::kGrpc;
  } else {
    return invalid_argument(str_cat("--protocol expects http or grpc, got '", protocol, "'"));
  }
  return Status::ok();
}

Status parse_load(const Args& args, PerfOptions& o) {
  if (args.has("--concurrency") && args.has("--rate")) {
    return invalid_argument("--concurrency and --rate are mutually exclusive");
  }
  if (args.has("--rate")) {
    EDGE_ASSIGN_OR_RETURN(double rate, args.get_double("--rate", 0));
    if (!std::isfinite(rate) || rate <= 0 || rate > kMaxRatePerS) {
      return invalid_argument(str_cat("--rate expects requests per second in (0, ", kMaxRatePerS, "], got ",
                                      args.get("--rate")));
    }
    o.load = PerfLoad::kRate;
    o.rate_per_s = rate;
  } else {
    EDGE_ASSIGN_OR_RETURN(int64_t c, int_in(args, "--concurrency", 1, 1, kMaxConcurrency));
    o.load = PerfLoad::kConcurrency;
    o.concurrency = static_cast<int>(c);
  }
  EDGE_ASSIGN_OR_RETURN(o.duration_s, seconds(args, "--duration", kPerfDefaultDurationS, false));
  EDGE_ASSIGN_OR_RETURN(o.warmup_s, seconds(args, "--warmup-s", kPerfDefaultWarmupS, true));
  EDGE_ASSIGN_OR_RETURN(o.timeout_ms, int_in(args, "--timeout-ms", kPerfDefaultTimeoutMs, 1, 3'600'000));
  EDGE_ASSIGN_OR_RETURN(o.max_outstanding,
                        int_in(args, "--max-outstanding", kPerfDefaultMaxOutstanding, 1, kMaxConcurrency));
  if (args.has("--max-outstanding") && o.load != PerfLoad::kRate) {
    return invalid_argument("--max-outstanding applies to --rate only (with --concurrency C, C requests are outstanding)");
  }
  return Status::ok();
}

Status parse_payload(const Args& args, PerfOptions& o) {
  EDGE_ASSIGN_OR_RETURN(o.batch, int_in(args, "--batch", 1, 1, int64_t{1} << 31));
  for (const std::string& s : args.all("--shape")) {
    EDGE_ASSIGN_OR_RETURN(ShapeOverride shape, parse_shape_override(s));
    o.shapes.push_back(std::move(shape));
  }
  if (args.has("--binary") && args.has("--json")) return invalid_argument("--binary and --json are mutually exclusive");
  if (args.has("--json") && o.protocol != PerfProtocol::kHttp) {
    return invalid_argument("--json applies to --protocol http only (gRPC sends raw_input_contents)");
  }
  o.binary_inputs = !args.has("--json");
  o.json_report = args.has("--json-report");
  return Status::ok();
}

}  // namespace

const char* perf_protocol_name(PerfProtocol p) {
  switch (p) {
    case PerfProtocol::kHttp:
      return "http";
    case PerfProtocol::kGrpc:
      return "grpc";
  }
  return "?";
}

std::string PerfOptions::url() const {
  return host.find(':') == std::string::npos ? str_cat(host, ":", port) : str_cat("[", host, "]:", port);
}

Status split_host_port(const std::string& url, std::string* host, std::string* port) {
  std::string s = url;
  for (const char* scheme : {"http://", "grpc://"}) {
    if (s.rfind(scheme, 0) == 0) s = s.substr(std::string(scheme).size());
  }
  if (s.find("://") != std::string::npos) {
    return invalid_argument(str_cat("--url: only plain http:// or grpc:// (no TLS), got '", url, "'"));
  }
  if (!s.empty() && s.back() == '/') s.pop_back();
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return invalid_argument(str_cat("--url expects HOST:PORT, got '", url, "'"));
  std::string h = s.substr(0, colon);
  const std::string p = s.substr(colon + 1);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  } else if (h.find(':') != std::string::npos) {
    return invalid_argument(str_cat("--url: write an IPv6 host in brackets, e.g. [::1]:8000, got '", url, "'"));
  }
  int64_t n = 0;
  bool ok = !p.empty() && p.size() <= 5 && !h.empty();
  for (char c : p) {
    ok = ok && c >= '0' && c <= '9';
    n = n * 10 + (c - '0');
  }
  if (!ok || n < 1 || n > 65535) {
    return invalid_argument(str_cat("--url expects HOST:PORT with a port in 1..65535, got '", url, "'"));
  }
  *host = h;
  *port = p;
  return Status::ok();
}

ArgSpec perf_arg_spec() {
  return {{"--url", "--model", "--model-version", "--protocol", "--concurrency", "--rate", "--duration", "--warmup-s",
           "--batch", "--shape", "--timeout-ms", "--max-outstanding"},
          {"--binary", "--json", "--json-report", "--help"}};
}

Result<PerfOptions> parse_perf_options(const Args& args) {
  PerfOptions o;
  EDGE_RETURN_IF_ERROR(parse_target(args, o));
  EDGE_RETURN_IF_ERROR(parse_load(args, o));
  EDGE_RETURN_IF_ERROR(parse_payload(args, o));
  return o;
}

}  // namespace edgeserve::cli
