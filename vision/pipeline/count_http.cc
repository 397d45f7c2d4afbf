#include "vision/pipeline/count_http.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <sys/socket.h>
#include <sys/time.h>

#include "common/json_writer.h"
#include "common/strings.h"
#include "vision/pipeline/report_format.h"

namespace edgeserve::vision {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kMaxBodyBytes = 1 << 20;
constexpr size_t kMaxHeaderBytes = 8 << 10;
constexpr int kMaxConnections = 16;
constexpr int kReadTimeoutS = 5;

HttpReply error_reply(int status, const std::string& message) {
  JsonWriter w;
  w.begin_object().key("error").string(message).end_object();
  return {status, "application/json", w.str()};
}

int status_for(const Status& s) {
  switch (s.code()) {
    case StatusCode::kNotFound: return 404;
    case StatusCode::kInvalidArgument: return 400;
    default: return 500;
  }
}

}  // namespace

HttpReply handle_count_request(CountPipeline& pipeline, const std::string& method, const std::string& target,
                               const std::string& body) {
  const std::string path = target.substr(0, target.find('?'));
  const std::string zones_prefix = "/v1/zones/";
  if (method == "GET" && path == "/v1/health") return {200, "application/json", "{\"status\":\"ok\"}"};
  if (method == "GET" && path == "/v1/counts") return {200, "application/json", counts_json(pipeline.report())};
  if (method == "GET" && path == "/metrics") return {200, "text/plain; version=0.0.4", metrics_text(pipeline.report())};
  if (path.rfind(zones_prefix, 0) == 0) {
    const std::string source = path.substr(zones_prefix.size());
    if (method == "GET") {
      auto scene = pipeline.scene(source);
      if (!scene.is_ok()) return error_reply(404, scene.status().message());
      return {200, "application/json", scene_json(*scene)};
    }
    if (method == "PUT") {
      auto scene = parse_scene(body, "PUT /v1/zones/" + source);
      if (!scene.is_ok()) return error_reply(400, scene.status().message());
      const Status s = pipeline.set_scene(source, std::move(scene).value());
      if (!s.is_ok()) return error_reply(status_for(s), s.message());
      auto now = pipeline.scene(source);
      return {200, "application/json", now.is_ok() ? scene_json(*now) : "{}"};
    }
    return error_reply(405, method + " is not allowed on " + path + " (GET or PUT)");
  }
  if (path == "/v1/health" || path == "/v1/counts" || path == "/metrics") {
    return error_reply(405, method + " is not allowed on " + path + " (GET)");
  }
  return error_reply(404, "no route " + path + " (see docs/counting.md: /v1/counts, /v1/zones/<source>, /metrics)");
}

struct CountHttpApi::Impl {
  CountPipeline* pipeline = nullptr;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread accept_thread;
  std::atomic<bool> stopping{false};
  std::atomic<int> connections{0};
  std::mutex mu;
  std::condition_variable idle;

  void accept_loop() {
    while (!stopping) {
      beast::error_code ec;
      tcp::socket socket(io);
      acceptor.accept(socket, ec);
      if (ec || stopping) continue;
      if (connections.load() >= kMaxConnections) continue;  // socket closes as it goes out of scope
      ++connections;
      std::thread([this, s = std::move(socket)]() mutable {
        serve(std::move(s));
        std::lock_guard lock(mu);
        --connections;
        idle.notify_all();
      }).detach();
    }
  }

  void serve(tcp::socket socket) {
    timeval tv{kReadTimeoutS, 0};
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    beast::flat_buffer buffer;
    for (int served = 0; served < 1000 && !stopping; ++served) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(kMaxBodyBytes);
      parser.header_limit(kMaxHeaderBytes);
      beast::error_code ec;
      http::read(socket, buffer, parser, ec);
      if (ec == http::error::body_limit) {
        reply(socket, 11, false, error_reply(413, str_cat("request body over ", kMaxBodyBytes, " bytes")), ec);
        return;
      }
      if (ec) return;
      const auto& req = parser.get();
      const HttpReply r = handle_count_request(*pipeline, std::string(req.method_string()), std::string(req.target()), req.body());
      reply(socket, req.version(), req.keep_alive(), r, ec);
      if (ec || !req.keep_alive()) return;
    }
  }

  static void reply(tcp::socket& socket, unsigned version, bool keep_alive, const HttpReply& r, beast::error_code& ec) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), version};
    res.set(http::field::content_type, r.content_type);
    res.set(http::field::server, "edgeserve-count");
    res.keep_alive(keep_alive);
    res.body() = r.body;
    res.prepare_payload();
    http::write(socket, res, ec);
  }
};

CountHttpApi::CountHttpApi(std::unique_ptr<Impl> impl, int port) : impl_(std::move(impl)), port_(port) {}

CountHttpApi::~CountHttpApi() { stop(); }

Result<std::unique_ptr<CountHttpApi>> CountHttpApi::start(CountPipeline* pipeline, const std::string& host, int port) {
  auto impl = std::make_unique<Impl>();
  impl->pipeline = pipeline;
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return invalid_argument("output.http_host: '" + host + "' is not an IP address");
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return unavailable(str_cat("HTTP API on ", host, ":", port, ": ", ec.message()));
  const int bound = impl->acceptor.local_endpoint().port();
  Impl* raw = impl.get();
  impl->accept_thread = std::thread([raw] { raw->accept_loop(); });
  return std::unique_ptr<CountHttpApi>(new CountHttpApi(std::move(impl), bound));
}

void CountHttpApi::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  beast::error_code ec;
  // Closing the acceptor does not wake a blocked accept(); shutting its socket down does.
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
  impl_->acceptor.close(ec);
  // Connection threads end within the read timeout; wait for them so none outlives the pipeline.
  std::unique_lock lock(impl_->mu);
  impl_->idle.wait_for(lock, std::chrono::seconds(kReadTimeoutS + 1), [&] { return impl_->connections.load() == 0; });
}

}  // namespace edgeserve::vision
