// The KServe v2 client's transport: one Beast connection driven by a private io_context, so each
// blocking call is a chain of async operations under one deadline (Beast's sync calls have none).
#include "vision/detect/kserve_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cstring>

#include "common/strings.h"

namespace edgeserve::vision {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Request = http::request<http::string_body>;

constexpr const char* kInferenceHeader = "Inference-Header-Content-Length";

struct HttpUrl {
  std::string host;  // brackets removed from an IPv6 literal
  std::string port = "80";
};

Result<HttpUrl> parse_http_url(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind("https://", 0) == 0) return unimplemented("TLS (https://) is not supported; use http://HOST:PORT");
  if (url.rfind(kScheme, 0) != 0) return invalid_argument("expected http://HOST[:PORT]");
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) return invalid_argument("a path after HOST:PORT is not supported");
  HttpUrl out;
  size_t port_colon = rest.rfind(':');
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return invalid_argument("unclosed '[' in the host");
    out.host = std::string(rest.substr(1, close - 1));
    port_colon = close + 1 < rest.size() && rest[close + 1] == ':' ? close + 1 : std::string_view::npos;
  } else {
    out.host = std::string(rest.substr(0, port_colon));
  }
  if (out.host.empty()) return invalid_argument("expected http://HOST[:PORT]: the host is empty");
  if (port_colon != std::string_view::npos) {
    out.port = std::string(rest.substr(port_colon + 1));
    const bool digits = !out.port.empty() && out.port.size() <= 5 &&
                        out.port.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoi(out.port) < 1 || std::stoi(out.port) > 65535) {
      return invalid_argument(str_cat("port '", out.port, "' is not 1..65535"));
    }
  }
  return out;
}

// Model names and versions travel in the path: keep RFC 3986's unreserved characters only.
std::string percent_encode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

struct HttpAnswer {
  unsigned status = 0;
  std::string body;
  std::optional<std::string> json_length;  // Inference-Header-Content-Length, as sent
};

bool closed_by_peer(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe;
}

}  // namespace

struct KServeClient::Connection {
  Connection(std::string host_header, tcp::resolver::results_type endpoints, const KServeClientOptions& o)
      : host_header(std::move(host_header)), endpoints(std::move(endpoints)), timeout(o.timeout),
        max_response_bytes(o.max_response_bytes) {
    // Beast reads at most the buffer's free capacity: 512 bytes at a time without this.
    buffer.reserve(256 * 1024);
  }

  Result<HttpAnswer> exchange(Request& request) {
    request.set(http::field::host, host_header);
    request.set(http::field::user_agent, "edgeserve-vision");
    request.keep_alive(true);
    request.prepare_payload();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const bool reused = connected;
    beast::error_code ec = attempt(request, deadline);
    // A kept connection the server closed while idle fails before any answer: not the server
    // failing this request, so send it once more on a fresh connection.
    if (ec && reused && closed_by_peer(ec)) {
      close();
      ec = attempt(request, deadline);
    }
    if (ec) {
      close();  // its state is unknown: the next call starts on a fresh connection
      return transport_error(ec);
    }
    http::response<http::string_body> res = parser->release();
    HttpAnswer answer;
    answer.status = res.result_int();
    if (auto it = res.find(kInferenceHeader); it != res.end()) answer.json_length = std::string(it->value());
    answer.body = std::move(res.body());
    if (!res.keep_alive()) close();
    return answer;
  }

  // connect (unless connected) -> write -> read, all under `deadline`; returns the first error.
  beast::error_code attempt(const Request& request, std::chrono::steady_clock::time_point deadline) {
    beast::error_code result;
    parser.emplace();
    parser->body_limit(max_response_bytes);
    stage = connected ? "send" : "connect";
    auto on_read = [&](beast::error_code ec, size_t) { result = ec; };
    auto on_write = [&](beast::error_code ec, size_t) {
      if (ec) {
        result = ec;
        return;
      }
      stage = "receive";
      http::async_read(stream, buffer, *parser, on_read);
    };
    auto send = [&] {
      stage = "send";
      http::async_write(stream, request, on_write);
    };
    stream.expires_at(deadline);
    if (connected) {
      send();
    } else {
      stream.async_connect(endpoints, [&](beast::error_code ec, const tcp::endpoint&) {
        if (ec) {
          result = ec;
          return;
        }
        connected = true;
        beast::error_code ignored;
        // Nagle's algorithm would hold the small JSON request back for a delayed ACK (~40 ms).
        stream.socket().set_option(tcp::no_delay(true), ignored);
        send();
      });
    }
    ioc.restart();
    ioc.run();  // returns when the chain has ended: nothing else runs on this context
    stream.expires_never();
    return result;
  }

  Status transport_error(const beast::error_code& ec) const {
    if (ec == beast::error::timeout) {
      return deadline_exceeded(str_cat(stage, ": no answer within ", timeout.count(), " ms"));
    }
    if (ec == http::error::body_limit) {
      return resource_exhausted(str_cat("the answer is larger than ", max_response_bytes, " bytes"));
    }
    return unavailable(str_cat(stage, ": ", ec.message()));
  }

  void close() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    buffer.clear();
    connected = false;
  }

  std::string host_header;
  tcp::resolver::results_type endpoints;
  std::chrono::milliseconds timeout;
  uint64_t max_response_bytes;
  asio::io_context ioc;  // before stream: outlives it
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::string_body>> parser;
  bool connected = false;
  const char* stage = "connect";  // of the exchange in flight, for error messages
};

KServeClient::KServeClient(const KServeClientOptions& options, std::unique_ptr<Connection> connection)
    : options_(options), where_(str_cat(options.url, " model '", options.model, "'")),
      model_path_(str_cat("/v2/models/", percent_encode(options.model))), connection_(std::move(connection)) {
  if (!options.version.empty()) model_path_ += "/versions/" + percent_encode(options.version);
}

KServeClient::~KServeClient() = default;

Result<std::unique_ptr<KServeClient>> KServeClient::create(const KServeClientOptions& options) {
  const std::string where = str_cat(options.url, " model '", options.model, "'");
  if (options.model.empty()) return invalid_argument(str_cat(options.url, ": the model name is empty"));
  if (options.timeout.count() <= 0) return invalid_argument(str_cat(where, ": the timeout must be positive"));
  auto url = parse_http_url(options.url);
  if (!url.is_ok()) return url.status().with_context(str_cat("URL '", options.url, "'"));
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::error_code ec;
  auto endpoints = resolver.resolve(url->host, url->port, ec);
  if (ec) return unavailable(str_cat(where, ": cannot resolve '", url->host, "': ", ec.message()));
  const bool ipv6 = url->host.find(':') != std::string::npos;
  const std::string host_header = str_cat(ipv6 ? "[" : "", url->host, ipv6 ? "]" : "", ":", url->port);
  auto connection = std::make_unique<Connection>(host_header, std::move(endpoints), options);
  return std::unique_ptr<KServeClient>(new KServeClient(options, std::move(connection)));
}

Result<KServeModelSpec> KServeClient::model_spec() {
  Request get(http::verb::get, model_path_, 11);
  auto answer = connection_->exchange(get);
  if (!answer.is_ok()) return answer.status().with_context(str_cat(where_, ": GET ", model_path_));
  if (answer->status != 200) {
    const std::string message = str_cat(where_, ": GET ", model_path_, ": HTTP ", answer->status, ": ",
                                        decode_error_message(answer->body));
    return answer->status == 404 ? not_found(message) : unavailable(message);
  }
  auto spec = decode_model_metadata(answer->body);
  if (!spec.is_ok()) return spec.status().with_context(str_cat(where_, ": GET ", model_path_));
  // The config is an extension (Triton's, edgeserve's); a server without it answers 404.
  const std::string config_path = model_path_ + "/config";
  Request get_config(http::verb::get, config_path, 11);
  auto config = connection_->exchange(get_config);
  if (!config.is_ok()) return config.status().with_context(str_cat(where_, ": GET ", config_path));
  if (config->status == 200) {
    auto max_batch = decode_max_batch_size(config->body);
    if (!max_batch.is_ok()) return max_batch.status().with_context(str_cat(where_, ": GET ", config_path));
    spec->max_batch_size = *max_batch;
  }
  return spec;
}

Result<KServeFloatTensor> KServeClient::infer_fp32(const std::string& input_name, const std::vector<int64_t>& input_shape,
                                                   const float* input, const std::string& output_name) {
  uint64_t elements = 1;
  for (int64_t d : input_shape) elements *= static_cast<uint64_t>(d);
  const uint64_t input_bytes = elements * sizeof(float);
  const std::string header = encode_infer_header(input_name, input_shape, input_bytes, output_name);
  const std::string target = model_path_ + "/infer";
  Request post(http::verb::post, target, 11);
  post.set(http::field::content_type, "application/octet-stream");
  post.set(kInferenceHeader, std::to_string(header.size()));
  std::string& body = post.body();
  body.resize(header.size() + input_bytes);
  std::memcpy(body.data(), header.data(), header.size());
  std::memcpy(body.data() + header.size(), input, input_bytes);
  auto answer = connection_->exchange(post);
  if (!answer.is_ok()) return answer.status().with_context(str_cat(where_, ": POST ", target));
  if (answer->status != 200) {
    const std::string message = str_cat(where_, ": POST ", target, ": HTTP ", answer->status, ": ",
                                        decode_error_message(answer->body));
    return answer->status == 404 ? not_found(message) : answer->status == 400 ? invalid_argument(message)
                                                                              : unavailable(message);
  }
  std::optional<std::string_view> json_length;
  if (answer->json_length) json_length = *answer->json_length;
  auto out = decode_infer_response(answer->body, json_length, output_name);
  if (!out.is_ok()) return out.status().with_context(str_cat(where_, ": POST ", target));
  return out;
}

}  // namespace edgeserve::vision
