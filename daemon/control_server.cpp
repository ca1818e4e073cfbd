#include "dasflow/daemon/control_server.hpp"

#include <atomic>
#include <charconv>
#include <chrono>
#include <exception>
#include <optional>
#include <unordered_set>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
// GCC 12 with -fsanitize=address at -O3 reports a false -Wmaybe-uninitialized inside Beast's parser
// (the boost::optional in basic_parser::content_length_unchecked; the family of boostorg/beast#1167).
#pragma GCC diagnostic push
#if defined(__GNUC__) && !defined(__clang__) // clang has no such group (and no false positive)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#pragma GCC diagnostic pop

#include "dasflow/daemon/logging.hpp"

namespace dasflow::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIoTimeout = std::chrono::seconds(10);    ///< per read or write, idle keep-alive included
constexpr auto kLingerTimeout = std::chrono::seconds(2); ///< draining a rejected request, in total
constexpr std::uint64_t kBodyLimit = 8 * 1024;           ///< GET has no body; this only bounds stray ones
constexpr std::uint32_t kHeaderLimit = 8 * 1024;
/// After a failed accept (EMFILE, ENOBUFS) wait before retrying: retrying at once would spin.
constexpr auto kAcceptRetry = std::chrono::milliseconds(200);
constexpr std::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kPlainType = "text/plain; charset=utf-8";
constexpr std::string_view kIndex = "dasflowd control plane\n"
                                    "GET /metrics  Prometheus text format 0.0.4\n"
                                    "GET /status   JSON\n";

std::string endpoint_string(const tcp::endpoint& e) {
  const std::string port = std::to_string(e.port());
  return e.address().is_v6() ? "[" + e.address().to_string() + "]:" + port : e.address().to_string() + ":" + port;
}

// Boost 1.74's beast::string_view is boost::string_view, which does not convert to or from std's.
std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }
beast::string_view bsv(std::string_view s) { return {s.data(), s.size()}; }

bool is_power_of_two(std::uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

/// Whether a response carries its body; every other method is answered as GET would be.
enum class Method { get, head };

} // namespace

Result<tcp::endpoint> parse_listen_address(std::string_view listen) {
  const std::string quoted = "control listen address \"" + std::string(listen) + "\"";
  const auto bad = [&](const std::string& why) { return fail(Errc::config, quoted + ": " + why); };
  const std::string example = "e.g. 127.0.0.1:9108 or [::1]:9108";
  if (listen.empty()) return bad("empty; expected HOST:PORT, " + example);

  std::string_view host, port;
  boost::system::error_code ec;
  asio::ip::address address;
  if (listen.front() == '[') {
    const std::size_t close = listen.find(']');
    if (close == std::string_view::npos) return bad("missing ']' after the IPv6 address");
    host = listen.substr(1, close - 1);
    if (listen.substr(close + 1, 1) != ":") return bad("expected :PORT after ']', " + example);
    port = listen.substr(close + 2);
    address = asio::ip::make_address_v6(std::string(host), ec);
    if (ec) return bad("\"" + std::string(host) + "\" is not an IPv6 address");
  } else {
    const std::size_t colon = listen.rfind(':');
    if (colon == std::string_view::npos) return bad("no port; expected HOST:PORT (port 0: any free port)");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return bad("IPv6 addresses are written in brackets, [::1]:9108");
    address = asio::ip::make_address_v4(std::string(host), ec);
    // Resolving a name would bind whichever of its addresses comes first; the operator must say which.
    if (ec)
      return bad("\"" + std::string(host) + "\" is not an IPv4 address (host names are not resolved), " + example);
  }
  unsigned value = 0;
  const auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || port.size() > 5 || err != std::errc{} || end != port.data() + port.size() || value > 65535)
    return bad("port must be a number from 0 to 65535");
  return tcp::endpoint(address, static_cast<std::uint16_t>(value));
}

namespace detail {

class ControlSession;

/// Everything the asynchronous handlers touch. Sessions and pending handlers hold it by shared_ptr,
/// so a completion that runs after ~ControlServer still finds live objects; it sees `stopped` and ends.
/// All members but the counters are used on the io thread only.
struct ControlState : std::enable_shared_from_this<ControlState> {
  ControlState(asio::io_context& io, ControlHandlers h)
      : acceptor(io), retry_timer(io), handlers(std::move(h)), log(logger("ctl")) {}

  /// Queues the next accept; never throws (it runs inside completion handlers).
  void accept() noexcept;
  void on_accept(const boost::system::error_code& ec, tcp::socket socket) noexcept;
  void stop();

  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;
  ControlHandlers handlers;
  std::shared_ptr<spdlog::logger> log;
  tcp::endpoint local;
  bool stopped = false;
  std::unordered_set<ControlSession*> sessions; ///< open connections; each removes itself when destroyed
  std::atomic<std::uint64_t> requests_served{0}, bad_requests{0}, connections_refused{0};
};

/// One connection: read a request, answer it, repeat while the client keeps the connection alive.
/// Every pending operation holds shared_from_this(), so the session lives exactly as long as its I/O.
class ControlSession : public std::enable_shared_from_this<ControlSession> {
public:
  ControlSession(tcp::socket socket, std::shared_ptr<ControlState> state)
      : stream_(std::move(socket)), state_(std::move(state)) {
    boost::system::error_code ec;
    const tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
    peer_ = ec ? std::string("?") : endpoint_string(peer);
    state_->sessions.insert(this);
  }
  ~ControlSession() { state_->sessions.erase(this); }
  ControlSession(const ControlSession&) = delete;
  ControlSession& operator=(const ControlSession&) = delete;

  void read_request();
  /// Aborts the pending operation; its completion sees `stopped` and lets the session go.
  void close() {
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

private:
  void on_read(const beast::error_code& ec);
  void on_read_error(const beast::error_code& ec);
  void answer(const http::request<http::string_body>& req);
  void set_body(http::status status, std::string_view content_type, std::string body);
  /// Content-Length from the body; for HEAD, then drops the body.
  void finish(Method method);
  void write();
  void on_write(const beast::error_code& ec);
  /// Reads and discards until the client closes or kLingerTimeout passes.
  void linger();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_; ///< fresh per request: limits are per message
  http::response<http::string_body> res_;
  std::shared_ptr<ControlState> state_;
  std::string peer_;
  bool linger_after_write_ = false; ///< a rejected request: the client may still be sending it
};

void ControlSession::read_request() {
  parser_.emplace();
  parser_->body_limit(kBodyLimit);
  parser_->header_limit(kHeaderLimit);
  stream_.expires_after(kIoTimeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](const beast::error_code& ec, std::size_t) { self->on_read(ec); });
}

void ControlSession::on_read(const beast::error_code& ec) {
  // Exceptions (bad_alloc, a throwing logger) end this connection, never io_context::run.
  try {
    if (state_->stopped) return;
    if (ec) return on_read_error(ec);
    answer(parser_->get());
  } catch (const std::exception& e) {
    state_->log->warn("control: connection from {} dropped: {}", peer_, e.what());
  }
}

void ControlSession::on_read_error(const beast::error_code& ec) {
  // The client left (before or in the middle of a request), went silent past the timeout, or reset:
  // nothing to answer, the socket closes with the session.
  if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
      ec.category() != http::make_error_code(http::error::bad_target).category()) {
    state_->log->debug("control: connection from {} closed: {}", peer_, ec.message());
    return;
  }
  ++state_->bad_requests;
  state_->log->warn("control: bad request from {}: {}", peer_, ec.message());
  res_ = {};
  res_.version(11);
  res_.keep_alive(false); // the stream is out of step with the parser: nothing more can be read from it
  const http::status status = ec == http::error::body_limit     ? http::status::payload_too_large
                              : ec == http::error::header_limit ? http::status::request_header_fields_too_large
                                                                : http::status::bad_request;
  set_body(status, kPlainType, "request refused: " + ec.message() + "\n");
  linger_after_write_ = true;
  finish(Method::get);
  write();
}

void ControlSession::answer(const http::request<http::string_body>& req) {
  const std::string_view target = sv(req.target());
  const std::string_view path = target.substr(0, target.find('?'));
  const Method method = req.method() == http::verb::head ? Method::head : Method::get;
  res_ = {};
  res_.version(req.version());
  res_.keep_alive(req.keep_alive());
  ++state_->requests_served;

  const std::function<std::string()>* handler = nullptr;
  std::string_view content_type = kPlainType;
  if (path == "/metrics") {
    handler = &state_->handlers.metrics;
    content_type = kMetricsType;
  } else if (path == "/status") {
    handler = &state_->handlers.status;
    content_type = "application/json";
  }
  if (path != "/" && (handler == nullptr || !*handler)) {
    set_body(http::status::not_found, kPlainType, "not found\n");
  } else if (req.method() != http::verb::get && req.method() != http::verb::head) {
    res_.set(http::field::allow, "GET, HEAD");
    set_body(http::status::method_not_allowed, kPlainType, "method not allowed; use GET or HEAD\n");
  } else {
    try {
      set_body(http::status::ok, content_type, handler != nullptr ? (*handler)() : std::string(kIndex));
    } catch (const std::exception& e) {
      state_->log->warn("control: {} {} failed: {}", sv(req.method_string()), path, e.what());
      set_body(http::status::internal_server_error, kPlainType, "internal error\n");
    }
  }
  finish(method);
  state_->log->debug("control: {} {} {} -> {}", peer_, sv(req.method_string()), target, res_.result_int());
  write();
}

void ControlSession::set_body(http::status status, std::string_view content_type, std::string body) {
  res_.result(status);
  res_.set(http::field::content_type, bsv(content_type));
  res_.set(http::field::server, "dasflowd");
  res_.body() = std::move(body);
}

void ControlSession::finish(Method method) {
  if (method == Method::head) {
    // HEAD: the headers GET would send, Content-Length included, and no body (RFC 9110 §9.3.2).
    const std::size_t n = res_.body().size();
    res_.body().clear();
    res_.content_length(n);
  } else {
    res_.prepare_payload();
  }
}

void ControlSession::write() {
  stream_.expires_after(kIoTimeout);
  http::async_write(stream_, res_,
                    [self = shared_from_this()](const beast::error_code& ec, std::size_t) { self->on_write(ec); });
}

void ControlSession::on_write(const beast::error_code& ec) {
  try {
    if (state_->stopped) return;
    if (ec) {
      state_->log->debug("control: writing to {} failed: {}", peer_, ec.message());
      return;
    }
    if (res_.need_eof()) {
      beast::error_code ignored; // the peer may be gone already; the socket closes with the session
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      // Closing with unread bytes (the rest of an oversized or garbled request) makes the kernel send
      // a reset, which can destroy the response before the client reads it (RFC 9112 §9.6).
      if (linger_after_write_) {
        buffer_.clear();
        stream_.expires_after(kLingerTimeout);
        linger();
      }
      return;
    }
    read_request();
  } catch (const std::exception& e) {
    state_->log->warn("control: connection from {} dropped: {}", peer_, e.what());
  }
}

void ControlSession::linger() {
  stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
    try {
      if (!ec && !self->state_->stopped) self->linger();
    } catch (const std::exception& e) {
      self->state_->log->warn("control: connection from {} dropped: {}", self->peer_, e.what());
    }
  });
}

void ControlState::accept() noexcept {
  try {
    acceptor.async_accept([self = shared_from_this()](const boost::system::error_code& ec, tcp::socket socket) {
      self->on_accept(ec, std::move(socket));
    });
  } catch (const std::exception& e) { // bad_alloc: the only way a handler can fail to be queued
    log->error("control: no longer accepting connections: {}", e.what());
  }
}

void ControlState::on_accept(const boost::system::error_code& ec, tcp::socket socket) noexcept {
  if (stopped) return;
  try {
    if (ec) {
      log->warn("control: accept failed: {}; retrying", ec.message());
      retry_timer.expires_after(kAcceptRetry);
      retry_timer.async_wait([self = shared_from_this()](const boost::system::error_code& wait_ec) {
        if (!wait_ec && !self->stopped) self->accept();
      });
      return;
    }
    if (sessions.size() >= ControlServer::kMaxConnections) {
      const std::uint64_t n = ++connections_refused;
      boost::system::error_code ignored;
      socket.close(ignored);
      if (is_power_of_two(n)) // 1, 2, 4, 8, ...: a flood of connections must not flood the log
        log->warn("control: {} connection(s) refused so far: {} already open", n, ControlServer::kMaxConnections);
    } else {
      std::make_shared<ControlSession>(std::move(socket), shared_from_this())->read_request();
    }
  } catch (const std::exception& e) {
    log->warn("control: accepting a connection failed: {}", e.what());
  }
  accept();
}

void ControlState::stop() {
  if (stopped) return;
  stopped = true;
  boost::system::error_code ignored;
  acceptor.close(ignored);
  retry_timer.cancel();
  // close() only aborts pending operations; their completions run later, so no session is destroyed
  // (and erased from the set) during this loop.
  const std::size_t n_open = sessions.size();
  for (ControlSession* s : sessions)
    s->close();
  log->info("control: stopped ({} connection(s) closed)", n_open);
}

} // namespace detail

Result<std::unique_ptr<ControlServer>> ControlServer::start(asio::io_context& io, const std::string& listen,
                                                            ControlHandlers handlers) {
  DASFLOW_TRY_ASSIGN(endpoint, parse_listen_address(listen));
  auto state = std::make_shared<detail::ControlState>(io, std::move(handlers));
  const std::string where = endpoint_string(endpoint);
  boost::system::error_code ec;
  const auto io_error = [&](const char* step) {
    return fail(Errc::io, "control: cannot " + std::string(step) + " " + where + ": " + ec.message());
  };
  tcp::acceptor& a = state->acceptor;
  if (a.open(endpoint.protocol(), ec); ec) return io_error("open a socket for");
  // "[::]:9108" means IPv6 only, as written; without this Linux would take IPv4 as well.
  if (endpoint.address().is_v6()) {
    if (a.set_option(asio::ip::v6_only(true), ec); ec) return io_error("set IPV6_V6ONLY on");
  }
  // A restarted daemon rebinds while old connections sit in TIME_WAIT; a live listener still refuses it.
  if (a.set_option(asio::socket_base::reuse_address(true), ec); ec) return io_error("set SO_REUSEADDR on");
  if (a.bind(endpoint, ec); ec) return io_error("bind");
  if (a.listen(asio::socket_base::max_listen_connections, ec); ec) return io_error("listen on");
  state->local = a.local_endpoint(ec);
  if (ec) return io_error("read the bound port of");

  const std::string bound = endpoint_string(state->local);
  state->log->info("control: listening on http://{} (GET /metrics, /status)", bound);
  if (!endpoint.address().is_loopback())
    state->log->warn("control: {} is not a loopback address; /metrics and /status have no authentication", bound);
  state->accept();
  return std::unique_ptr<ControlServer>(new ControlServer(io, std::move(state)));
}

ControlServer::ControlServer(asio::io_context& io, std::shared_ptr<detail::ControlState> state)
    : io_(io), state_(std::move(state)) {}

ControlServer::~ControlServer() {
  // Runs stop() now on the io thread; from another thread, touching the acceptor while a handler
  // runs would race, so it is queued instead and holds the state alive until it runs.
  asio::dispatch(io_, [state = state_] { state->stop(); });
}

std::uint16_t ControlServer::port() const noexcept { return state_->local.port(); }

std::string ControlServer::address() const { return endpoint_string(state_->local); }

ControlServer::Stats ControlServer::stats() const noexcept {
  return {state_->requests_served.load(), state_->bad_requests.load(), state_->connections_refused.load()};
}

void ControlServer::stop() { state_->stop(); }

} // namespace dasflow::daemon
