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
//
// --stats S (benchmarks: bench/live.sh) prints no line per message but, every S seconds and at
// exit, what arrived, what was lost (seq jumps, gaps and overlaps of the sample index, the
// publisher's own drops from its `status` heartbeat) and how late it arrived: for each data
// message, the wall clock at its arrival minus the time of its last sample (origin_ns + index ·
// 1e9 / fs, DESIGN.md §2), and minus the time of its first sample. Sample times are the
// interrogator's timestamps, so on one machine (one clock) this is the latency from acquisition
// to reception, every stage in between included. --warmup W leaves the messages of the first W
// seconds after the first data message out of the latency figures (not out of the losses).

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
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

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Nearest-rank percentile of sorted values (NaN when there are none).
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

/// --stats: counts and latencies, printed every interval (latencies of that interval, counts since
/// the start) and once at exit (everything since the start).
class Stats {
public:
  Stats(bool json, double warmup_s) : json_(json), warmup_(warmup_s) {}

  void data(std::int64_t received_ns, const StreamInfo& s, std::int64_t first_index, std::size_t n_samples,
            std::size_t n_channels, std::optional<std::uint64_t> seq, std::optional<std::uint64_t> lost_messages,
            std::optional<std::int64_t> gap, bool gap_flag) {
    if (messages_ == 0) first_data_ = Clock::now();
    if (seq && !first_seq_) first_seq_ = seq;
    if (seq) last_seq_ = seq;
    ++messages_;
    rows_ += n_samples;
    bytes_ += n_samples * n_channels * sizeof(float);
    if (lost_messages) lost_messages_ += *lost_messages;
    if (gap && *gap > 0) ++gaps_, gap_samples_ += static_cast<std::uint64_t>(*gap);
    if (gap && *gap < 0) ++overlaps_, overlap_samples_ += static_cast<std::uint64_t>(-*gap);
    if (gap_flag) ++gap_flags_;
    if (n_samples == 0 || Clock::now() - first_data_ < warmup_) return;
    const std::int64_t last_index = first_index + static_cast<std::int64_t>(n_samples) - 1;
    last_ms_.push_back(static_cast<double>(received_ns - s.time_ns(last_index)) / 1e6);
    first_ms_.push_back(static_cast<double>(received_ns - s.time_ns(first_index)) / 1e6);
  }

  /// The `drops` of the publisher's status heartbeat (sends its socket refused).
  void publisher_drops(std::uint64_t n) { publisher_drops_ = std::max(publisher_drops_, n); }

  bool due() const { return Clock::now() - last_print_ >= std::chrono::duration<double>(interval_); }
  void set_interval(double s) { interval_ = s; }

  void print(bool final) {
    const std::size_t from = final ? 0 : printed_upto_;
    std::vector<double> last(last_ms_.begin() + static_cast<std::ptrdiff_t>(from), last_ms_.end());
    std::vector<double> first(first_ms_.begin() + static_cast<std::ptrdiff_t>(from), first_ms_.end());
    std::sort(last.begin(), last.end());
    std::sort(first.begin(), first.end());
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    Json j;
    j["stats"] = final ? "final" : "interval";
    j["elapsed_s"] = elapsed;
    j["messages"] = messages_;
    j["rows"] = rows_;
    j["mb_per_s"] = elapsed > 0 ? static_cast<double>(bytes_) / elapsed / 1e6 : 0.0;
    j["lost_messages"] = lost_messages_;
    j["gaps"] = gaps_;
    j["gap_samples"] = gap_samples_;
    j["overlaps"] = overlaps_;
    j["overlap_samples"] = overlap_samples_;
    j["gap_flags"] = gap_flags_;
    j["publisher_drops"] = publisher_drops_;
    j["first_seq"] = first_seq_ ? Json(*first_seq_) : Json(nullptr);
    j["last_seq"] = last_seq_ ? Json(*last_seq_) : Json(nullptr);
    j["latency_n"] = last.size();
    const auto ms = [](double v) { return std::isfinite(v) ? Json(std::round(v * 1000) / 1000) : Json(nullptr); };
    j["latency_p50_ms"] = ms(percentile(last, 50));
    j["latency_p99_ms"] = ms(percentile(last, 99));
    j["latency_max_ms"] = ms(last.empty() ? std::numeric_limits<double>::quiet_NaN() : last.back());
    j["first_sample_p50_ms"] = ms(percentile(first, 50));
    j["first_sample_p99_ms"] = ms(percentile(first, 99));
    if (json_) {
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::string text = final ? "stats final:" : "stats:";
      for (const auto& [k, v] : j.items())
        if (k != "stats") text += " " + k + "=" + v.dump();
      std::printf("%s\n", text.c_str());
    }
    std::fflush(stdout);
    printed_upto_ = last_ms_.size();
    last_print_ = Clock::now();
  }

private:
  using Clock = std::chrono::steady_clock;
  bool json_;
  std::chrono::duration<double> warmup_;
  double interval_ = 10;
  Clock::time_point start_ = Clock::now(), last_print_ = start_, first_data_ = start_;
  std::optional<std::uint64_t> first_seq_, last_seq_; ///< dasflow: seq of the first and latest data message
  std::uint64_t messages_ = 0, rows_ = 0, bytes_ = 0, lost_messages_ = 0, gaps_ = 0, gap_samples_ = 0, overlaps_ = 0,
                overlap_samples_ = 0, gap_flags_ = 0, publisher_drops_ = 0;
  std::vector<double> last_ms_, first_ms_; ///< per data message after the warm-up
  std::size_t printed_upto_ = 0;
};

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
    // --stats also reads the publisher's heartbeat for the drops it counted itself.
    if (!asn && o.stats_s > 0 && o.topic == "data") sub.set(zmq::sockopt::subscribe, "status");
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
  std::map<std::string, std::uint64_t> next_seq; // per topic (seq counts per topic, PROTOCOLS.md §2)
  std::optional<Stats> stats;
  if (o.stats_s > 0) {
    stats.emplace(o.json, o.warmup_s);
    stats->set_interval(o.stats_s);
  }
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
      if (stats && stats->due()) stats->print(false);
      if (!receive(sub, m)) {
        if (o.timeout_s > 0 && std::chrono::steady_clock::now() - last > std::chrono::duration<double>(o.timeout_s)) {
          std::fprintf(stderr, "dasflow sub: nothing from %s for %g s\n", o.address.c_str(), o.timeout_s);
          status = 1;
          break;
        }
        continue;
      }
      const std::int64_t received_ns = wall_ns();
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
          if (const auto e = next_seq.find(topic); e != next_seq.end() && h->seq != e->second)
            lost_messages = h->seq - e->second;
          next_seq[topic] = h->seq + 1;
          line["seq"] = h->seq;
          rows.resize(h->n_samples * h->n_channels);
          if (!rows.empty() && (!stats || file)) std::memcpy(rows.data(), frames[2].data(), frames[2].size());
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
            if (const auto e = next_seq.find(topic); e != next_seq.end() && seq != e->second)
              line["lost_messages"] = seq - e->second;
            next_seq[topic] = seq + 1;
          }
          if (stats) { // quiet: only the heartbeat's drop count is used
            if (topic == "status" && j.contains("drops") && j["drops"].is_number_unsigned())
              stats->publisher_drops(j["drops"].get<std::uint64_t>());
            if (topic != o.topic) continue; // subscribed for the heartbeat only: not counted
            ++received;
            continue;
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
      if (stats) {
        stats->data(received_ns, stream, first_index, n_samples, n_channels,
                    line.contains("seq") ? std::optional<std::uint64_t>(line["seq"].get<std::uint64_t>())
                                         : std::nullopt,
                    lost_messages, gap_samples, gap_flag);
      } else {
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

        std::string text =
            io::iso8601_ns(t0_ns) + "  " + std::to_string(n_samples) + " x " + std::to_string(n_channels);
        char more[160];
        std::snprintf(more, sizeof more, " @ %g Hz  index %lld", stream.fs_hz, static_cast<long long>(first_index));
        text += more;
        if (line.contains("seq")) text += "  seq " + line["seq"].dump();
        if (lost_messages) text += "  LOST " + std::to_string(*lost_messages) + " messages";
        if (gap_samples && *gap_samples > 0) text += "  GAP of " + std::to_string(*gap_samples) + " samples";
        if (gap_samples && *gap_samples < 0) text += "  OVERLAP of " + std::to_string(-*gap_samples) + " samples";
        print(line, text);
      }

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
  if (stats) stats->print(true);
  if (file)
    if (auto r = file->close(); !r.ok()) {
      std::fprintf(stderr, "dasflow sub: %s\n", r.error().message.c_str());
      status = 1;
    }
  return status;
}

} // namespace dasflow::tool
