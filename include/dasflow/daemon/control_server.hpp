#pragma once
/// \file control_server.hpp
/// The HTTP control plane of dasflowd (DESIGN.md: GET /metrics and /status on loopback): a small
/// Boost.Beast server on the daemon's io_context. The main thread runs that io_context, so the
/// handlers run there too and need no locking against the server.
///
/// Endpoints: GET and HEAD on /metrics (Prometheus text 0.0.4), /status (JSON) and / (an index).
/// Query strings are ignored; other paths answer 404, other methods 405 with an Allow header, a
/// malformed request 400 and the connection is closed; a handler that throws gives 500. HTTP/1.1
/// keep-alive is honoured, each read or write has a 10 s timeout, requests are limited to 8 KiB of
/// headers and 8 KiB of body, and at most kMaxConnections connections are open at a time.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "dasflow/core/result.hpp"

namespace dasflow::daemon {

/// The bodies the server serves; called on the io_context thread for each GET or HEAD. An empty
/// function makes its endpoint answer 404; an exception answers 500 and is logged.
struct ControlHandlers {
  std::function<std::string()> metrics; ///< Prometheus text body for GET /metrics
  std::function<std::string()> status;  ///< JSON body for GET /status
};

/// Parses a listen address "HOST:PORT": an IPv4 literal ("127.0.0.1:9108") or a bracketed IPv6
/// literal ("[::1]:9108"); port 0 asks for an ephemeral port. Host names are not resolved: the
/// control plane must bind exactly what the operator wrote, and "localhost" can resolve to several
/// addresses (127.0.0.1, ::1) of which a bind would silently pick one. Errors are Errc::config and
/// quote the value.
Result<boost::asio::ip::tcp::endpoint> parse_listen_address(std::string_view listen);

namespace detail {
struct ControlState; // what the asynchronous handlers share with the server; control_server.cpp
}

class ControlServer {
public:
  /// Counters for /metrics; each is monotonic over the life of the server.
  struct Stats {
    std::uint64_t requests_served = 0;     ///< responses to well-formed requests, whatever their status
    std::uint64_t bad_requests = 0;        ///< malformed or oversized requests (answered 400/413/431, closed)
    std::uint64_t connections_refused = 0; ///< accepted and closed at once: kMaxConnections were open
  };

  /// Open connections beyond this are accepted and closed immediately (a scraper or curl needs one).
  static constexpr std::size_t kMaxConnections = 32;

  /// Binds `listen` (see parse_listen_address) and starts accepting on `io`. Call it before `io`
  /// runs or on its thread. Bad syntax is Errc::config; a failure to bind (address in use,
  /// permission, no such local address) is Errc::io naming the address and the OS error.
  static Result<std::unique_ptr<ControlServer>> start(boost::asio::io_context& io, const std::string& listen,
                                                      ControlHandlers handlers);

  /// Stops the server: at once on the io thread, otherwise by posting stop() to `io` (which then
  /// closes the socket when it next runs, or when it is destroyed). The server must not outlive `io`.
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  /// The bound port (the ephemeral one when the listen address said 0).
  std::uint16_t port() const noexcept;
  /// The bound address, "127.0.0.1:PORT" or "[::1]:PORT".
  std::string address() const;
  /// The counters; safe from any thread.
  Stats stats() const noexcept;
  /// Closes the acceptor and every open connection; idempotent. Call it on the io thread (or post it),
  /// or while no thread runs `io`. Once it has run, the server holds no pending work on `io`.
  void stop();

private:
  ControlServer(boost::asio::io_context& io, std::shared_ptr<detail::ControlState> state);

  boost::asio::io_context& io_;
  std::shared_ptr<detail::ControlState> state_;
};

} // namespace dasflow::daemon
