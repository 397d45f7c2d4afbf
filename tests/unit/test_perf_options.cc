// `edgeserve perf` option parsing: defaults, the two load modes, --url forms, rejected values.
#include <gtest/gtest.h>

#include "apps/edgeserve/perf_options.h"

namespace edgeserve::cli {
namespace {

Result<PerfOptions> parse(std::vector<std::string> words) {
  std::vector<char*> argv = {const_cast<char*>("edgeserve"), const_cast<char*>("perf")};
  for (auto& w : words) argv.push_back(w.data());
  EDGE_ASSIGN_OR_RETURN(Args args, parse_args(static_cast<int>(argv.size()), argv.data(), 2, perf_arg_spec()));
  return parse_perf_options(args);
}

// The message of a rejected command line; "" if it parsed.
std::string error_of(std::vector<std::string> words) {
  auto o = parse(std::move(words));
  return o.is_ok() ? "" : o.status().message();
}

TEST(PerfOptions, Defaults) {
  auto o = parse({"--url", "127.0.0.1:8000", "--model", "add"});
  ASSERT_TRUE(o.is_ok()) << o.status().to_string();
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_EQ(o->port, "8000");
  EXPECT_EQ(o->model, "add");
  EXPECT_EQ(o->model_version, "");
  EXPECT_EQ(o->protocol, PerfProtocol::kHttp);
  EXPECT_EQ(o->load, PerfLoad::kConcurrency);
  EXPECT_EQ(o->concurrency, 1);
  EXPECT_EQ(o->duration_s, kPerfDefaultDurationS);
  EXPECT_EQ(o->warmup_s, kPerfDefaultWarmupS);
  EXPECT_EQ(o->batch, 1);
  EXPECT_TRUE(o->binary_inputs);
  EXPECT_FALSE(o->json_report);
  EXPECT_EQ(o->timeout_ms, kPerfDefaultTimeoutMs);
  EXPECT_EQ(o->max_outstanding, kPerfDefaultMaxOutstanding);
}

TEST(PerfOptions, EveryOption) {
  auto o = parse({"--url=localhost:8001", "--model", "resnet", "--model-version", "3", "--protocol", "grpc", "--rate",
                  "250.5", "--duration", "2", "--warmup-s", "0", "--batch", "8", "--shape", "x=8x3", "--shape", "y=",
                  "--json-report", "--timeout-ms", "500", "--max-outstanding", "16"});
  ASSERT_TRUE(o.is_ok()) << o.status().to_string();
  EXPECT_EQ(o->url(), "localhost:8001");
  EXPECT_EQ(o->model_version, "3");
  EXPECT_EQ(o->protocol, PerfProtocol::kGrpc);
  EXPECT_EQ(o->load, PerfLoad::kRate);
  EXPECT_DOUBLE_EQ(o->rate_per_s, 250.5);
  EXPECT_EQ(o->duration_s, 2);
  EXPECT_EQ(o->warmup_s, 0);
  EXPECT_EQ(o->batch, 8);
  ASSERT_EQ(o->shapes.size(), 2u);
  EXPECT_EQ(o->shapes[0].input, "x");
  EXPECT_EQ(o->shapes[0].dims, (Dims{8, 3}));
  EXPECT_TRUE(o->shapes[1].dims.empty());  // a scalar
  EXPECT_TRUE(o->json_report);
  EXPECT_EQ(o->timeout_ms, 500);
  EXPECT_EQ(o->max_outstanding, 16);
}

TEST(PerfOptions, ConcurrencyAndJsonInputs) {
  auto o = parse({"--url", "h:1", "--model", "m", "--concurrency", "12", "--json"});
  ASSERT_TRUE(o.is_ok()) << o.status().to_string();
  EXPECT_EQ(o->load, PerfLoad::kConcurrency);
  EXPECT_EQ(o->concurrency, 12);
  EXPECT_FALSE(o->binary_inputs);
  auto b = parse({"--url", "h:1", "--model", "m", "--binary"});
  ASSERT_TRUE(b.is_ok());
  EXPECT_TRUE(b->binary_inputs);
}

TEST(PerfOptions, RequiredAndExclusive) {
  EXPECT_EQ(error_of({"--model", "m"}), "--url HOST:PORT is required");
  EXPECT_EQ(error_of({"--url", "h:1"}), "--model NAME is required");
  EXPECT_EQ(error_of({"--url", "h:1", "--model", "m", "--rate", "5", "--concurrency", "2"}),
            "--concurrency and --rate are mutually exclusive");
  EXPECT_EQ(error_of({"--url", "h:1", "--model", "m", "--binary", "--json"}), "--binary and --json are mutually exclusive");
  EXPECT_NE(error_of({"--url", "h:1", "--model", "m", "--protocol", "grpc", "--json"}).find("--protocol http only"),
            std::string::npos);
  EXPECT_NE(error_of({"--url", "h:1", "--model", "m", "--max-outstanding", "5"}).find("applies to --rate only"),
            std::string::npos);
  EXPECT_EQ(error_of({"--url", "h:1", "--model", "m", "extra"}), "unexpected argument 'extra'");
  EXPECT_EQ(error_of({"--url", "h:1", "--model", "m", "--threads", "2"}), "unknown option '--threads'");
}

TEST(PerfOptions, RejectsBadValues) {
  const std::vector<std::vector<std::string>> bad = {
      {"--protocol", "udp"},   {"--concurrency", "0"}, {"--concurrency", "x"},  {"--rate", "0"},
      {"--rate", "-3"},        {"--rate", "nan"},      {"--duration", "0"},     {"--duration", "inf"},
      {"--warmup-s", "-1"},    {"--batch", "0"},       {"--timeout-ms", "0"},   {"--shape", "x"},
      {"--shape", "=2x3"},     {"--shape", "x=2xx3"}, {"--model", ""},
  };
  for (const auto& extra : bad) {
    std::vector<std::string> words = {"--url", "h:1", "--model", "m"};
    words.insert(words.end(), extra.begin(), extra.end());
    auto o = parse(words);
    EXPECT_FALSE(o.is_ok()) << extra[0] << " " << extra[1];
    if (!o.is_ok()) {
      EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(PerfOptions, UrlForms) {
  std::string host, port;
  ASSERT_TRUE(split_host_port("http://example.com:8000/", &host, &port).is_ok());
  EXPECT_EQ(host, "example.com");
  EXPECT_EQ(port, "8000");
  ASSERT_TRUE(split_host_port("grpc://10.0.0.1:8001", &host, &port).is_ok());
  EXPECT_EQ(host, "10.0.0.1");
  ASSERT_TRUE(split_host_port("[::1]:65535", &host, &port).is_ok());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, "65535");
  PerfOptions o;
  o.host = host;
  o.port = port;
  EXPECT_EQ(o.url(), "[::1]:65535");  // brackets back for the Host header and the gRPC target
  for (const char* bad : {"", "host", "host:", ":8000", "host:0", "host:65536", "host:80a", "::1:8000", "[]:80",
                          "host:123456", "https://host:443"}) {
    EXPECT_FALSE(split_host_port(bad, &host, &port).is_ok()) << bad;
  }
}

TEST(PerfOptions, MetadataTimeoutHasAFloor) {
  PerfOptions o;
  o.timeout_ms = 5;
  EXPECT_EQ(metadata_timeout_ms(o), kPerfMetadataTimeoutFloorMs);
  o.timeout_ms = kPerfMetadataTimeoutFloorMs * 3;
  EXPECT_EQ(metadata_timeout_ms(o), kPerfMetadataTimeoutFloorMs * 3);
}

}  // namespace
}  // namespace edgeserve::cli
