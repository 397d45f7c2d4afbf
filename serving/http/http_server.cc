// HttpServer on Boost.Beast: an acceptor, one strand per connection, a parser bounded by
// header/body limits and a timer, and responses posted back to the connection's strand.
#include "serving/http/http_server.h"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <thread>
#include <vector>

namespace edgeserve::serving {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  // Keeps run() going while no socket operation is pending (every request in a handler and the
  // acceptor closed during shutdown): answers posted later must still be written.
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  std::vector<std::thread> threads;
  std::atomic<int64_t> requests_in_handler{0};  // read, not yet answered
  std::atomic<bool> stopped{false};
  int port = 0;

  void accept();
};

namespace {

const char* kInferenceHeader = "Inference-Header-Content-Length";
constexpr size_t kReadChunkBytes = 64 * 1024;

// One client connection: read a request, hand it to the handler, write the answer, repeat.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, HttpServer::Impl* server) : stream_(std::move(socket)), server_(server) {
    // Beast reads as much as the buffer's free capacity (at least 512 bytes), and the parser
    // drains body bytes out of it: without room a 600 KB tensor took ~1,200 reads of 512 bytes
    // (+4 ms per request). 64 KiB per connection makes it about ten.
    buffer_.reserve(kReadChunkBytes);
  }

  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_->options.max_header_bytes));
    parser_->body_limit(static_cast<uint64_t>(server_->options.max_body_bytes));
    stream_.expires_after(std::chrono::seconds(server_->options.read_timeout_s));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::connection_reset || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted) {
      return close();
    }
    if (ec) return reject(ec);
    stream_.expires_never();
    http::request<http::string_body> req = parser_->release();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    auto it = req.find(kInferenceHeader);
    if (it != req.end()) parse_length(it->value(), &request);
    request.body = std::move(req.body());
    ++server_->requests_in_handler;
    server_->handler(std::move(request), [self = shared_from_this()](HttpResponse r) {
      asio::post(self->stream_.get_executor(), [self, r = std::move(r)]() mutable { self->write(std::move(r)); });
    });
  }

  static void parse_length(beast::string_view v, HttpRequest* request) {
    size_t n = 0;
    bool ok = !v.empty() && v.size() < 19;
    for (char c : v) {
      ok = ok && c >= '0' && c <= '9';
      n = n * 10 + static_cast<size_t>(c - '0');
    }
    if (ok) request->inference_header_length = n;
    else request->bad_inference_header_length = true;
  }

  // A request that cannot be parsed: answer once if the client can still read it, then close.
  void reject(beast::error_code ec) {
    HttpResponse r;
    if (ec == http::error::body_limit) {
      r.status = 413;
      r.body = "{\"error\":\"request body is larger than the limit of " + std::to_string(server_->options.max_body_bytes) +
               " bytes (--http-max-input-bytes)\"}";
    } else if (ec == http::error::header_limit) {
      r.status = 431;
      r.body = "{\"error\":\"request headers are larger than " + std::to_string(server_->options.max_header_bytes) + " bytes\"}";
    } else {
      r.status = 400;
      r.body = "{\"error\":\"malformed HTTP request: " + ec.message() + "\"}";
    }
    keep_alive_ = false;
    ++server_->requests_in_handler;
    write(std::move(r));
  }

  void write(HttpResponse r) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), version_);
    res->set(http::field::server, "edgeserve");
    res->set(http::field::content_type, r.content_type);
    if (r.inference_header_length) res->set(kInferenceHeader, std::to_string(*r.inference_header_length));
    res->keep_alive(keep_alive_ && !server_->stopped.load());
    res->body() = std::move(r.body);
    res->prepare_payload();
    stream_.expires_after(std::chrono::seconds(server_->options.write_timeout_s));
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      --self->server_->requests_in_handler;
      if (ec || !res->keep_alive()) return self->close();
      self->read();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  HttpServer::Impl* server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
};

}  // namespace

void HttpServer::Impl::accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Connection>(std::move(socket), this)->read();
    }
    accept();
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(0); }

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpServerOptions& options, HttpHandler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  const std::string where = options.host + ":" + std::to_string(options.port);
  beast::error_code ec;
  const auto address = asio::ip::make_address(options.host, ec);
  if (ec) return invalid_argument("HTTP: '" + options.host + "' is not an IP address");
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return unavailable("HTTP: cannot listen on " + where + ": " + ec.message());
  impl->port = impl->acceptor.local_endpoint().port();
  impl->accept();
  for (int i = 0; i < std::max(1, options.threads); ++i) impl->threads.emplace_back([io = &impl->ioc] { io->run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

int HttpServer::port() const { return impl_->port; }

void HttpServer::stop_accepting() {
  asio::post(impl_->ioc, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
  });
}

void HttpServer::stop(int64_t wait_ms) {
  if (impl_->stopped.exchange(true)) return;
  stop_accepting();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (impl_->requests_in_handler.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  impl_->work.reset();
  impl_->ioc.stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace edgeserve::serving
