#include "dasflow/io/zmq_source.hpp"

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include <zmq.hpp>

#include "dasflow/core/config_reader.hpp"
#include "dasflow/io/asn_protocol.hpp"
#include "dasflow/io/dasflow_protocol.hpp"

namespace dasflow::io {

namespace {

using Clock = std::chrono::steady_clock;

/// How often a blocked receive wakes up to look at the stop flag.
constexpr int kPollMs = 100;

/// Reads a Z85 key file: the first `index`-th non-empty line, trimmed (40 characters).
Result<std::string> read_key(const std::string& path, std::size_t index) {
  std::ifstream f(path);
  if (!f) return fail(Errc::config, path + ": cannot read the CURVE key file");
  std::string line;
  std::size_t k = 0;
  while (std::getline(f, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\n'))
      line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (k++ == index) {
      if (line.size() != 40) return fail(Errc::config, path + ": a CURVE key is 40 Z85 characters");
      return line;
    }
  }
  return fail(Errc::config, path + ": missing key line " + std::to_string(index + 1));
}

} // namespace

Result<ZmqSourceConfig> parse_zmq_source_config(const YAML::Node& node, const std::string& path) {
  ConfigReader r(node, path);
  ZmqSourceConfig c;
  const std::string type = r.choice("type", "asn", {"asn", "dasflow"});
  c.protocol = type == "dasflow" ? ZmqSourceConfig::Protocol::dasflow : ZmqSourceConfig::Protocol::asn;
  const YAML::Node address = node["address"];
  r.known("address");
  if (!address || !address.IsScalar() || address.Scalar().find("://") == std::string::npos)
    r.error("address", "is required: the publisher to connect to, e.g. \"tcp://192.168.1.10:3333\"");
  else
    c.address = address.Scalar();
  c.timeout_s = r.number("timeout", c.timeout_s);
  if (!(c.timeout_s > 0 && c.timeout_s < 1e6)) r.error("timeout", "must be in (0, 1e6) s");
  if (r.has("channels")) {
    const auto v = r.numbers("channels", true);
    if (v.size() != 3 || v[0] < 0 || v[1] <= v[0] || v[2] < 1 || v[0] != std::floor(v[0]) || v[1] != std::floor(v[1]) ||
        v[2] != std::floor(v[2]))
      r.error("channels", "must be [start, stop, step] integers with 0 <= start < stop and step >= 1");
    else
      c.channels = std::array<std::int64_t, 3>{static_cast<std::int64_t>(v[0]), static_cast<std::int64_t>(v[1]),
                                               static_cast<std::int64_t>(v[2])};
  }
  c.max_channels = static_cast<std::size_t>(r.integer("max_channels", 1'000'000, 1, 100'000'000));
  c.max_message_bytes =
      static_cast<std::size_t>(r.integer("max_message_bytes", std::int64_t{1} << 30, 1024, std::int64_t{1} << 34));
  if (r.has("curve")) {
    ConfigReader cr(node["curve"], path + ".curve");
    for (const char* k : {"server_public_key", "client_keys"}) {
      if (!cr.is_mapping()) break;                                      // reported once by cr, without follow-on errors
      const YAML::Node v = cr.has(k) ? node["curve"][k] : YAML::Node(); // curve: may be a scalar
      cr.known(k);
      if (!v || !v.IsScalar() || v.Scalar().empty())
        cr.error(k, "is required (a file path)");
      else if (std::string(k) == "server_public_key")
        c.curve_server_public_key_file = v.Scalar();
      else
        c.curve_client_key_file = v.Scalar();
    }
    const auto curve = cr.finish(); // its errors already name source.curve.*
    r.known("curve");
    DASFLOW_TRY(r.finish());
    if (!curve.ok()) return curve.error();
  }
  r.known("curve");
  DASFLOW_TRY(r.finish());
  return c;
}

struct ZmqSource::Impl {
  ZmqSourceConfig cfg;
  zmq::context_t ctx{1};
  std::optional<zmq::socket_t> sock;
  Clock::time_point last_message = Clock::now();

  std::optional<asn::Header> header;         ///< the acquisition in force
  bool header_changed = false;               ///< a new header waits for its first data message
  std::optional<wire::DataHeader> last_wire; ///< dasflow: the last data header (stream identity)

  mutable std::mutex stream_mutex;
  StreamInfo stream;
  bool have_stream = false;
  std::atomic<std::uint64_t> generation{0};
  std::vector<std::size_t> columns; ///< selected positions in the received rows
  std::vector<float> full;          ///< decode buffer when a subset is kept

  std::optional<Chunk> held; ///< the chunk open() decoded to anchor the stream
  std::uint64_t next_seq = 0;
  bool have_seq = false;

  std::atomic<std::uint64_t> n_messages{0}, n_data{0}, n_headers{0}, n_changes{0}, n_malformed{0}, n_reconnects{0},
      n_lost{0}, n_off_grid{0};

  void problem(const std::string& what, Source& self) {
    const std::uint64_t n = ++n_malformed;
    if ((n & (n - 1)) == 0) // 1, 2, 4, 8, ...: rate-limited
      self.report(Severity::warn,
                  "skipped a malformed message from " + cfg.address + " (" + std::to_string(n) + " so far): " + what);
  }

  Result<void> connect() {
    try {
      sock.emplace(ctx, zmq::socket_type::sub);
      sock->set(zmq::sockopt::rcvtimeo, kPollMs);
      sock->set(zmq::sockopt::linger, 0);
      sock->set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(cfg.max_message_bytes + 4096));
      if (!cfg.curve_server_public_key_file.empty()) {
        DASFLOW_TRY_ASSIGN(server, read_key(cfg.curve_server_public_key_file, 0));
        DASFLOW_TRY_ASSIGN(pub, read_key(cfg.curve_client_key_file, 0));
        DASFLOW_TRY_ASSIGN(sec, read_key(cfg.curve_client_key_file, 1));
        sock->set(zmq::sockopt::curve_serverkey, server);
        sock->set(zmq::sockopt::curve_publickey, pub);
        sock->set(zmq::sockopt::curve_secretkey, sec);
      }
      sock->set(zmq::sockopt::subscribe, cfg.protocol == ZmqSourceConfig::Protocol::dasflow ? "data" : "");
      sock->connect(cfg.address);
    } catch (const zmq::error_t& e) {
      return fail(Errc::config, "source.address " + cfg.address + ": " + e.what());
    }
    last_message = Clock::now();
    return {};
  }

  /// Receives every frame of one message; false on timeout.
  bool receive(std::vector<zmq::message_t>& frames) {
    frames.clear();
    zmq::message_t m;
    if (!sock->recv(m, zmq::recv_flags::none)) return false;
    frames.push_back(std::move(m));
    while (frames.back().more()) {
      zmq::message_t part;
      if (!sock->recv(part, zmq::recv_flags::none)) break;
      frames.push_back(std::move(part));
    }
    ++n_messages;
    last_message = Clock::now();
    return true;
  }

  /// The selected columns of a row of `n` channels, or an error if the selection does not fit.
  Result<void> select_columns(std::size_t n) {
    columns.clear();
    if (!cfg.channels) {
      for (std::size_t i = 0; i < n; ++i)
        columns.push_back(i);
      return {};
    }
    const auto [start, stop, step] = *cfg.channels;
    for (std::int64_t i = start; i < std::min<std::int64_t>(stop, static_cast<std::int64_t>(n)); i += step)
      columns.push_back(static_cast<std::size_t>(i));
    if (columns.empty())
      return fail(Errc::config, "source.channels [" + std::to_string(start) + ", " + std::to_string(stop) + ", " +
                                    std::to_string(step) + "] selects nothing of the " + std::to_string(n) +
                                    " channels the publisher sends");
    return {};
  }

  /// Channel coordinates of the kept columns, from the received channel numbers.
  ChannelCoords coords_of(const std::vector<std::int64_t>& numbers, double dx_m) const {
    ChannelCoords c;
    c.dx_m = dx_m;
    c.first = numbers.empty() ? 0 : numbers[columns.front()];
    c.step = columns.size() > 1 ? numbers[columns[1]] - numbers[columns[0]] : 1;
    if (c.step == 0) c.step = 1;
    return c;
  }

  void set_stream(StreamInfo s) {
    std::lock_guard lock(stream_mutex);
    stream = std::move(s);
    if (have_stream) ++generation;
    have_stream = true;
  }

  /// Copies the kept columns of `rows` (n_rows x width) into `out`.
  void gather(const float* rows, std::size_t n_rows, std::size_t width, Chunk& out) const {
    out.reshape(n_rows, columns.size());
    for (std::size_t t = 0; t < n_rows; ++t) {
      const float* src = rows + t * width;
      float* dst = out.row(t);
      for (std::size_t k = 0; k < columns.size(); ++k)
        dst[k] = src[columns[k]];
    }
  }

  // ---- ASN OptoDAS (PROTOCOLS.md §1)

  /// A data message of the current header into `out`; a header change is applied first.
  Result<void> asn_data(const zmq::message_t& m, Chunk& out) {
    const asn::Header& h = *header;
    const std::size_t width = h.n_channels;
    const bool subset = columns.size() != width;
    float* dst = nullptr;
    if (subset) {
      full.resize(h.packages_per_message * width);
      dst = full.data();
    } else {
      out.reshape(h.packages_per_message, width);
      dst = out.samples.data();
    }
    DASFLOW_TRY_ASSIGN(
        t0, asn::decode_data(h, std::span<const std::byte>(static_cast<const std::byte*>(m.data()), m.size()), dst));
    if (subset) gather(full.data(), h.packages_per_message, width, out);
    if (header_changed || !have_stream) {
      // The first data message of an acquisition anchors its sample grid at its timestamp.
      StreamInfo s;
      s.fs_hz = 1.0 / h.dt_s;
      if (const double r = std::round(s.fs_hz); std::fabs(s.fs_hz - r) < 1e-9 * s.fs_hz) s.fs_hz = r;
      s.n_channels = columns.size();
      s.coords = std::make_shared<const ChannelCoords>(coords_of(h.channel_numbers(), h.dx_m));
      const long double period = 1e9L / static_cast<long double>(s.fs_hz);
      const auto first = static_cast<std::int64_t>(std::floor(static_cast<long double>(t0) / period));
      s.origin_ns = t0 - static_cast<std::int64_t>(std::llround(static_cast<long double>(first) * period));
      set_stream(std::move(s));
      header_changed = false;
    }
    const StreamInfo s = current();
    const long double period = 1e9L / static_cast<long double>(s.fs_hz);
    const auto index = static_cast<std::int64_t>(std::llround(static_cast<long double>(t0 - s.origin_ns) / period));
    if (std::llabs(s.time_ns(index) - t0) * 100 > static_cast<long long>(period)) ++n_off_grid;
    out.first_index = index;
    out.events.clear();
    ++n_data;
    return {};
  }

  /// One ASN message: a header (by its length) or data. true when `out` holds a chunk.
  Result<bool> asn_message(const std::vector<zmq::message_t>& frames, Source& self, Chunk& out) {
    if (frames.size() != 1) {
      problem(std::to_string(frames.size()) + "-part message (the ASN stream has one frame per message)", self);
      return false;
    }
    const zmq::message_t& m = frames[0];
    if (header && m.size() == header->data_message_bytes()) {
      if (auto r = asn_data(m, out); !r.ok()) {
        problem(r.error().message, self);
        return false;
      }
      return true;
    }
    asn::Limits limits;
    limits.max_channels = cfg.max_channels;
    limits.max_message_bytes = cfg.max_message_bytes;
    auto h = asn::parse_header(std::string_view(static_cast<const char*>(m.data()), m.size()), limits);
    if (!h.ok()) {
      problem(header ? "neither a data message of " + std::to_string(header->data_message_bytes()) +
                           " bytes nor a header: " + h.error().message
                     : "waiting for a header: " + h.error().message,
              self);
      return false;
    }
    ++n_headers;
    if (header && header->same_layout(*h)) return false; // re-sent: nothing changes
    if (auto r = select_columns(h->n_channels); !r.ok()) return r.error();
    if (header) {
      ++n_changes;
      self.report(Severity::warn, "the interrogator at " + cfg.address +
                                      " changed its acquisition: " + std::to_string(header->n_channels) + " -> " +
                                      std::to_string(h->n_channels) + " channels, dt " + std::to_string(header->dt_s) +
                                      " -> " + std::to_string(h->dt_s) + " s");
    }
    header = std::move(h).value();
    header_changed = true;
    return false;
  }

  // ---- dasflow (PROTOCOLS.md §2)

  Result<bool> dasflow_message(const std::vector<zmq::message_t>& frames, Source& self, Chunk& out) {
    if (frames.size() != 3) {
      problem(std::to_string(frames.size()) + "-part message (a dasflow data message has 3 frames)", self);
      return false;
    }
    asn::Limits limits;
    limits.max_channels = cfg.max_channels;
    limits.max_message_bytes = cfg.max_message_bytes;
    auto h =
        wire::parse_data_header(std::string_view(static_cast<const char*>(frames[1].data()), frames[1].size()), limits);
    if (!h.ok()) {
      problem(h.error().message, self);
      return false;
    }
    if (auto r = wire::check_payload(*h, frames[2].size()); !r.ok()) {
      problem(r.error().message, self);
      return false;
    }
    if (have_seq && h->seq != next_seq && h->seq > next_seq) n_lost += h->seq - next_seq;
    have_seq = true;
    next_seq = h->seq + 1;
    const bool changed = !last_wire || last_wire->n_channels != h->n_channels || last_wire->fs != h->fs ||
                         last_wire->origin_ns != h->origin_ns || last_wire->channel_first != h->channel_first ||
                         last_wire->channel_step != h->channel_step || last_wire->dx_m != h->dx_m;
    if (changed) {
      if (auto r = select_columns(h->n_channels); !r.ok()) return r.error();
      StreamInfo s = wire::stream_of(*h);
      const ChannelCoords c = *s.coords;
      s.coords = std::make_shared<const ChannelCoords>(ChannelCoords{
          c.first + static_cast<std::int64_t>(columns.front()) * c.step,
          columns.size() > 1 ? c.step * static_cast<std::int64_t>(columns[1] - columns[0]) : c.step, c.dx_m});
      s.n_channels = columns.size();
      if (last_wire)
        self.report(Severity::warn,
                    "the stream from " + cfg.address + " changed: " + std::to_string(last_wire->n_channels) + " -> " +
                        std::to_string(h->n_channels) + " channels at " + std::to_string(h->fs) + " Hz");
      if (last_wire) ++n_changes;
      set_stream(std::move(s));
    }
    last_wire = *h;
    const auto* payload = static_cast<const float*>(frames[2].data());
    if (columns.size() == h->n_channels) {
      out.reshape(h->n_samples, h->n_channels);
      std::memcpy(out.samples.data(), frames[2].data(), frames[2].size());
    } else {
      // The payload frame may be unaligned for floats: copy it first.
      full.resize(h->n_samples * h->n_channels);
      std::memcpy(full.data(), payload, frames[2].size());
      gather(full.data(), h->n_samples, h->n_channels, out);
    }
    out.first_index = h->first_index;
    out.events.clear();
    ++n_data;
    return true;
  }

  StreamInfo current() const {
    std::lock_guard lock(stream_mutex);
    return stream;
  }

  /// Receives until a chunk is decoded; false on stop. Reconnects after `timeout` of silence.
  Result<bool> next_chunk(Chunk& out, const std::atomic<bool>& stop, Source& self, bool opening) {
    std::vector<zmq::message_t> frames;
    const auto timeout = std::chrono::duration<double>(cfg.timeout_s);
    while (!stop.load()) {
      bool got = false;
      try {
        got = receive(frames);
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) continue;
        return fail(Errc::io, cfg.address + ": receive failed: " + e.what());
      }
      if (!got) {
        if (Clock::now() - last_message < timeout) continue;
        if (opening)
          return fail(Errc::io, "no stream from " + cfg.address + " within " + std::to_string(cfg.timeout_s) +
                                    " s (is the publisher running and reachable?)");
        ++n_reconnects;
        self.report(Severity::warn,
                    "nothing from " + cfg.address + " for " + std::to_string(cfg.timeout_s) + " s: reconnecting");
        DASFLOW_TRY(connect());
        continue;
      }
      auto r = cfg.protocol == ZmqSourceConfig::Protocol::asn ? asn_message(frames, self, out)
                                                              : dasflow_message(frames, self, out);
      if (!r.ok()) return r.error();
      if (*r) return true;
    }
    return false;
  }
};

ZmqSource::ZmqSource(ZmqSourceConfig config) : impl_(std::make_unique<Impl>()) { impl_->cfg = std::move(config); }

ZmqSource::~ZmqSource() = default;

Result<StreamInfo> ZmqSource::open() {
  DASFLOW_TRY(impl_->connect());
  // The stream is known once its first data message arrived; that chunk is delivered first.
  static const std::atomic<bool> kNoStop{false};
  Chunk first;
  DASFLOW_TRY_ASSIGN(got, impl_->next_chunk(first, kNoStop, *this, true));
  if (!got) return fail(Errc::io, impl_->cfg.address + ": no stream");
  impl_->held = std::move(first);
  impl_->generation = 0;
  return impl_->current();
}

Result<bool> ZmqSource::next(Chunk& out, const std::atomic<bool>& stop) {
  if (impl_->held) {
    out = std::move(*impl_->held);
    impl_->held.reset();
    return true;
  }
  return impl_->next_chunk(out, stop, *this, false);
}

std::uint64_t ZmqSource::stream_generation() const noexcept { return impl_->generation.load(); }

StreamInfo ZmqSource::current_stream() const { return impl_->current(); }

std::string ZmqSource::describe() const {
  const StreamInfo s = impl_->current();
  std::ostringstream d;
  d << (impl_->cfg.protocol == ZmqSourceConfig::Protocol::asn ? "ASN OptoDAS" : "dasflow") << " stream from "
    << impl_->cfg.address << ": " << s.n_channels << " channels at " << s.fs_hz << " Hz";
  if (impl_->cfg.channels)
    d << " (channels [" << (*impl_->cfg.channels)[0] << ", " << (*impl_->cfg.channels)[1] << ", "
      << (*impl_->cfg.channels)[2] << "] of what is sent)";
  if (!impl_->cfg.curve_server_public_key_file.empty()) d << ", CURVE";
  return d.str();
}

std::vector<std::pair<std::string, std::uint64_t>> ZmqSource::counters() const {
  return {{"messages", impl_->n_messages.load()},   {"data_messages", impl_->n_data.load()},
          {"headers", impl_->n_headers.load()},     {"stream_changes", impl_->n_changes.load()},
          {"malformed", impl_->n_malformed.load()}, {"reconnects", impl_->n_reconnects.load()},
          {"lost_messages", impl_->n_lost.load()},  {"off_grid_timestamps", impl_->n_off_grid.load()}};
}

} // namespace dasflow::io
