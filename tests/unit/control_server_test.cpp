// The control plane over real sockets: a Beast client on 127.0.0.1 against a ControlServer whose
// io_context runs on its own thread, as the daemon's main thread runs it. Plus the Prometheus writer.

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
// GCC 12 with -fsanitize=address at -O3 reports a false -Wmaybe-uninitialized inside Beast's parser
// (the boost::optional in basic_parser::content_length_unchecked; the family of boostorg/beast#1167).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#pragma GCC diagnostic pop
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dasflow/daemon/control_server.hpp"
#include "dasflow/daemon/prometheus.hpp"

namespace dasflow {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using daemon::ControlServer;
using daemon::MetricType;
using daemon::PrometheusText;

/// A deadline on every client step, so a server bug fails the test instead of hanging it (Asio's
/// synchronous socket calls have no timeout). Not a timing assertion: nothing here is expected to be slow.
constexpr auto kWatchdog = std::chrono::seconds(30);

constexpr std::string_view kMetricsBody = "# HELP up Whether the daemon runs.\n# TYPE up gauge\nup 1\n";
constexpr std::string_view kStatusBody = R"({"state":"running","chunks_processed":3})";

struct Reply {
  beast::error_code ec;
  http::response<http::string_body> res;
};

/// A blocking HTTP/1.1 client: each call runs async operations on a private io_context to completion.
class Client {
public:
  explicit Client(std::uint16_t port) : stream_(io_) {
    stream_.expires_after(kWatchdog);
    stream_.async_connect(tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), port),
                          [this](const beast::error_code& ec) { connect_error_ = ec; });
    run();
  }

  const beast::error_code& connect_error() const { return connect_error_; }

  /// Writes bytes as they are, for requests no well-behaved client would send.
  beast::error_code send_raw(std::string_view data) {
    beast::error_code result;
    stream_.expires_after(kWatchdog);
    asio::async_write(stream_, asio::buffer(data.data(), data.size()),
                      [&](const beast::error_code& ec, std::size_t) { result = ec; });
    run();
    return result;
  }

  beast::error_code send(http::verb method, std::string_view target) {
    http::request<http::string_body> req{method, std::string(target), 11};
    req.set(http::field::host, "127.0.0.1");
    if (method == http::verb::post) req.body() = "x=1";
    req.prepare_payload();
    beast::error_code result;
    stream_.expires_after(kWatchdog);
    http::async_write(stream_, req, [&](const beast::error_code& ec, std::size_t) { result = ec; });
    run();
    return result;
  }

  /// Reads one response; a response to HEAD has no body whatever its Content-Length says.
  Reply receive(http::verb request_method = http::verb::get) {
    Reply reply;
    http::response_parser<http::string_body> parser;
    parser.skip(request_method == http::verb::head);
    stream_.expires_after(kWatchdog);
    http::async_read(stream_, buffer_, parser, [&](const beast::error_code& ec, std::size_t) { reply.ec = ec; });
    run();
    if (!reply.ec) reply.res = parser.release();
    return reply;
  }

  Reply request(http::verb method, std::string_view target) {
    if (connect_error_) return {connect_error_, {}};
    if (auto ec = send(method, target)) return {ec, {}};
    return receive(method);
  }
  Reply get(std::string_view target) { return request(http::verb::get, target); }

private:
  void run() {
    io_.restart();
    io_.run();
  }

  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  beast::error_code connect_error_;
};

class ControlServerTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto started = ControlServer::start(io_, "127.0.0.1:0", handlers());
    ASSERT_TRUE(started.ok()) << started.error().message;
    server_ = std::move(started).value();
    port_ = server_->port();
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    // As the daemon shuts down: stop() on the io thread, after which run() has no work left. The
    // server is destroyed only after the join, so the io thread never reads `server_` while it changes.
    if (thread_.joinable()) {
      stop_on_io_thread();
      thread_.join();
    }
    server_.reset();
  }

  daemon::ControlHandlers handlers() {
    return {.metrics =
                [this] {
                  if (throw_in_metrics_.load()) throw std::runtime_error("metrics exploded");
                  return std::string(kMetricsBody);
                },
            .status = [] { return std::string(kStatusBody); }};
  }

  /// Runs stop() on the io thread, as the daemon's shutdown handler would.
  void stop_on_io_thread() {
    asio::post(io_, [this] { server_->stop(); });
  }

  asio::io_context io_;
  std::atomic<bool> throw_in_metrics_{false};
  std::unique_ptr<ControlServer> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(ControlServerTest, ReportsTheBoundEphemeralPort) {
  EXPECT_NE(port_, 0);
  EXPECT_EQ(server_->address(), "127.0.0.1:" + std::to_string(port_));
}

TEST_F(ControlServerTest, GetMetricsServesTheHandlerBodyAsPrometheusText) {
  Client c(port_);
  const Reply r = c.get("/metrics");
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.res.result(), http::status::ok);
  EXPECT_EQ(r.res[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.res.body(), kMetricsBody);
}

TEST_F(ControlServerTest, GetStatusServesJson) {
  Client c(port_);
  const Reply r = c.get("/status");
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.res.result(), http::status::ok);
  EXPECT_EQ(r.res[http::field::content_type], "application/json");
  const auto json = nlohmann::json::parse(r.res.body());
  EXPECT_EQ(json.at("state"), "running");
  EXPECT_EQ(json.at("chunks_processed"), 3);
}

TEST_F(ControlServerTest, IndexListsTheEndpoints) {
  Client c(port_);
  const Reply r = c.get("/");
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.res.result(), http::status::ok);
  EXPECT_NE(r.res.body().find("/metrics"), std::string::npos) << r.res.body();
  EXPECT_NE(r.res.body().find("/status"), std::string::npos) << r.res.body();
}

TEST_F(ControlServerTest, QueryStringIsIgnored) {
  Client c(port_);
  const Reply r = c.get("/metrics?name[]=up&x");
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.res.result(), http::status::ok);
  EXPECT_EQ(r.res.body(), kMetricsBody);
}

TEST_F(ControlServerTest, HeadSendsTheHeadersOfGetWithoutABody) {
  Client c(port_);
  const Reply head = c.request(http::verb::head, "/metrics");
  ASSERT_FALSE(head.ec) << head.ec.message();
  EXPECT_EQ(head.res.result(), http::status::ok);
  EXPECT_EQ(head.res[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(head.res[http::field::content_length], std::to_string(kMetricsBody.size()));
  EXPECT_TRUE(head.res.body().empty());
  // Had the server sent body bytes after the HEAD headers, they would now be parsed as a response.
  const Reply next = c.get("/status");
  ASSERT_FALSE(next.ec) << next.ec.message();
  EXPECT_EQ(next.res.body(), kStatusBody);
}

TEST_F(ControlServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  Client c(port_);
  for (const char* target : {"/metrics", "/status", "/metrics"}) {
    SCOPED_TRACE(target);
    const Reply r = c.get(target);
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.res.result(), http::status::ok);
    EXPECT_TRUE(r.res.keep_alive());
  }
  EXPECT_EQ(server_->stats().requests_served, 3u);
  EXPECT_EQ(server_->stats().bad_requests, 0u);
}

TEST_F(ControlServerTest, UnknownPathIs404AndTheConnectionStaysUsable) {
  Client c(port_);
  const Reply r = c.get("/nope");
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.res.result(), http::status::not_found);
  const Reply next = c.get("/metrics");
  ASSERT_FALSE(next.ec) << next.ec.message();
  EXPECT_EQ(next.res.result(), http::status::ok);
}

TEST_F(ControlServerTest, OtherMethodsAre405WithAnAllowHeader) {
  Client c(port_);
  const Reply r = c.request(http::verb::post, "/metrics");
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.res.result(), http::status::method_not_allowed);
  EXPECT_EQ(r.res[http::field::allow], "GET, HEAD");
  // The POST body was consumed with the request: the next request on the connection is answered.
  const Reply del = c.request(http::verb::delete_, "/status");
  ASSERT_FALSE(del.ec) << del.ec.message();
  EXPECT_EQ(del.res.result(), http::status::method_not_allowed);
}

TEST_F(ControlServerTest, GarbageRequestGets400AndTheConnectionIsClosed) {
  {
    Client c(port_);
    ASSERT_FALSE(c.send_raw("HELLO THERE\r\n\r\n"));
    const Reply r = c.receive();
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.res.result(), http::status::bad_request);
    EXPECT_FALSE(r.res.keep_alive());
    EXPECT_EQ(c.receive().ec, http::error::end_of_stream) << "the server closes after a bad request";
  }
  EXPECT_EQ(server_->stats().bad_requests, 1u);
  Client next(port_);
  const Reply r = next.get("/metrics");
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.res.result(), http::status::ok);
}

TEST_F(ControlServerTest, OversizedHeadersAreRefused) {
  Client c(port_);
  ASSERT_FALSE(
      c.send_raw("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(16 * 1024, 'a') + "\r\n\r\n"));
  const Reply r = c.receive();
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.res.result(), http::status::request_header_fields_too_large);
  EXPECT_EQ(server_->stats().bad_requests, 1u);
}

TEST_F(ControlServerTest, SilentClientsDoNotBlockOthers) {
  Client silent(port_);
  ASSERT_FALSE(silent.connect_error());
  Client halfway(port_);
  ASSERT_FALSE(halfway.send_raw("GET /metrics HTTP/1.1\r\nHost: x\r\n")); // headers never finished
  Client c(port_);
  const Reply r = c.get("/metrics");
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.res.result(), http::status::ok);
}

TEST_F(ControlServerTest, HandlerExceptionGives500AndTheServerCarriesOn) {
  Client c(port_);
  throw_in_metrics_ = true;
  const Reply r = c.get("/metrics");
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.res.result(), http::status::internal_server_error);
  throw_in_metrics_ = false;
  const Reply next = c.get("/metrics");
  ASSERT_FALSE(next.ec) << next.ec.message();
  EXPECT_EQ(next.res.result(), http::status::ok);
}

TEST_F(ControlServerTest, ConnectionsBeyondTheLimitAreClosedAndCounted) {
  std::vector<std::unique_ptr<Client>> open;
  for (std::size_t i = 0; i < ControlServer::kMaxConnections; ++i) {
    open.push_back(std::make_unique<Client>(port_));
    const Reply r = open.back()->get("/status"); // answered: this connection is a live session
    ASSERT_FALSE(r.ec) << "connection " << i << ": " << r.ec.message();
  }
  Client extra(port_);
  ASSERT_FALSE(extra.connect_error()); // accepted by the kernel, then closed by the server
  EXPECT_TRUE(extra.receive().ec) << "a connection beyond the limit is closed without an answer";
  EXPECT_EQ(server_->stats().connections_refused, 1u);

  // Once a connection closes, there is room again; the server notices the close asynchronously, so
  // a new client may still be refused for a moment: retry until answered (bounded by the watchdog).
  open.pop_back();
  const auto deadline = std::chrono::steady_clock::now() + kWatchdog;
  Reply r;
  do {
    Client again(port_);
    r = again.get("/status");
  } while (r.ec && std::chrono::steady_clock::now() < deadline);
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.res.result(), http::status::ok);
}

TEST_F(ControlServerTest, StopClosesOpenConnectionsAndTheListener) {
  Client c(port_);
  ASSERT_FALSE(c.get("/status").ec); // a session now waits for this client's next request
  stop_on_io_thread();
  EXPECT_TRUE(c.receive().ec) << "stop() closes open connections";
  Client late(port_); // stop() closed the acceptor before the connections
  EXPECT_TRUE(late.connect_error()) << "stop() closes the listening socket";
}

TEST_F(ControlServerTest, DestroyingTheServerWithOpenConnectionsLeavesNoDanglingHandlers) {
  Client c(port_);
  ASSERT_FALSE(c.get("/status").ec);
  server_.reset(); // from this thread: stop() is queued to the io thread, which still runs
  EXPECT_TRUE(c.receive().ec);
  thread_.join(); // run() returns: no handler of the server is left
}

TEST(ControlServerListen, BadListenStringsAreConfigErrors) {
  asio::io_context io;
  for (const std::string listen :
       {"localhost:9108", "127.0.0.1", "127.0.0.1:99999", "", "127.0.0.1:", "127.0.0.1:80x", "127.0.0.1:-1",
        "256.0.0.1:80", " 127.0.0.1:80", "::1:9108", "[::1]", "[::1", "[localhost]:9108", "127.0.0.1:123456"}) {
    SCOPED_TRACE("listen \"" + listen + "\"");
    auto r = ControlServer::start(io, listen, {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::config);
    EXPECT_NE(r.error().message.find("\"" + listen + "\""), std::string::npos) << r.error().message;
  }
}

TEST(ControlServerListen, HostNamesAreRefusedWithAnExplanation) {
  const auto r = daemon::parse_listen_address("localhost:9108");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not resolved"), std::string::npos) << r.error().message;
}

TEST(ControlServerListen, ParsesIpv4AndBracketedIpv6Literals) {
  const auto v4 = daemon::parse_listen_address("127.0.0.1:9108");
  ASSERT_TRUE(v4.ok()) << v4.error().message;
  EXPECT_EQ(*v4, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 9108));
  const auto v6 = daemon::parse_listen_address("[::1]:0");
  ASSERT_TRUE(v6.ok()) << v6.error().message;
  EXPECT_EQ(*v6, tcp::endpoint(asio::ip::make_address("::1"), 0));
  const auto top = daemon::parse_listen_address("0.0.0.0:65535");
  ASSERT_TRUE(top.ok()) << top.error().message;
  EXPECT_EQ(top->port(), 65535);
}

TEST(ControlServerListen, PortInUseIsAnIoErrorNamingTheAddress) {
  asio::io_context io;
  tcp::acceptor holder(io, tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0)); // listens
  const std::string listen = "127.0.0.1:" + std::to_string(holder.local_endpoint().port());
  auto r = ControlServer::start(io, listen, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::io);
  EXPECT_NE(r.error().message.find(listen), std::string::npos) << r.error().message;
}

TEST(ControlServerListen, Ipv6LoopbackBindsOrFailsAsIo) {
  asio::io_context io;
  auto r = ControlServer::start(io, "[::1]:0", {});
  if (!r.ok()) { // a host (or container) without IPv6
    EXPECT_EQ(r.error().code, Errc::io) << r.error().message;
    return;
  }
  EXPECT_EQ((*r)->address(), "[::1]:" + std::to_string((*r)->port()));
  (*r)->stop(); // no thread runs `io`: stopping from here is allowed
}

std::string value_text(double v) {
  PrometheusText t;
  t.sample("m", v);
  return t.text().substr(2, t.text().size() - 3); // "m " ... "\n"
}

TEST(PrometheusText, FamilyWritesHelpAndTypeBeforeItsSamples) {
  PrometheusText t;
  t.family("dasflow_chunks_read_total", MetricType::counter, "Chunks read from the source.");
  t.sample("dasflow_chunks_read_total", std::uint64_t{42});
  t.family("dasflow_lag_seconds", MetricType::gauge, "Behind the wall clock.");
  t.sample("dasflow_lag_seconds", 0.25, {{"stream", "a"}});
  t.family("dasflow_build_info", MetricType::untyped, "Build.");
  t.sample("dasflow_build_info", 1, {{"version", "0.1.0"}, {"compiler", "gcc"}});
  EXPECT_EQ(t.text(), "# HELP dasflow_chunks_read_total Chunks read from the source.\n"
                      "# TYPE dasflow_chunks_read_total counter\n"
                      "dasflow_chunks_read_total 42\n"
                      "# HELP dasflow_lag_seconds Behind the wall clock.\n"
                      "# TYPE dasflow_lag_seconds gauge\n"
                      "dasflow_lag_seconds{stream=\"a\"} 0.25\n"
                      "# HELP dasflow_build_info Build.\n"
                      "# TYPE dasflow_build_info untyped\n"
                      "dasflow_build_info{version=\"0.1.0\",compiler=\"gcc\"} 1\n");
}

TEST(PrometheusText, HelpEscapesBackslashAndNewlineButNotQuotes) {
  PrometheusText t;
  t.family("m", MetricType::gauge, "a\\b \"q\"\nc");
  EXPECT_EQ(t.text(), "# HELP m a\\\\b \"q\"\\nc\n# TYPE m gauge\n");
}

TEST(PrometheusText, LabelValuesEscapeBackslashQuoteAndNewline) {
  PrometheusText t;
  t.sample("m", std::int64_t{-1}, {{"path", "C:\\data"}, {"msg", "say \"hi\"\nbye"}});
  EXPECT_EQ(t.text(), "m{path=\"C:\\\\data\",msg=\"say \\\"hi\\\"\\nbye\"} -1\n");
}

TEST(PrometheusText, DoublesUseTheShortestRoundTripForm) {
  EXPECT_EQ(value_text(0.1), "0.1");
  EXPECT_EQ(value_text(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(value_text(1.0), "1");
  EXPECT_EQ(value_text(-2.5), "-2.5");
  EXPECT_EQ(value_text(0.0), "0");
  EXPECT_EQ(value_text(1e300), "1e+300");
  EXPECT_EQ(value_text(5e-324), "5e-324");
  EXPECT_EQ(value_text(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
}

TEST(PrometheusText, SpecialValuesUseThePrometheusSpellings) {
  EXPECT_EQ(value_text(std::nan("")), "NaN");
  EXPECT_EQ(value_text(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(value_text(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(PrometheusText, IntegersAreWrittenExactly) {
  PrometheusText t;
  t.sample("a", std::numeric_limits<std::uint64_t>::max());
  t.sample("b", std::numeric_limits<std::int64_t>::min());
  t.sample("c", std::uint64_t{(1ull << 53) + 1}); // a double would print 9007199254740992
  t.sample("d", 3);
  t.sample("e", 7u);
  t.sample("f", -5ll);
  EXPECT_EQ(t.text(), "a 18446744073709551615\nb -9223372036854775808\nc 9007199254740993\nd 3\ne 7\nf -5\n");
}

TEST(PrometheusText, TakeMovesTheTextOut) {
  PrometheusText t;
  t.sample("m", 1);
  EXPECT_EQ(t.take(), "m 1\n");
  EXPECT_EQ(t.text(), "");
}

} // namespace
} // namespace dasflow
