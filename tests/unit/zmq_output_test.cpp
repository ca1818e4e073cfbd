// The `zmq` output over real sockets on 127.0.0.1 (ports chosen by the system): the dasflow stream
// (PROTOCOLS.md §2), the ASN framing (§1), boundedness against a subscriber that never reads,
// CURVE with a ZAP allow-list, and sequence numbers continued across checkpoint/resume.
//
// No assertion depends on speed: waits are loops with a generous deadline that only a broken
// output exhausts (a message that never comes), and "receives nothing" is checked for a clients
// that would have received plenty had it been admitted.

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>
#include <zmq.hpp>

#include "dasflow/io/asn_protocol.hpp"
#include "dasflow/io/events_output.hpp"
#include "dasflow/io/zmq_output.hpp"
#include "temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
using dasflow::ChannelCoords;
using dasflow::Chunk;
using dasflow::Event;
using dasflow::EventKind;
using dasflow::StateTree;
using dasflow::StreamInfo;
using dasflow::io::ZmqOutput;
using dasflow::io::ZmqOutputConfig;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using Frames = std::vector<std::string>;

constexpr auto kDeadline = 20s; // only a broken output waits this long

StreamInfo make_stream(double fs, std::size_t n_channels, std::int64_t first, std::int64_t step, double dx,
                       std::int64_t origin_ns) {
  StreamInfo s;
  s.fs_hz = fs;
  s.n_channels = n_channels;
  s.origin_ns = origin_ns;
  s.coords = std::make_shared<const ChannelCoords>(ChannelCoords{first, step, dx});
  return s;
}

/// Distinct, exactly representable values, different in every chunk.
Chunk make_chunk(std::size_t n_channels, std::int64_t first_index, std::size_t rows) {
  Chunk c;
  c.reshape(rows, n_channels);
  c.first_index = first_index;
  for (std::size_t t = 0; t < rows; ++t)
    for (std::size_t ch = 0; ch < n_channels; ++ch)
      c.row(t)[ch] = static_cast<float>((first_index + static_cast<std::int64_t>(t)) % 100'000) * 0.5f +
                     static_cast<float>(ch) * 1000.0f;
  return c;
}

std::string bytes_of(const Chunk& c) {
  return std::string(reinterpret_cast<const char*>(c.samples.data()), c.n_samples * c.n_channels * sizeof(float));
}

Event trigger(std::int64_t channel, std::int64_t on, std::int64_t off, double peak) {
  Event e;
  e.kind = EventKind::trigger;
  e.channel = channel;
  e.on_index = on;
  e.off_index = off;
  e.peak = peak;
  e.peak_index = on + 1;
  e.decided_index = off + 1;
  return e;
}

ZmqOutputConfig config(ZmqOutputConfig::Protocol p) {
  ZmqOutputConfig c;
  c.protocol = p;
  c.address = "tcp://127.0.0.1:*";
  c.stream_name = "test";
  return c;
}

std::unique_ptr<ZmqOutput> open_output(const ZmqOutputConfig& c, const StreamInfo& s) {
  auto r = ZmqOutput::open(c, s);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return nullptr;
  EXPECT_NE(r->get()->bound_endpoint().find("tcp://127.0.0.1:"), std::string::npos);
  return std::move(r).value();
}

zmq::socket_t subscriber(zmq::context_t& ctx, const std::string& endpoint, const std::string& topic = "") {
  zmq::socket_t s(ctx, zmq::socket_type::sub);
  s.set(zmq::sockopt::rcvtimeo, 100);
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::subscribe, topic);
  s.connect(endpoint);
  return s;
}

/// One message (all its frames), or nothing within the socket's receive timeout.
std::optional<Frames> recv_frames(zmq::socket_t& s) {
  zmq::message_t m;
  if (!s.recv(m)) return std::nullopt;
  Frames f{m.to_string()};
  while (m.more()) {
    if (!s.recv(m)) break;
    f.push_back(m.to_string());
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// Configuration and key files

TEST(ZmqOutputConfig, DefaultsAndAllKeys) {
  auto d = dasflow::io::parse_zmq_output_config(YAML::Load(R"({type: zmq, address: "tcp://*:5556"})"), "outputs[1]");
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->address, "tcp://*:5556");
  EXPECT_EQ(d->protocol, ZmqOutputConfig::Protocol::dasflow);
  EXPECT_EQ(d->hwm, 100);
  EXPECT_TRUE(d->stream_name.empty());
  EXPECT_TRUE(d->curve_server_keys_file.empty());

  auto f = dasflow::io::parse_zmq_output_config(
      YAML::Load(R"({type: zmq, address: "tcp://*:5557", protocol: asn, hwm: 7, stream: das1,
                     curve: {server_keys: /etc/dasflow/server.key, allowed_clients: /etc/dasflow/clients}})"),
      "outputs[1]");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->protocol, ZmqOutputConfig::Protocol::asn);
  EXPECT_EQ(f->hwm, 7);
  EXPECT_EQ(f->stream_name, "das1");
  EXPECT_EQ(f->curve_server_keys_file, "/etc/dasflow/server.key");
  EXPECT_EQ(f->curve_allowed_clients_file, "/etc/dasflow/clients");
}

TEST(ZmqOutputConfig, ErrorsNameThePath) {
  const auto error_of = [](const char* yaml) {
    auto r = dasflow::io::parse_zmq_output_config(YAML::Load(yaml), "outputs[1]");
    return r.ok() ? std::string() : r.error().message;
  };
  EXPECT_NE(error_of("{type: zmq}").find("outputs[1].address"), std::string::npos);
  EXPECT_NE(error_of(R"({type: zmq, address: "tcp://*:1", protocol: xdas2})").find("outputs[1].protocol"),
            std::string::npos);
  EXPECT_NE(error_of(R"({type: zmq, address: "tcp://*:1", hwm: 0})").find("outputs[1].hwm"), std::string::npos);
  EXPECT_NE(error_of(R"({type: zmq, address: "tcp://*:1", hmw: 5})").find("outputs[1].hmw"), std::string::npos);
  EXPECT_NE(error_of(R"({type: zmq, address: "tcp://*:1", curve: {server_keys: a}})")
                .find("outputs[1].curve.allowed_clients"),
            std::string::npos);
  EXPECT_NE(error_of(R"({type: zmq, address: "tcp://*:1", curve: {server_keys: a, allowed_clients: b, x: 1}})")
                .find("outputs[1].curve.x"),
            std::string::npos);
}

TEST(ZmqOutputKeys, WrittenKeyPairReadsBackAndIsPrivate) {
  dasflow::testing::TempDir dir("zmq_keys");
  const std::string path = dir / "server.key";
  ASSERT_TRUE(dasflow::io::write_curve_keypair(path).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto pair = dasflow::io::read_curve_keypair(path);
  ASSERT_TRUE(pair.ok()) << pair.error().message;
  EXPECT_EQ(pair->public_key.size(), 40u);
  auto pub = dasflow::io::read_curve_public_key(path);
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(*pub, pair->public_key);

  // Lines swapped: the public key no longer derives from the secret one.
  std::ofstream(dir / "swapped.key") << pair->secret_key << "\n" << pair->public_key << "\n";
  EXPECT_FALSE(dasflow::io::read_curve_keypair(dir / "swapped.key").ok());
  std::ofstream(dir / "garbage.key") << "not a key\n";
  EXPECT_FALSE(dasflow::io::read_curve_public_key(dir / "garbage.key").ok());
}

// ---------------------------------------------------------------------------------------------
// protocol: dasflow

TEST(ZmqOutputDasflow, DataEventsAndStatusFollowTheProtocol) {
  const StreamInfo st = make_stream(1000.0, 4, 10, 2, 1.5, 123'456);
  auto out = open_output(config(ZmqOutputConfig::Protocol::dasflow), st);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->key(), "zmq:tcp://127.0.0.1:*");
  zmq::context_t ctx(1);
  zmq::socket_t sub = subscriber(ctx, out->bound_endpoint());

  std::map<std::int64_t, Chunk> written; // first_index -> chunk
  std::map<std::int64_t, std::uint64_t> ordinal;
  std::int64_t next = 1'700'000'000'000; // an epoch-sized index
  const auto write = [&](Chunk c) {
    const std::uint64_t k = ordinal.size();
    ordinal[c.first_index] = k;
    const auto r = out->write(c);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    written.emplace(c.first_index, std::move(c));
  };

  // A PUB subscriber joins asynchronously: write until it receives data (PROTOCOLS.md §2: "a late
  // joiner needs nothing but the next data message").
  std::vector<Frames> got;
  bool joined = false;
  for (const auto end = Clock::now() + kDeadline; !joined && Clock::now() < end;) {
    write(make_chunk(4, next, 10));
    next += 10;
    while (auto m = recv_frames(sub)) {
      joined = joined || m->front() == "data";
      got.push_back(std::move(*m));
    }
  }
  ASSERT_TRUE(joined);

  const std::int64_t a = next, b = next + 10, c = next + 120; // c jumps: a gap before it
  write(make_chunk(4, a, 10));
  Chunk chunk_b = make_chunk(4, b, 10);
  chunk_b.events = {trigger(12, b - 30, b + 2, 4.5), trigger(14, b - 5, b + 3, 7.25)};
  write(std::move(chunk_b));
  Chunk chunk_c = make_chunk(4, c, 5);
  chunk_c.events = {trigger(10, c - 100, c + 1, 3.5)};
  write(std::move(chunk_c));

  const auto have = [&](const std::string& topic, std::size_t n) {
    std::size_t k = 0;
    for (const Frames& f : got)
      k += f.front() == topic ? 1 : 0;
    return k >= n;
  };
  const auto has_data = [&](std::int64_t first) {
    for (const Frames& f : got)
      if (f.front() == "data" && f.size() == 3 && json::parse(f[1]).at("first_index") == first) return true;
    return false;
  };
  for (const auto end = Clock::now() + kDeadline; !(has_data(c) && have("events", 2)) && Clock::now() < end;)
    if (auto m = recv_frames(sub)) got.push_back(std::move(*m));
  ASSERT_TRUE(has_data(c));

  std::optional<std::uint64_t> previous_seq;
  std::map<std::int64_t, json> headers;
  std::vector<json> events;
  for (const Frames& f : got) {
    ASSERT_TRUE(f.front() == "data" || f.front() == "events" || f.front() == "status") << f.front();
    if (f.front() == "events") {
      ASSERT_EQ(f.size(), 2u); // header only, no payload
      events.push_back(json::parse(f[1]));
      continue;
    }
    if (f.front() != "data") continue;
    ASSERT_EQ(f.size(), 3u);
    const json h = json::parse(f[1]);
    // Every field of PROTOCOLS.md §2, with its type and value.
    EXPECT_EQ(h.at("protocol"), "dasflow");
    EXPECT_EQ(h.at("version"), 1);
    EXPECT_EQ(h.at("stream"), "test");
    ASSERT_TRUE(h.at("seq").is_number_unsigned());
    ASSERT_TRUE(h.at("first_index").is_number_integer());
    const auto first = h.at("first_index").get<std::int64_t>();
    ASSERT_EQ(written.count(first), 1u) << "data for a chunk never written: " << first;
    const Chunk& chunk = written.at(first);
    EXPECT_EQ(h.at("seq").get<std::uint64_t>(), ordinal.at(first)) << "seq is +1 per data message from 0";
    if (previous_seq) {
      EXPECT_EQ(h.at("seq").get<std::uint64_t>(), *previous_seq + 1);
    }
    previous_seq = h.at("seq").get<std::uint64_t>();
    EXPECT_TRUE(h.at("fs").is_number());
    EXPECT_EQ(h.at("fs").get<double>(), 1000.0);
    EXPECT_TRUE(h.at("origin_ns").is_number_integer());
    EXPECT_EQ(h.at("origin_ns").get<std::int64_t>(), 123'456);
    EXPECT_TRUE(h.at("t0_ns").is_number_integer());
    EXPECT_EQ(h.at("t0_ns").get<std::int64_t>(), st.time_ns(first));
    EXPECT_EQ(h.at("n_samples").get<std::size_t>(), chunk.n_samples);
    EXPECT_EQ(h.at("n_channels").get<std::size_t>(), 4u);
    EXPECT_EQ(h.at("dtype"), "float32");
    EXPECT_EQ(h.at("layout"), "time-major");
    EXPECT_EQ(h.at("channels").at("first"), 10);
    EXPECT_EQ(h.at("channels").at("step"), 2);
    EXPECT_EQ(h.at("dx_m").get<double>(), 1.5);
    EXPECT_TRUE(h.at("units").is_string());
    ASSERT_TRUE(h.at("gap_before").is_boolean());
    EXPECT_EQ(f[2], bytes_of(chunk)) << "payload of chunk " << first;
    headers[first] = h;
  }
  ASSERT_EQ(headers.count(a) + headers.count(b) + headers.count(c), 3u);
  EXPECT_FALSE(headers[a].at("gap_before").get<bool>());
  EXPECT_FALSE(headers[b].at("gap_before").get<bool>());
  EXPECT_TRUE(headers[c].at("gap_before").get<bool>()) << "first_index jumped from " << b + 10 << " to " << c;

  // One events message per chunk with events, seq +1 per message on that topic.
  ASSERT_EQ(events.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(events[i].at("protocol"), "dasflow");
    EXPECT_EQ(events[i].at("version"), 1);
    EXPECT_EQ(events[i].at("stream"), "test");
    EXPECT_EQ(events[i].at("seq").get<std::uint64_t>(), i);
  }
  ASSERT_EQ(events[0].at("events").size(), 2u);
  ASSERT_EQ(events[1].at("events").size(), 1u);
  const json& e = events[0].at("events")[1];
  EXPECT_EQ(e.at("kind"), "trigger");
  EXPECT_EQ(e.at("channel"), 14);
  EXPECT_EQ(e.at("on_index").get<std::int64_t>(), b - 5);
  EXPECT_EQ(e.at("off_index").get<std::int64_t>(), b + 3);
  EXPECT_EQ(e.at("peak").get<double>(), 7.25);
  EXPECT_EQ(e.at("distance_m").get<double>(), 14 * 1.5);
  EXPECT_EQ(e.at("on_time"), dasflow::io::iso8601_ns(st.time_ns(b - 5)));

  // Status: a heartbeat at most once a second from write(); keep writing until two arrive.
  std::vector<json> status;
  for (const Frames& f : got)
    if (f.front() == "status") status.push_back(json::parse(f[1]));
  next = c + 5;
  for (const auto end = Clock::now() + kDeadline; status.size() < 2 && Clock::now() < end;) {
    write(make_chunk(4, next, 10));
    next += 10;
    for (auto m = recv_frames(sub); m; m = recv_frames(sub))
      if (m->front() == "status") {
        ASSERT_EQ(m->size(), 2u);
        status.push_back(json::parse((*m)[1]));
      }
  }
  ASSERT_GE(status.size(), 2u);
  for (std::size_t i = 0; i < status.size(); ++i) {
    EXPECT_EQ(status[i].at("protocol"), "dasflow");
    EXPECT_EQ(status[i].at("stream"), "test");
    EXPECT_TRUE(status[i].at("position").is_number_integer());
    EXPECT_TRUE(status[i].at("lag_s").is_number());
    EXPECT_TRUE(status[i].at("drops").is_number_unsigned());
    EXPECT_TRUE(status[i].at("messages").is_number_unsigned());
    EXPECT_TRUE(status[i].at("rows_per_s").is_number());
    if (i > 0) {
      EXPECT_EQ(status[i].at("seq").get<std::uint64_t>(), status[i - 1].at("seq").get<std::uint64_t>() + 1);
      EXPECT_GT(status[i].at("position").get<std::int64_t>(), status[i - 1].at("position").get<std::int64_t>());
    }
  }
  EXPECT_GT(out->messages_sent(), 0u);
  EXPECT_GT(out->bytes_written(), 0u);
  EXPECT_TRUE(out->close(true).ok());
  EXPECT_FALSE(out->write(make_chunk(4, next, 1)).ok()) << "write after close";
}

// ---------------------------------------------------------------------------------------------
// protocol: asn

std::size_t asn_data_bytes(std::size_t channels, std::size_t rows) { return 8 + 4 * channels * rows; }

TEST(ZmqOutputAsn, HeaderFirstThenDataAndANewHeaderOnEveryChange) {
  const StreamInfo st = make_stream(500.0, 3, 4, 2, 2.0, 1'000'000);
  auto out = open_output(config(ZmqOutputConfig::Protocol::asn), st);
  ASSERT_NE(out, nullptr);
  std::int64_t next = 850'000'000'000;
  std::map<std::int64_t, Chunk> by_t0; // t0 ns -> chunk
  const auto write = [&](const StreamInfo& s, Chunk c) {
    const auto r = out->write(c);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    by_t0.emplace(s.time_ns(c.first_index), std::move(c));
  };
  write(st, make_chunk(3, next, 50)); // before anyone subscribes: sets the welcome message
  next += 50;

  // libzmq hands a new subscriber its welcome message when the publisher next uses the socket
  // (the attach is processed then): here, and in the daemon, at the next write().
  zmq::context_t ctx(1);
  zmq::socket_t sub = subscriber(ctx, out->bound_endpoint());
  std::optional<Frames> first;
  for (const auto end = Clock::now() + kDeadline; !first && Clock::now() < end;) {
    write(st, make_chunk(3, next, 50));
    next += 50;
    first = recv_frames(sub);
  }
  ASSERT_TRUE(first.has_value()) << "nothing received";
  ASSERT_EQ(first->size(), 1u) << "ASN messages are single frames";
  auto h = dasflow::io::asn::parse_header(first->front());
  ASSERT_TRUE(h.ok()) << "the first message must be the header: " << h.error().message;
  EXPECT_EQ(h->n_channels, 3u);
  EXPECT_EQ(h->packages_per_message, 50u);
  EXPECT_EQ(h->data_type, dasflow::io::asn::DataType::float32);
  EXPECT_DOUBLE_EQ(h->dt_s, 1.0 / 500.0);
  EXPECT_DOUBLE_EQ(h->dx_m, 2.0);
  ASSERT_EQ(h->rois.size(), 1u);
  EXPECT_EQ(h->rois[0].start, 4);
  EXPECT_EQ(h->rois[0].end, 8); // first + (n - 1) * step
  EXPECT_EQ(h->rois[0].dec, 2);
  EXPECT_EQ(json::parse(first->front()).at("dataType"), "float");

  // Data: exactly 8 + 4·n·rows bytes, t0 = time of first_index, the samples.
  const auto check_data = [&](const std::string& m, std::size_t channels, std::size_t rows) {
    ASSERT_EQ(m.size(), asn_data_bytes(channels, rows));
    std::int64_t t0 = 0;
    std::memcpy(&t0, m.data(), 8);
    ASSERT_EQ(by_t0.count(t0), 1u) << "t0 " << t0 << " is not the time of a written chunk";
    EXPECT_EQ(m.substr(8), bytes_of(by_t0.at(t0)));
  };
  std::optional<Frames> data;
  for (const auto end = Clock::now() + kDeadline; !data && Clock::now() < end;) {
    write(st, make_chunk(3, next, 50));
    next += 50;
    data = recv_frames(sub);
  }
  ASSERT_TRUE(data.has_value());
  ASSERT_EQ(data->size(), 1u);
  check_data(data->front(), 3, 50);

  // A different chunk length: a header (told from data by its length), then the shorter data.
  const auto next_header_then_data = [&](const StreamInfo& s, std::size_t channels, std::size_t rows,
                                         std::size_t previous_bytes) -> std::optional<dasflow::io::asn::Header> {
    write(s, make_chunk(channels, next, rows));
    next += static_cast<std::int64_t>(rows);
    std::vector<std::string> seen;
    for (const auto end = Clock::now() + kDeadline; Clock::now() < end;) {
      auto m = recv_frames(sub);
      if (!m) continue;
      EXPECT_EQ(m->size(), 1u);
      seen.push_back(m->front());
      if (m->front().size() == asn_data_bytes(channels, rows)) break;
    }
    // Older data (still in flight) first, then the header, then the new data.
    if (seen.size() < 2 || seen.back().size() != asn_data_bytes(channels, rows)) {
      ADD_FAILURE() << "no header and data of " << rows << " rows x " << channels << " channels";
      return std::nullopt;
    }
    for (std::size_t i = 0; i + 2 < seen.size(); ++i)
      EXPECT_EQ(seen[i].size(), previous_bytes) << "only older data may come before the new header";
    auto nh = dasflow::io::asn::parse_header(seen[seen.size() - 2]);
    EXPECT_TRUE(nh.ok()) << "no header before data of a new length";
    check_data(seen.back(), channels, rows);
    if (!nh.ok()) return std::nullopt;
    return *nh;
  };
  const auto h20 = next_header_then_data(st, 3, 20, asn_data_bytes(3, 50));
  ASSERT_TRUE(h20.has_value());
  EXPECT_EQ(h20->packages_per_message, 20u);
  EXPECT_EQ(h20->n_channels, 3u);

  // change_stream: the new acquisition's header, then its data.
  const StreamInfo st2 = make_stream(250.0, 2, 0, 1, 4.0, 0);
  ASSERT_TRUE(out->change_stream(st2).ok());
  next = 425'000'000'000;
  const auto hs = next_header_then_data(st2, 2, 20, asn_data_bytes(3, 20));
  ASSERT_TRUE(hs.has_value());
  EXPECT_EQ(hs->n_channels, 2u);
  EXPECT_DOUBLE_EQ(hs->dt_s, 1.0 / 250.0);
  EXPECT_DOUBLE_EQ(hs->dx_m, 4.0);
  ASSERT_EQ(hs->rois.size(), 1u);
  EXPECT_EQ(hs->rois[0].end, 1);

  // A late joiner is welcomed with the header now in force.
  zmq::socket_t late = subscriber(ctx, out->bound_endpoint());
  std::optional<Frames> welcome;
  for (const auto end = Clock::now() + kDeadline; !welcome && Clock::now() < end;) {
    write(st2, make_chunk(2, next, 20));
    next += 20;
    welcome = recv_frames(late);
  }
  ASSERT_TRUE(welcome.has_value());
  auto lh = dasflow::io::asn::parse_header(welcome->front());
  ASSERT_TRUE(lh.ok()) << lh.error().message;
  EXPECT_EQ(lh->n_channels, 2u);
  EXPECT_EQ(lh->packages_per_message, 20u);
  EXPECT_TRUE(out->close(true).ok());
}

TEST(ZmqOutputAsn, RefusesAChannelAxisTheHeaderCannotDescribe) {
  auto r = ZmqOutput::open(config(ZmqOutputConfig::Protocol::asn), make_stream(100.0, 4, 10, -1, 1.0, 0));
  EXPECT_FALSE(r.ok());
}

TEST(ZmqOutputAsn, RefusesASpectralProduct) {
  StreamInfo s = make_stream(2.0, 6, 0, 1, 1.0, 0);
  auto axis = std::make_shared<dasflow::SpectralAxis>();
  axis->kind = dasflow::SpectralAxis::Kind::bands;
  axis->low_hz = {1, 10};
  axis->high_hz = {10, 50};
  axis->n_locations = 3;
  s.spectral = axis;
  auto r = ZmqOutput::open(config(ZmqOutputConfig::Protocol::asn), s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, dasflow::Errc::config);
  EXPECT_NE(r.error().message.find("spectral"), std::string::npos) << r.error().message;
}

// ---------------------------------------------------------------------------------------------
// Bounded: a subscriber that never reads

TEST(ZmqOutputBounded, AStalledSubscriberNeverBlocksWrite) {
  for (const auto protocol : {ZmqOutputConfig::Protocol::dasflow, ZmqOutputConfig::Protocol::asn}) {
    SCOPED_TRACE(protocol == ZmqOutputConfig::Protocol::asn ? "asn" : "dasflow");
    const StreamInfo st = make_stream(1000.0, 16, 0, 1, 1.0, 0);
    ZmqOutputConfig cfg = config(protocol);
    cfg.hwm = 2;
    auto out = open_output(cfg, st);
    ASSERT_NE(out, nullptr);
    zmq::context_t ctx(1);
    zmq::socket_t sub(ctx, zmq::socket_type::sub);
    sub.set(zmq::sockopt::rcvhwm, 2);
    sub.set(zmq::sockopt::rcvtimeo, 100);
    sub.set(zmq::sockopt::linger, 0);
    sub.set(zmq::sockopt::subscribe, "");
    sub.connect(out->bound_endpoint());
    // Connected for sure: one message received. From here on the subscriber reads nothing.
    const Chunk chunk = make_chunk(16, 0, 100); // 6.4 kB; 10,000 of them exceed any socket buffers
    bool connected = false;
    for (const auto end = Clock::now() + kDeadline; !connected && Clock::now() < end;) {
      ASSERT_TRUE(out->write(chunk).ok());
      connected = recv_frames(sub).has_value();
    }
    ASSERT_TRUE(connected);
    const std::uint64_t before = out->messages_sent() + out->drops();

    std::promise<bool> done;
    auto finished = done.get_future();
    std::thread writer([&out, &done] {
      bool ok = true;
      Chunk c = make_chunk(16, 0, 100);
      for (std::int64_t i = 0; i < 10'000 && ok; ++i) {
        c.first_index = 1'000 + i * 100;
        ok = out->write(c).ok();
      }
      done.set_value(ok);
    });
    if (finished.wait_for(60s) != std::future_status::ready) {
      // write() is blocked on the stalled subscriber: report and end the process, since the
      // writer thread cannot be joined.
      std::fprintf(stderr, "FAILED: 10,000 writes did not finish within 60 s: write() blocks\n");
      std::fflush(stderr);
      std::_Exit(1);
    }
    writer.join();
    EXPECT_TRUE(finished.get());
    EXPECT_GE(out->messages_sent() + out->drops() - before, 10'000u);

    // The loss is visible to the subscriber: far fewer than 10,000 data messages queued for it.
    std::size_t received = 0;
    while (recv_frames(sub))
      ++received;
    EXPECT_LT(received, 10'000u);
    EXPECT_TRUE(out->close(false).ok());
  }
}

// ---------------------------------------------------------------------------------------------
// CURVE

void only_allowed_clients_receive(bool allowed_as_directory) {
  dasflow::testing::TempDir dir("zmq_curve");
  for (const char* k : {"server.key", "good.key", "bad.key"})
    ASSERT_TRUE(dasflow::io::write_curve_keypair(dir / k).ok());
  auto server = dasflow::io::read_curve_keypair(dir / "server.key");
  auto good = dasflow::io::read_curve_keypair(dir / "good.key");
  auto bad = dasflow::io::read_curve_keypair(dir / "bad.key");
  ASSERT_TRUE(server.ok() && good.ok() && bad.ok());

  ZmqOutputConfig cfg = config(ZmqOutputConfig::Protocol::dasflow);
  cfg.curve_server_keys_file = dir / "server.key";
  if (allowed_as_directory) {
    std::filesystem::create_directories(dir / "clients");
    std::filesystem::copy_file(dir / "good.key", dir / "clients/good.key");
    cfg.curve_allowed_clients_file = dir / "clients";
  } else {
    std::ofstream(dir / "allowed") << "# who may subscribe\n\n" << good->public_key << "\n";
    cfg.curve_allowed_clients_file = dir / "allowed";
  }
  const StreamInfo st = make_stream(100.0, 2, 0, 1, 1.0, 0);
  auto out = open_output(cfg, st);
  ASSERT_NE(out, nullptr);

  zmq::context_t ctx(1);
  const auto curve_client = [&](const dasflow::io::CurveKeyPair& keys) {
    zmq::socket_t s(ctx, zmq::socket_type::sub);
    s.set(zmq::sockopt::curve_serverkey, server->public_key);
    s.set(zmq::sockopt::curve_publickey, keys.public_key);
    s.set(zmq::sockopt::curve_secretkey, keys.secret_key);
    s.set(zmq::sockopt::rcvtimeo, 10);
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::subscribe, "");
    s.connect(out->bound_endpoint());
    return s;
  };
  zmq::socket_t allowed = curve_client(*good);
  zmq::socket_t refused = curve_client(*bad); // knows the server key, but is not on the list
  zmq::socket_t plain(ctx, zmq::socket_type::sub);
  plain.set(zmq::sockopt::rcvtimeo, 10);
  plain.set(zmq::sockopt::linger, 0);
  plain.set(zmq::sockopt::subscribe, "");
  plain.connect(out->bound_endpoint());

  std::size_t n_allowed = 0, n_refused = 0, n_plain = 0;
  const auto poll_all = [&] {
    while (recv_frames(allowed))
      ++n_allowed;
    while (recv_frames(refused))
      ++n_refused;
    while (recv_frames(plain))
      ++n_plain;
  };
  std::int64_t next = 0;
  for (const auto end = Clock::now() + kDeadline; n_allowed == 0 && Clock::now() < end;) {
    ASSERT_TRUE(out->write(make_chunk(2, next, 10)).ok());
    next += 10;
    poll_all();
  }
  ASSERT_GT(n_allowed, 0u) << "the allowed client never received";
  // About a second more of publishing: the others had every chance to receive.
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(out->write(make_chunk(2, next, 10)).ok());
    next += 10;
    poll_all();
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_GT(n_allowed, 10u);
  EXPECT_EQ(n_refused, 0u) << "a client whose key is not allowed received data";
  EXPECT_EQ(n_plain, 0u) << "a client without CURVE received data";
  EXPECT_TRUE(out->close(true).ok()); // stops the ZAP thread
}

TEST(ZmqOutputCurve, OnlyClientsInTheAllowListFileReceive) { only_allowed_clients_receive(false); }
TEST(ZmqOutputCurve, OnlyClientsInTheAllowListDirectoryReceive) { only_allowed_clients_receive(true); }

TEST(ZmqOutputCurve, AnEmptyAllowListIsRefused) {
  dasflow::testing::TempDir dir("zmq_curve_empty");
  ASSERT_TRUE(dasflow::io::write_curve_keypair(dir / "server.key").ok());
  std::ofstream(dir / "allowed") << "# nobody\n";
  ZmqOutputConfig cfg = config(ZmqOutputConfig::Protocol::dasflow);
  cfg.curve_server_keys_file = dir / "server.key";
  cfg.curve_allowed_clients_file = dir / "allowed";
  EXPECT_FALSE(ZmqOutput::open(cfg, make_stream(100.0, 2, 0, 1, 1.0, 0)).ok());
}

// ---------------------------------------------------------------------------------------------
// checkpoint / resume

TEST(ZmqOutputCheckpoint, ResumeContinuesSequenceNumbers) {
  const StreamInfo st = make_stream(100.0, 2, 0, 1, 1.0, 0);
  StateTree saved;
  {
    auto out = open_output(config(ZmqOutputConfig::Protocol::dasflow), st);
    ASSERT_NE(out, nullptr);
    ASSERT_TRUE(out->write(make_chunk(2, 100, 10)).ok());
    Chunk with_event = make_chunk(2, 110, 10);
    with_event.events = {trigger(1, 105, 112, 2.0)};
    ASSERT_TRUE(out->write(with_event).ok());
    ASSERT_TRUE(out->write(make_chunk(2, 120, 10)).ok());
    auto cp = out->checkpoint();
    ASSERT_TRUE(cp.ok());
    EXPECT_TRUE(cp->expect("zmq-output", 1).ok());
    EXPECT_EQ(cp->get_string("key").value_or(""), out->key());
    EXPECT_EQ(cp->get_int("seq_data").value_or(-1), 3);
    EXPECT_EQ(cp->get_int("seq_events").value_or(-1), 1);
    EXPECT_GE(cp->get_int("seq_status").value_or(-1), 1);
    auto bytes = cp->serialize();
    auto back = StateTree::deserialize(bytes);
    ASSERT_TRUE(back.ok());
    saved = *back;
    ASSERT_TRUE(out->close(false).ok());
  }
  auto out = open_output(config(ZmqOutputConfig::Protocol::dasflow), st);
  ASSERT_NE(out, nullptr);
  EXPECT_FALSE(out->resume(StateTree("events-output", 1)).ok());
  ASSERT_TRUE(out->resume(saved).ok());

  zmq::context_t ctx(1);
  zmq::socket_t sub = subscriber(ctx, out->bound_endpoint());
  std::map<std::int64_t, std::uint64_t> expected_seq;
  std::int64_t next = 130; // continues the checkpointed stream
  std::optional<json> first_data;
  for (const auto end = Clock::now() + kDeadline; !first_data && Clock::now() < end;) {
    const std::uint64_t k = 3 + expected_seq.size();
    expected_seq[next] = k;
    ASSERT_TRUE(out->write(make_chunk(2, next, 10)).ok());
    next += 10;
    while (auto m = recv_frames(sub))
      if (m->front() == "data" && !first_data) first_data = json::parse((*m)[1]);
  }
  ASSERT_TRUE(first_data.has_value());
  const auto fi = first_data->at("first_index").get<std::int64_t>();
  EXPECT_EQ(first_data->at("seq").get<std::uint64_t>(), expected_seq.at(fi)) << "seq continues from the checkpoint";
  EXPECT_FALSE(first_data->at("gap_before").get<bool>());

  Chunk with_event = make_chunk(2, next, 10);
  with_event.events = {trigger(0, next, next + 3, 9.0)};
  ASSERT_TRUE(out->write(with_event).ok());
  std::optional<json> ev;
  for (const auto end = Clock::now() + kDeadline; !ev && Clock::now() < end;)
    if (auto m = recv_frames(sub); m && m->front() == "events") ev = json::parse((*m)[1]);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->at("seq").get<std::uint64_t>(), 1u) << "events seq continues from the checkpoint";

  auto cp = out->checkpoint();
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->get_int("seq_data").value_or(-1), static_cast<std::int64_t>(3 + expected_seq.size() + 1));
  EXPECT_EQ(cp->get_int("seq_events").value_or(-1), 2);
}

} // namespace
