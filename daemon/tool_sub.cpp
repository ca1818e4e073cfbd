// `dasflow sub`: a subscriber that shows what a feed or a daemon publishes, one line per message
// (or one JSON object with --json, for scripts and tests), and can store the data in HDF5.
// Loss is reported as the protocols make it visible: a seq jump (dasflow, PROTOCOLS.md §2) or a
// first sample that does not continue the previous message's sample grid (both protocols; §1–2).
//
// --output FILE.h5 hands the received data to io::Hdf5Output (the daemon's own writer, xdas
// layout, PROTOCOLS.md §3) in FILE's directory with FILE's stem as prefix and a rotation period of
// ~31 years, i.e. one file per stream: `<stem>_<UTC start>.h5.part` while receiving. On a clean
// exit (--count reached, SIGINT/SIGTERM, --timeout) the file is closed, and when the whole run
// fitted in one file it is renamed to FILE.h5. A stream change (new ASN header with another
// shape, or dasflow headers describing another stream) finishes the current file and starts a
// new one; those files keep their time-stamped names.

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
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

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

/// Sum of the samples in double: a cheap fingerprint a test can recompute from the source.
double checksum(const float* v, std::size_t n) {
  double s = 0;
  for (std::size_t i = 0; i < n; ++i)
    s += v[i];
  return s;
}

bool same_stream(const StreamInfo& a, const StreamInfo& b) {
  return a.fs_hz == b.fs_hz && a.origin_ns == b.origin_ns && a.n_channels == b.n_channels && a.coords && b.coords &&
         *a.coords == *b.coords;
}

/// The ASN stream a header describes. The origin (time of index 0) is set by the first data
/// message: ASN timestamps carry no index, so indices count samples since the epoch on the grid of
/// the first timestamp (DESIGN.md §2), exactly like the daemon's asn source.
StreamInfo asn_stream_of(const io::asn::Header& h) {
  StreamInfo s;
  s.fs_hz = 1.0 / h.dt_s;
  if (const double r = std::round(s.fs_hz); std::fabs(s.fs_hz - r) < 1e-9 * r) s.fs_hz = r;
  s.n_channels = h.n_channels;
  const auto numbers = h.channel_numbers();
  s.coords = std::make_shared<const ChannelCoords>(
      ChannelCoords{numbers.front(), numbers.size() > 1 ? numbers[1] - numbers[0] : 1, h.dx_m});
  return s;
}

/// Time of index 0 in [0, period) on the grid through `t0_ns`.
std::int64_t origin_through(std::int64_t t0_ns, double fs_hz) {
  const long double period = 1e9L / static_cast<long double>(fs_hz);
  const long double k = std::floor(static_cast<long double>(t0_ns) / period);
  return t0_ns - static_cast<std::int64_t>(std::llround(k * period));
}

/// The absolute index of a sample at `t_ns` (the nearest grid point).
std::int64_t index_at(const StreamInfo& s, std::int64_t t_ns) {
  return static_cast<std::int64_t>(
      std::llround(static_cast<long double>(t_ns - s.origin_ns) * static_cast<long double>(s.fs_hz) / 1e9L));
}

/// --output: an Hdf5Output created at the first data message, following stream changes.
class FileSink {
public:
  explicit FileSink(std::string path) : path_(std::move(path)) {}

  Result<void> write(const StreamInfo& stream, const ChunkView& rows) {
    if (!out_) {
      const fs::path p(path_);
      io::Hdf5OutputConfig c;
      c.dir = p.parent_path().empty() ? "." : p.parent_path().string();
      c.prefix = p.stem().string();
      c.file_duration_s = 1e9; // one file per stream (boundaries every ~31 years)
      out_ = std::make_unique<io::Hdf5Output>(c, stream, "(received by dasflow sub)", "dasflow sub");
      stream_ = stream;
    } else if (!same_stream(stream, stream_)) {
      if (auto r = out_->change_stream(stream); !r.ok()) return r;
      stream_ = stream;
      ++changes_;
    }
    return out_->write(rows);
  }

  /// Closes the file; a single complete file becomes FILE.h5. Prints where the data went.
  Result<void> close() {
    if (!out_) return {};
    if (auto r = out_->close(); !r.ok()) return r;
    const auto& files = out_->completed_files();
    if (files.size() == 1 && changes_ == 0) {
      std::error_code ec;
      fs::rename(files[0], path_, ec);
      if (ec) return Error{Errc::io, files[0] + " -> " + path_ + ": rename: " + ec.message()};
      std::fprintf(stderr, "dasflow sub: wrote %s (%llu rows)\n", path_.c_str(),
                   static_cast<unsigned long long>(out_->rows_written()));
    } else {
      for (const auto& f : files)
        std::fprintf(stderr, "dasflow sub: wrote %s\n", f.c_str());
    }
    return {};
  }

private:
  std::string path_;
  std::unique_ptr<io::Hdf5Output> out_;
  StreamInfo stream_;
  std::size_t changes_ = 0;
};

/// recv that treats a signal (EINTR: cppzmq throws) like the receive timeout: the loop then sees
/// g_stop.
bool receive(zmq::socket_t& sub, zmq::message_t& m) {
  for (;;) {
    try {
      return sub.recv(m, zmq::recv_flags::none).has_value();
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
      if (g_stop) return false;
    }
  }
}

/// Loads the CURVE client keys: this client's key pair and the server's public key (each the
/// first key lines of a file written by `dasflow keygen`; PROTOCOLS.md §2 "optional CURVE").
Result<void> setup_curve(zmq::socket_t& sub, const SubOptions& o) {
  if (o.curve_server_key.empty() != o.curve_client_keys.empty())
    return Error{Errc::config, "--curve-server-key and --curve-client-keys go together"};
  if (o.curve_server_key.empty()) return {};
  auto server = io::read_curve_public_key(o.curve_server_key);
  if (!server.ok()) return server.error();
  auto mine = io::read_curve_keypair(o.curve_client_keys);
  if (!mine.ok()) return mine.error();
  sub.set(zmq::sockopt::curve_serverkey, *server);
  sub.set(zmq::sockopt::curve_publickey, mine->public_key);
  sub.set(zmq::sockopt::curve_secretkey, mine->secret_key);
  return {};
}

} // namespace

int run_sub(const SubOptions& o) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const bool asn = o.protocol == "asn";
  if (!o.output.empty() && fs::exists(o.output)) {
    std::fprintf(stderr, "dasflow sub: %s exists; not overwriting it\n", o.output.c_str());
    return 2;
  }
  zmq::context_t ctx(1);
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  try {
    sub.set(zmq::sockopt::rcvtimeo, 100); // wake up for signals and --timeout
    sub.set(zmq::sockopt::linger, 0);
    if (auto r = setup_curve(sub, o); !r.ok()) {
      std::fprintf(stderr, "dasflow sub: %s\n", r.error().message.c_str());
      return 2;
    }
    // ASN has no topic frame (PROTOCOLS.md §1); dasflow topics are filtered by prefix (§2).
    sub.set(zmq::sockopt::subscribe, asn ? std::string() : o.topic);
    sub.connect(o.address);
  } catch (const zmq::error_t& e) {
    std::fprintf(stderr, "dasflow sub: %s: %s\n", o.address.c_str(), e.what());
    return 2;
  }

  std::optional<FileSink> file;
  if (!o.output.empty()) file.emplace(o.output);
  std::optional<io::asn::Header> header; // asn: the current header (data needs one first)
  StreamInfo asn_stream;
  bool asn_origin_set = false;
  std::optional<std::uint64_t> next_seq;
  // Where the next data message should start; an int and a flag rather than an optional, which gcc 12's
  // -Wmaybe-uninitialized misreads here.
  std::int64_t next_index = 0;
  bool have_next_index = false;
  std::size_t received = 0;
  std::vector<float> rows;
  auto last = std::chrono::steady_clock::now();
  int status = 0;
  const auto print = [&](const Json& line, const std::string& text) {
    std::printf("%s\n", o.json ? line.dump().c_str() : text.c_str());
    std::fflush(stdout);
  };

  try {
    while (!g_stop && (o.count == 0 || received < o.count)) {
      std::vector<zmq::message_t> frames;
      zmq::message_t m;
      if (!receive(sub, m)) {
        if (o.timeout_s > 0 && std::chrono::steady_clock::now() - last > std::chrono::duration<double>(o.timeout_s)) {
          std::fprintf(stderr, "dasflow sub: nothing from %s for %g s\n", o.address.c_str(), o.timeout_s);
          status = 1;
          break;
        }
        continue;
      }
      last = std::chrono::steady_clock::now();
      frames.push_back(std::move(m));
      while (frames.back().more()) {
        zmq::message_t part;
        if (!receive(sub, part)) break;
        frames.push_back(std::move(part));
      }

      // What a data message of either protocol comes down to.
      Json line;
      StreamInfo stream;
      std::int64_t first_index = 0, t0_ns = 0;
      std::size_t n_samples = 0, n_channels = 0;
      std::optional<std::uint64_t> lost_messages;
      bool gap_flag = false;
      if (asn) {
        const zmq::message_t& f = frames[0];
        // Header or data: by length only (PROTOCOLS.md §1).
        if (!header || f.size() != header->data_message_bytes()) {
          auto h = io::asn::parse_header(std::string_view(static_cast<const char*>(f.data()), f.size()));
          if (!h.ok()) {
            std::fprintf(stderr, "dasflow sub: skipped a message: %s\n", h.error().message.c_str());
            continue;
          }
          const bool news = !header || !header->same_layout(*h); // real interrogators repeat headers
          if (header && header->dt_s != h->dt_s) {
            asn_origin_set = false; // another rate: another sample grid
            have_next_index = false;
          }
          header = *h;
          if (!news) continue;
          const StreamInfo s = asn_stream_of(*h);
          asn_stream.fs_hz = s.fs_hz;
          asn_stream.n_channels = s.n_channels;
          asn_stream.coords = s.coords;
          char text[200];
          std::snprintf(text, sizeof text,
                        "header: %zu channels (from %lld step %lld) at %g Hz, %zu samples per message", h->n_channels,
                        static_cast<long long>(s.coords->first), static_cast<long long>(s.coords->step), s.fs_hz,
                        h->packages_per_message);
          print(Json{{"topic", "header"},
                     {"n_channels", h->n_channels},
                     {"fs", s.fs_hz},
                     {"packages", h->packages_per_message},
                     {"channel_first", s.coords->first},
                     {"channel_step", s.coords->step},
                     {"dx_m", s.coords->dx_m}},
                text);
          continue;
        }
        rows.resize(header->packages_per_message * header->n_channels);
        auto t0 = io::asn::decode_data(
            *header, std::span<const std::byte>(static_cast<const std::byte*>(f.data()), f.size()), rows.data());
        if (!t0.ok()) {
          std::fprintf(stderr, "dasflow sub: skipped a message: %s\n", t0.error().message.c_str());
          continue;
        }
        if (!asn_origin_set) asn_stream.origin_ns = origin_through(*t0, asn_stream.fs_hz);
        asn_origin_set = true;
        stream = asn_stream;
        t0_ns = *t0;
        first_index = index_at(stream, t0_ns);
        n_samples = header->packages_per_message;
        n_channels = header->n_channels;
        line["topic"] = "data";
      } else {
        const std::string topic = frames[0].to_string();
        if (frames.size() < 2) {
          std::fprintf(stderr, "dasflow sub: skipped a %zu-frame message\n", frames.size());
          continue;
        }
        const std::string_view text(static_cast<const char*>(frames[1].data()), frames[1].size());
        line["topic"] = topic;
        if (topic == "data") {
          auto h = io::wire::parse_data_header(text);
          if (!h.ok()) {
            std::fprintf(stderr, "dasflow sub: skipped a data message: %s\n", h.error().message.c_str());
            continue;
          }
          auto payload = frames.size() == 3 ? io::wire::check_payload(*h, frames[2].size())
                                            : Result<void>(Error{Errc::protocol, "no payload frame"});
          if (!payload.ok()) {
            std::fprintf(stderr, "dasflow sub: skipped a data message: %s\n", payload.error().message.c_str());
            continue;
          }
          if (next_seq && h->seq != *next_seq) lost_messages = h->seq - *next_seq;
          next_seq = h->seq + 1;
          line["seq"] = h->seq;
          rows.resize(h->n_samples * h->n_channels);
          if (!rows.empty()) std::memcpy(rows.data(), frames[2].data(), frames[2].size());
          stream = io::wire::stream_of(*h);
          first_index = h->first_index;
          t0_ns = h->t0_ns;
          n_samples = h->n_samples;
          n_channels = h->n_channels;
          gap_flag = h->gap_before;
        } else {
          // events / status: header only; print it, with the same seq check (+1 per message on
          // this topic, PROTOCOLS.md §2).
          Json j = Json::parse(text, nullptr, false);
          if (j.is_discarded() || !j.is_object()) {
            std::fprintf(stderr, "dasflow sub: skipped a %s message that is not a JSON object\n", topic.c_str());
            continue;
          }
          if (j.contains("seq") && j["seq"].is_number_unsigned()) {
            const auto seq = j["seq"].get<std::uint64_t>();
            if (next_seq && seq != *next_seq) line["lost_messages"] = seq - *next_seq;
            next_seq = seq + 1;
          }
          line["message"] = j;
          ++received;
          print(line, topic + " " + j.dump());
          continue;
        }
      }

      // A data message of either protocol.
      ++received;
      std::optional<std::int64_t> gap_samples; // > 0 missing samples, < 0 overlap
      if (have_next_index && first_index != next_index) gap_samples = first_index - next_index;
      next_index = first_index + static_cast<std::int64_t>(n_samples);
      have_next_index = true;
      const bool lost = lost_messages.has_value() || gap_samples.has_value();
      line["t0_ns"] = t0_ns;
      line["first_index"] = first_index;
      line["n_samples"] = n_samples;
      line["n_channels"] = n_channels;
      line["fs"] = stream.fs_hz;
      line["lost"] = lost;
      if (lost_messages) line["lost_messages"] = *lost_messages;
      if (gap_samples) line["gap_samples"] = *gap_samples;
      if (gap_flag) line["gap_before"] = true;
      line["sum"] = checksum(rows.data(), n_samples * n_channels);
      if (o.dump)
        line["values"] =
            std::vector<float>(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(n_samples * n_channels));

      std::string text = io::iso8601_ns(t0_ns) + "  " + std::to_string(n_samples) + " x " + std::to_string(n_channels);
      char more[160];
      std::snprintf(more, sizeof more, " @ %g Hz  index %lld", stream.fs_hz, static_cast<long long>(first_index));
      text += more;
      if (line.contains("seq")) text += "  seq " + line["seq"].dump();
      if (lost_messages) text += "  LOST " + std::to_string(*lost_messages) + " messages";
      if (gap_samples && *gap_samples > 0) text += "  GAP of " + std::to_string(*gap_samples) + " samples";
      if (gap_samples && *gap_samples < 0) text += "  OVERLAP of " + std::to_string(-*gap_samples) + " samples";
      print(line, text);

      if (file) {
        const ChunkView v{std::span<const float>(rows.data(), n_samples * n_channels),
                          n_samples,
                          n_channels,
                          first_index,
                          {},
                          kNoPendingEvents};
        if (auto r = file->write(stream, v); !r.ok()) {
          std::fprintf(stderr, "dasflow sub: %s\n", r.error().message.c_str());
          status = 1;
          break;
        }
      }
    }
  } catch (const zmq::error_t& e) { // not a protocol error: the socket itself failed
    std::fprintf(stderr, "dasflow sub: %s: %s\n", o.address.c_str(), e.what());
    status = 1;
  }
  if (file)
    if (auto r = file->close(); !r.ok()) {
      std::fprintf(stderr, "dasflow sub: %s\n", r.error().message.c_str());
      status = 1;
    }
  return status;
}

} // namespace dasflow::tool
