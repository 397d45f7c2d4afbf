// HTTP transport of `edgeserve perf`: one Beast connection per outstanding request, reused with
// keep-alive; every exchange (connect if needed, write, read) runs under one deadline.
#include "apps/edgeserve/perf_client_http.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/strings.h"

namespace edgeserve::cli {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Request = http::request<http::string_body>;

constexpr const char* kInferenceHeader = "Inference-Header-Content-Length";
// Outputs of image models run to megabytes; this only stops a runaway answer.
constexpr uint64_t kMaxResponseBytes = uint64_t{1} << 30;

// One exchange's end: `failure_kind` is empty when a response was read.
struct HttpExchange {
  std::string failure_kind;  // "connect", "timeout" or "I/O"
  std::string failure_message;
  unsigned status = 0;
  std::string body;
  std::optional<std::string> json_length;  // Inference-Header-Content-Length, as sent
};

using ExchangeDone = std::function<void(HttpExchange)>;

// One keep-alive connection, used by one exchange at a time. Everything runs on its strand;
// the handlers keep it alive (shared_from_this) while an exchange is in flight.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::io_context& ioc, tcp::resolver::results_type endpoints, std::chrono::milliseconds timeout)
      : stream_(asio::make_strand(ioc)), endpoints_(std::move(endpoints)), timeout_(timeout) {
    buffer_.reserve(64 * 1024);  // Beast reads at most the free capacity: 512 bytes without this
  }

  // Callable from any thread while the connection is idle; `done` runs on the strand.
  void exchange(std::shared_ptr<const Request> request, ExchangeDone done) {
    asio::post(stream_.get_executor(),
               [self = shared_from_this(), request = std::move(request), done = std::move(done)]() mutable {
                 self->start(std::move(request), std::move(done));
               });
  }

 private:
  void start(std::shared_ptr<const Request> request, ExchangeDone done) {
    request_ = std::move(request);
    done_ = std::move(done);
    // One deadline for the whole exchange: it is the request's timeout as the user sees it.
    deadline_ = std::chrono::steady_clock::now() + timeout_;
    stream_.expires_at(deadline_);
    reused_ = connected_;
    if (connected_) return write();
    connect();
  }

  void connect() {
    stream_.async_connect(endpoints_, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return self->fail(ec == beast::error::timeout ? "timeout" : "connect", ec);
      self->connected_ = true;
      beast::error_code ignored;
      // Without it Nagle's algorithm can hold a small request back for a delayed ACK (~40 ms).
      self->stream_.socket().set_option(tcp::no_delay(true), ignored);
      self->write();
    });
  }

  void write() {
    http::async_write(stream_, *request_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->fail_or_retry(ec);
      self->read();
    });
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(kMaxResponseBytes);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->fail_or_retry(ec);
      self->on_response();
    });
  }

  void on_response() {
    http::response<http::string_body> res = parser_->release();
    HttpExchange x;
    x.status = res.result_int();
    if (auto it = res.find(kInferenceHeader); it != res.end()) x.json_length = std::string(it->value());
    x.body = std::move(res.body());
    if (!res.keep_alive()) close();
    finish(std::move(x));
  }

  // A server may close a keep-alive connection that sat idle in the pool (its idle timeout);
  // the next exchange on it then finds the connection closed before any answer. That is not
  // the server failing the request: reconnect and send once more, within the same deadline.
  void fail_or_retry(beast::error_code ec) {
    const bool closed_by_server = ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
                                  ec == asio::error::broken_pipe || ec == asio::error::eof;
    if (reused_ && closed_by_server) {
      reused_ = false;
      close();
      stream_.expires_at(deadline_);  // close() cancelled the timer
      return connect();
    }
    fail(ec == beast::error::timeout ? "timeout" : "I/O", ec);
  }

  void fail(const char* kind, beast::error_code ec) {
    close();  // the stream's state is unknown: the next exchange starts on a fresh connection
    HttpExchange x;
    x.failure_kind = kind;
    x.failure_message = kind == std::string("timeout") ? str_cat("no answer within ", timeout_.count(), " ms")
                                                       : ec.message();
    finish(std::move(x));
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    buffer_.clear();
    connected_ = false;
  }

  void finish(HttpExchange x) {
    stream_.expires_never();
    request_.reset();
    ExchangeDone done = std::move(done_);  // also breaks the done -> connection cycle
    done_ = nullptr;
    done(std::move(x));
  }

  beast::tcp_stream stream_;
  tcp::resolver::results_type endpoints_;
  std::chrono::milliseconds timeout_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::shared_ptr<const Request> request_;
  ExchangeDone done_;
  bool connected_ = false;
  bool reused_ = false;  // this exchange started on a connection kept from an earlier one
  std::chrono::steady_clock::time_point deadline_;  // of the exchange in flight
};

Result<tcp::resolver::results_type> resolve(asio::io_context& ioc, const PerfOptions& o) {
  tcp::resolver resolver(ioc);
  beast::error_code ec;
  auto endpoints = resolver.resolve(o.host, o.port, ec);
  if (ec) return unavailable(str_cat("cannot resolve ", o.url(), ": ", ec.message()));
  return endpoints;
}

std::string model_path(const PerfOptions& o) {
  std::string path = str_cat("/v2/models/", o.model);
  if (!o.model_version.empty()) path += str_cat("/versions/", o.model_version);
  return path;
}

std::shared_ptr<Request> make_request(http::verb verb, const std::string& target, const PerfOptions& o) {
  auto req = std::make_shared<Request>(verb, target, 11);
  req->set(http::field::host, o.url());
  req->set(http::field::user_agent, "edgeserve-perf");
  req->keep_alive(true);
  return req;
}

// Converts an exchange to the outcome of an infer request.
PerfOutcome infer_outcome(const HttpExchange& x) {
  if (!x.failure_kind.empty()) return perf_error(x.failure_kind, x.failure_message);
  if (x.status != 200) return perf_error(str_cat("HTTP ", x.status), decode_error_body(x.body));
  if (x.json_length) {
    // The binary extension: the JSON header length must fit the body, or the answer is garbled.
    const std::string& n = *x.json_length;
    const bool digits = !n.empty() && n.size() < 19 && n.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoull(n) > x.body.size()) {
      return perf_error("bad response", str_cat(kInferenceHeader, " ", n, " does not fit a ", x.body.size(), "-byte body"));
    }
  } else if (x.body.empty() || x.body.front() != '{') {
    return perf_error("bad response", "the 200 answer is not a JSON object");
  }
  return {true, "", ""};
}

class HttpPerfClient final : public PerfClient {
 public:
  HttpPerfClient(const PerfOptions& o, std::shared_ptr<const Request> request)
      : options_(o), request_(std::move(request)), work_(asio::make_work_guard(ioc_)) {}
  ~HttpPerfClient() override { shutdown(); }

  Status init() {
    EDGE_ASSIGN_OR_RETURN(endpoints_, resolve(ioc_, options_));
    thread_ = std::thread([this] { ioc_.run(); });
    return Status::ok();
  }

  void infer(PerfDone done) override {
    std::shared_ptr<Connection> conn = acquire();
    conn->exchange(request_, [this, conn, done = std::move(done)](HttpExchange x) {
      release(conn);
      done(infer_outcome(x));
    });
  }

  void shutdown() override {
    std::call_once(shutdown_once_, [this] {
      work_.reset();
      ioc_.stop();  // handlers still queued are dropped, never run
      if (thread_.joinable()) thread_.join();
    });
  }

 private:
  std::shared_ptr<Connection> acquire() {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.empty()) {
      return std::make_shared<Connection>(ioc_, endpoints_, std::chrono::milliseconds(options_.timeout_ms));
    }
    std::shared_ptr<Connection> conn = std::move(idle_.back());
    idle_.pop_back();
    return conn;
  }

  void release(std::shared_ptr<Connection> conn) {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(std::move(conn));
  }

  PerfOptions options_;
  asio::io_context ioc_;  // first member: outlives the connections that use it
  std::shared_ptr<const Request> request_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  tcp::resolver::results_type endpoints_;
  std::thread thread_;
  std::once_flag shutdown_once_;
  std::mutex mu_;  // guards idle_
  std::vector<std::shared_ptr<Connection>> idle_;
};

}  // namespace

Result<serving::ModelMetadata> http_model_metadata(const PerfOptions& options) {
  asio::io_context ioc;
  EDGE_ASSIGN_OR_RETURN(tcp::resolver::results_type endpoints, resolve(ioc, options));
  auto conn = std::make_shared<Connection>(ioc, endpoints, std::chrono::milliseconds(metadata_timeout_ms(options)));
  HttpExchange answer;
  conn->exchange(make_request(http::verb::get, model_path(options), options),
                 [&answer](HttpExchange x) { answer = std::move(x); });
  ioc.run();  // returns when the exchange has ended: nothing else is queued
  if (!answer.failure_kind.empty()) return unavailable(str_cat(answer.failure_kind, ": ", answer.failure_message));
  if (answer.status != 200) return not_found(str_cat("HTTP ", answer.status, ": ", decode_error_body(answer.body)));
  return decode_model_metadata_json(answer.body);
}

Result<std::unique_ptr<PerfClient>> create_http_perf_client(const PerfOptions& options, HttpInferBody body) {
  auto request = make_request(http::verb::post, model_path(options) + "/infer", options);
  request->set(http::field::content_type, body.json_length ? "application/octet-stream" : "application/json");
  if (body.json_length) request->set(kInferenceHeader, std::to_string(*body.json_length));
  request->body() = std::move(body.body);
  request->prepare_payload();
  auto client = std::make_unique<HttpPerfClient>(options, std::move(request));
  EDGE_RETURN_IF_ERROR(client->init());
  return std::unique_ptr<PerfClient>(std::move(client));
}

}  // namespace edgeserve::cli
