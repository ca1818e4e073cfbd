// `dasflow sub`: a subscriber that shows what a feed or a daemon publishes, one line per message
// (or one JSON object with --json, for scripts and tests), and can store the data in HDF5.
// Loss is reported as the protocols make it visible: a seq jump (dasflow) or an index that does
// not continue the previous message (both protocols; PROTOCOLS.md §1–2).

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "dasflow/io/asn_protocol.hpp"
#include "dasflow/io/dasflow_protocol.hpp"
#include "dasflow/io/events_output.hpp"
#include "dasflow/io/hdf5_output.hpp"
#include "dasflow/io/zmq_output.hpp"
#include "tool_commands.hpp"

namespace dasflow::tool {

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

double checksum(const float* v, std::size_t n) {
  double s = 0;
  for (std::size_t i = 0; i < n; ++i)
    s += v[i];
  return s;
}

} // namespace

int run_sub(const SubOptions& o) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const bool asn = o.protocol == "asn";
  zmq::context_t ctx(1);
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  try {
    sub.set(zmq::sockopt::rcvtimeo, 100);
    sub.set(zmq::sockopt::linger, 0);
    if (!o.curve_server_key.empty()) {
      auto server = io::read_curve_public_key(o.curve_server_key);
      auto pub = io::read_curve_public_key(o.curve_client_keys);
      std::ifstream keys(o.curve_client_keys);
      std::string line, secret;
      int k = 0;
      while (std::getline(keys, line))
        if (!line.empty() && line[0] != '#' && k++ == 1) secret = line;
      if (!server.ok() || !pub.ok() || secret.size() != 40) {
        std::fprintf(stderr, "dasflow sub: unreadable CURVE key files\n");
        return 2;
      }
      sub.set(zmq::sockopt::curve_serverkey, *server);
      sub.set(zmq::sockopt::curve_publickey, *pub);
      sub.set(zmq::sockopt::curve_secretkey, secret);
    }
    sub.set(zmq::sockopt::subscribe, asn ? std::string() : o.topic);
    sub.connect(o.address);
  } catch (const zmq::error_t& e) {
    std::fprintf(stderr, "dasflow sub: %s: %s\n", o.address.c_str(), e.what());
    return 2;
  }
  std::unique_ptr<io::Hdf5Output> file;
  std::optional<io::asn::Header> header;
  StreamInfo asn_stream;
  std::optional<std::uint64_t> next_seq;
  std::optional<std::int64_t> next_index;
  std::size_t received = 0;
  std::vector<float> rows;
  auto last = std::chrono::steady_clock::now();
  int status = 0;
  while (!g_stop && (o.count == 0 || received < o.count)) {
    std::vector<zmq::message_t> frames;
    zmq::message_t m;
    bool got = false;
    try {
      got = sub.recv(m, zmq::recv_flags::none).has_value();
    } catch (const zmq::error_t& e) { // EINTR: a signal; the loop condition decides
      if (e.num() != EINTR) throw;
      continue;
    }
    if (!got) {
      if (o.timeout_s > 0 && std::chrono::steady_clock::now() - last > std::chrono::duration<double>(o.timeout_s)) {
        std::fprintf(stderr, "dasflow sub: nothing from %s for %g s\n", o.address.c_str(), o.timeout_s);
        status = 1;
        break;
      }
      continue;
    }
    last = std::chrono::steady_clock::now();
    frames.push_back(std::move(m));
    try {
      while (frames.back().more()) {
        zmq::message_t part;
        if (!sub.recv(part, zmq::recv_flags::none)) break;
        frames.push_back(std::move(part));
      }
    } catch (const zmq::error_t&) {
      continue;
    }
    nlohmann::ordered_json line;
    const float* data = nullptr;
    StreamInfo stream;
    std::int64_t first_index = 0;
    std::size_t n_samples = 0, n_channels = 0;
    if (asn) {
      const zmq::message_t& f = frames[0];
      if (header && f.size() == header->data_message_bytes()) {
        rows.resize(header->packages_per_message * header->n_channels);
        auto t0 = io::asn::decode_data(
            *header, std::span<const std::byte>(static_cast<const std::byte*>(f.data()), f.size()), rows.data());
        const long double period = 1e9L / static_cast<long double>(asn_stream.fs_hz);
        if (asn_stream.origin_ns == 0 && !next_index)
          asn_stream.origin_ns = *t0 - static_cast<std::int64_t>(
                                           std::llround(std::floor(static_cast<long double>(*t0) / period) * period));
        first_index =
            static_cast<std::int64_t>(std::llround(static_cast<long double>(*t0 - asn_stream.origin_ns) / period));
        n_samples = header->packages_per_message;
        n_channels = header->n_channels;
        data = rows.data();
        stream = asn_stream;
        line["topic"] = "data";
        line["t0_ns"] = *t0;
      } else {
        auto h = io::asn::parse_header(std::string_view(static_cast<const char*>(f.data()), f.size()));
        if (!h.ok()) {
          std::fprintf(stderr, "skipped: %s\n", h.error().message.c_str());
          continue;
        }
        header = *h;
        asn_stream.fs_hz = 1.0 / h->dt_s;
        if (const double r = std::round(asn_stream.fs_hz); std::fabs(asn_stream.fs_hz - r) < 1e-9 * r)
          asn_stream.fs_hz = r;
        asn_stream.n_channels = h->n_channels;
        const auto numbers = h->channel_numbers();
        asn_stream.coords = std::make_shared<const ChannelCoords>(
            ChannelCoords{numbers.front(), numbers.size() > 1 ? numbers[1] - numbers[0] : 1, h->dx_m});
        if (o.json) {
          nlohmann::ordered_json hj{{"topic", "header"},
                                    {"n_channels", h->n_channels},
                                    {"fs", asn_stream.fs_hz},
                                    {"packages", h->packages_per_message}};
          std::printf("%s\n", hj.dump().c_str());
        } else {
          std::printf("header: %zu channels at %g Hz, %zu samples per message\n", h->n_channels, asn_stream.fs_hz,
                      h->packages_per_message);
        }
        std::fflush(stdout);
        continue;
      }
    } else {
      const std::string topic = frames[0].to_string();
      if (frames.size() < 2) continue;
      const std::string_view text(static_cast<const char*>(frames[1].data()), frames[1].size());
      line["topic"] = topic;
      if (topic == "data") {
        auto h = io::wire::parse_data_header(text);
        if (!h.ok() || frames.size() != 3 || !io::wire::check_payload(*h, frames[2].size()).ok()) {
          std::fprintf(stderr, "skipped a malformed data message\n");
          continue;
        }
        if (next_seq && h->seq != *next_seq) line["lost_messages"] = h->seq - *next_seq;
        next_seq = h->seq + 1;
        line["seq"] = h->seq;
        line["t0_ns"] = h->t0_ns;
        rows.resize(h->n_samples * h->n_channels);
        std::memcpy(rows.data(), frames[2].data(), frames[2].size());
        data = rows.data();
        stream = io::wire::stream_of(*h);
        first_index = h->first_index;
        n_samples = h->n_samples;
        n_channels = h->n_channels;
      } else {
        nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
        if (j.is_discarded()) continue;
        line["message"] = j;
      }
    }
    ++received;
    if (data != nullptr) {
      if (next_index && first_index != *next_index) line["gap_samples"] = first_index - *next_index;
      next_index = first_index + static_cast<std::int64_t>(n_samples);
      line["first_index"] = first_index;
      line["n_samples"] = n_samples;
      line["n_channels"] = n_channels;
      line["fs"] = stream.fs_hz;
      line["sum"] = checksum(data, n_samples * n_channels);
      if (!o.output.empty()) {
        if (!file) {
          const std::filesystem::path p(o.output);
          io::Hdf5OutputConfig c;
          c.dir = p.parent_path().empty() ? "." : p.parent_path().string();
          c.prefix = p.stem().string();
          c.file_duration_s = 86400;
          file = std::make_unique<io::Hdf5Output>(c, stream, "(received by dasflow sub)", "dasflow sub");
        }
        ChunkView v{std::span<const float>(data, n_samples * n_channels),
                    n_samples,
                    n_channels,
                    first_index,
                    {},
                    kNoPendingEvents};
        if (auto r = file->write(v); !r.ok()) {
          std::fprintf(stderr, "dasflow sub: %s\n", r.error().message.c_str());
          status = 1;
          break;
        }
      }
    }
    if (o.json) {
      std::printf("%s\n", line.dump().c_str());
    } else if (data != nullptr) {
      std::printf("%s  %zu x %zu @ %g Hz  index %lld%s%s\n", io::iso8601_ns(stream.time_ns(first_index)).c_str(),
                  n_samples, n_channels, stream.fs_hz, static_cast<long long>(first_index),
                  line.contains("seq") ? ("  seq " + line["seq"].dump()).c_str() : "",
                  line.contains("gap_samples") || line.contains("lost_messages") ? "  LOSS" : "");
    } else {
      std::printf("%s %s\n", line["topic"].get<std::string>().c_str(), line["message"].dump().c_str());
    }
    std::fflush(stdout);
  }
  if (file)
    if (auto r = file->close(); !r.ok()) std::fprintf(stderr, "dasflow sub: %s\n", r.error().message.c_str());
  return status;
}

} // namespace dasflow::tool
