#include "dasflow/io/zmq_output.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "dasflow/core/aligned_buffer.hpp"
#include "dasflow/core/config_reader.hpp"
#include "dasflow/io/asn_protocol.hpp"
#include "dasflow/io/dasflow_protocol.hpp"

namespace dasflow::io {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kZ85KeyLength = 40; ///< 32 bytes as Z85 text

bool is_z85_key(const std::string& s) {
  std::array<std::uint8_t, 32> bin{};
  return s.size() == kZ85KeyLength && zmq_z85_decode(bin.data(), s.c_str()) != nullptr;
}

/// The key lines of a key file: non-empty lines not starting with `#`, each a 40-character Z85 key.
Result<std::vector<std::string>> read_key_lines(const std::string& path) {
  std::ifstream f(path);
  if (!f) return fail(Errc::config, path + ": cannot read the CURVE key file");
  std::vector<std::string> keys;
  std::string line;
  int number = 0;
  while (std::getline(f, line)) {
    ++number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.pop_back();
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    line.erase(0, start);
    if (!is_z85_key(line))
      return fail(Errc::config, path + ":" + std::to_string(number) + ": not a CURVE key (40 Z85 characters)");
    keys.push_back(line);
  }
  return keys;
}

/// `allowed_clients`: every key line of a file, or the first key line of every file of a directory.
Result<std::set<std::string>> read_allowed_clients(const std::string& path) {
  std::error_code ec;
  std::set<std::string> allowed;
  if (std::filesystem::is_directory(path, ec)) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec))
      if (entry.is_regular_file() && entry.path().filename().string().front() != '.') files.push_back(entry.path());
    if (ec) return fail(Errc::config, path + ": cannot list the allowed CURVE clients: " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      DASFLOW_TRY_ASSIGN(keys, read_key_lines(file.string()));
      if (!keys.empty()) allowed.insert(keys.front()); // the public line; a secret after it is not a client
    }
  } else {
    DASFLOW_TRY_ASSIGN(keys, read_key_lines(path));
    allowed.insert(keys.begin(), keys.end());
  }
  if (allowed.empty()) return fail(Errc::config, path + ": no allowed CURVE client key: no subscriber could connect");
  return allowed;
}

/// The one mutex every hand-off of a block between the writer and ZeroMQ's I/O thread passes. ZeroMQ
/// carries the block to its free callback through lock-free queues in code ThreadSanitizer does not
/// instrument, so without a synchronisation TSan can see, every reuse of a block would look like a
/// race. lend() releases it after filling a block; the callback acquires it before touching one.
/// Uncontended, twice per message.
std::mutex& handoff_mutex() {
  static std::mutex m;
  return m;
}

/// 64-byte-aligned sample blocks lent to ZeroMQ with zmq_msg_init_data and given back by its free
/// callback, from ZeroMQ's I/O thread (hence the mutex). Keeps up to kMaxIdle blocks, so a steady
/// stream allocates no sample buffers; the blocks in flight are bounded by the HWM.
class BlockPool {
public:
  struct Block {
    AlignedBuffer<float> samples;
    BlockPool* pool = nullptr;
  };
  static constexpr std::size_t kMaxIdle = 16;

  BlockPool() { idle_.reserve(kMaxIdle); } // give() then never allocates
  ~BlockPool() {
    for (Block* b : idle_)
      delete b;
  }
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  /// A block of exactly `n` floats (contents unspecified).
  Block* take(std::size_t n) {
    std::unique_ptr<Block> b;
    {
      std::lock_guard lock(handoff_mutex());
      if (!idle_.empty()) {
        b.reset(idle_.back());
        idle_.pop_back();
      }
    }
    if (!b) {
      b = std::make_unique<Block>();
      b->pool = this;
    }
    b->samples.resize(n); // keeps the capacity: no allocation once the block has held a chunk this size
    return b.release();
  }
  void give(Block* b) noexcept {
    {
      std::lock_guard lock(handoff_mutex());
      if (idle_.size() < kMaxIdle) {
        idle_.push_back(b);
        return;
      }
    }
    delete b;
  }

private:
  std::vector<Block*> idle_; ///< guarded by handoff_mutex()
};

/// zmq_free_fn: ZeroMQ is done with the block (sent to every subscriber, or dropped).
void give_block_back(void* /*data*/, void* hint) {
  auto* block = static_cast<BlockPool::Block*>(hint);
  BlockPool* pool = nullptr;
  {
    std::lock_guard lock(handoff_mutex()); // acquire what lend() released (see handoff_mutex)
    pool = block->pool;
  }
  pool->give(block);
}

std::string frame_text(const zmq::message_t& m) { return std::string(static_cast<const char*>(m.data()), m.size()); }

/// ZAP 1.0 (RFC 27) handler: answers the CURVE handshakes of the output's socket. Requests are
/// [version "1.0"][request id][domain][address][routing id][mechanism][credentials...]; for CURVE
/// the one credential is the client's 32-byte public key. Runs until the context is shut down.
void zap_handler(zmq::socket_t rep, const std::set<std::string>& allowed) {
  for (;;) {
    std::vector<zmq::message_t> request;
    try {
      do {
        zmq::message_t part;
        if (!rep.recv(part, zmq::recv_flags::none)) break;
        request.push_back(std::move(part));
      } while (request.back().more());
    } catch (const zmq::error_t&) {
      return; // ETERM: close() shut the context down
    }
    std::string status = "500", text = "malformed ZAP request", user;
    if (request.size() >= 6 && frame_text(request[0]) == "1.0") {
      status = "400";
      text = "client key not allowed";
      if (frame_text(request[5]) == "CURVE" && request.size() == 7 && request[6].size() == 32) {
        std::array<char, kZ85KeyLength + 1> z85{};
        zmq_z85_encode(z85.data(), static_cast<const std::uint8_t*>(request[6].data()), 32);
        if (allowed.count(z85.data()) > 0) status = "200", text = "OK", user = z85.data();
      } else {
        text = "CURVE required";
      }
    }
    // The reply: [version][request id][status code][status text][user id][metadata].
    const std::string id = request.size() > 1 ? frame_text(request[1]) : std::string();
    try {
      rep.send(zmq::buffer(std::string_view("1.0")), zmq::send_flags::sndmore);
      rep.send(zmq::buffer(id), zmq::send_flags::sndmore);
      rep.send(zmq::buffer(status), zmq::send_flags::sndmore);
      rep.send(zmq::buffer(text), zmq::send_flags::sndmore);
      rep.send(zmq::buffer(user), zmq::send_flags::sndmore);
      rep.send(zmq::message_t(), zmq::send_flags::none);
    } catch (const zmq::error_t&) {
      return;
    }
  }
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Configuration and key files

Result<ZmqOutputConfig> parse_zmq_output_config(const YAML::Node& node, const std::string& path) {
  ConfigReader r(node, path);
  ZmqOutputConfig c;
  r.choice("type", "zmq", {"zmq"});
  const auto scalar = [&](const YAML::Node& map, const char* key) {
    return map.IsMap() && map[key].IsDefined() && map[key].IsScalar() ? map[key].Scalar() : std::string();
  };
  r.known("address");
  c.address = scalar(node, "address");
  if (c.address.find("://") == std::string::npos)
    r.error("address", "is required: the endpoint to bind, e.g. \"tcp://*:5556\"");
  c.protocol = r.choice("protocol", "dasflow", {"dasflow", "asn"}) == "asn" ? ZmqOutputConfig::Protocol::asn
                                                                            : ZmqOutputConfig::Protocol::dasflow;
  // ZMQ_SNDHWM is an int; 0 would mean "no limit", which a bounded daemon must not have.
  c.hwm = r.integer("hwm", c.hwm, 1, 1'000'000);
  if (r.has("stream")) {
    r.known("stream");
    c.stream_name = scalar(node, "stream");
    if (c.stream_name.empty()) r.error("stream", "must be a non-empty name");
  }
  std::string curve_errors;
  if (r.has("curve")) {
    r.known("curve");
    const YAML::Node curve = node["curve"];
    ConfigReader cr(curve, path + ".curve");
    cr.known("server_keys");
    cr.known("allowed_clients");
    c.curve_server_keys_file = scalar(curve, "server_keys");
    c.curve_allowed_clients_file = scalar(curve, "allowed_clients");
    if (c.curve_server_keys_file.empty())
      cr.error("server_keys", "is required: the server's key pair file (dasflow keygen FILE)");
    if (c.curve_allowed_clients_file.empty())
      cr.error("allowed_clients", "is required: a file of client public keys, or a directory of client key files");
    if (auto e = cr.finish(); !e.ok()) curve_errors = e.error().message;
  }
  auto e = r.finish();
  if (!e.ok() || !curve_errors.empty()) {
    std::string m = e.ok() ? std::string() : e.error().message;
    if (!curve_errors.empty()) m += (m.empty() ? "" : "\n") + curve_errors;
    return fail(Errc::config, std::move(m));
  }
  return c;
}

Result<void> write_curve_keypair(const std::string& path) {
  std::array<char, kZ85KeyLength + 1> pub{}, sec{};
  if (zmq_curve_keypair(pub.data(), sec.data()) != 0)
    return fail(Errc::io,
                std::string("zmq_curve_keypair failed (libzmq built without CURVE?): ") + zmq_strerror(zmq_errno()));
  const std::string text = "# CURVE key pair (Z85): public, then secret. Give others only the public line.\n" +
                           std::string(pub.data()) + "\n" + std::string(sec.data()) + "\n";
  // Created 0600 from the start (not through the process umask, which other threads share), and
  // fchmod for a file that existed with wider permissions.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Errc::io, path + ": cannot create: " + std::strerror(errno));
  const bool ok = ::fchmod(fd, 0600) == 0 &&
                  ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  const std::string err = std::strerror(errno);
  ::close(fd);
  if (!ok) return fail(Errc::io, path + ": cannot write the key pair: " + err);
  return {};
}

Result<CurveKeyPair> read_curve_keypair(const std::string& path) {
  DASFLOW_TRY_ASSIGN(keys, read_key_lines(path));
  if (keys.size() < 2) return fail(Errc::config, path + ": a key pair file needs two key lines (public, secret)");
  std::array<char, kZ85KeyLength + 1> derived{};
  if (zmq_curve_public(derived.data(), keys[1].c_str()) != 0 || keys[0] != derived.data())
    return fail(Errc::config, path + ": the public key does not belong to the secret key (lines swapped?)");
  return CurveKeyPair{keys[0], keys[1]};
}

Result<std::string> read_curve_public_key(const std::string& path) {
  DASFLOW_TRY_ASSIGN(keys, read_key_lines(path));
  if (keys.empty()) return fail(Errc::config, path + ": no CURVE key in the file");
  return keys.front();
}

// ---------------------------------------------------------------------------------------------
// The output

struct ZmqOutput::Impl {
  ZmqOutputConfig cfg;
  StreamInfo stream;
  bool asn = false;
  // Declared before the context: the context's destructor (zmq_ctx_term) releases the last
  // messages in flight, whose free callback returns their blocks to this pool.
  BlockPool pool;
  zmq::context_t ctx{1};
  std::optional<zmq::socket_t> sock;
  std::string endpoint;

  std::set<std::string> allowed; ///< CURVE client keys (Z85); read by the ZAP thread, fixed before it starts
  std::thread zap;

  // Per-topic sequence numbers: the next value to send (PROTOCOLS.md §2).
  std::uint64_t seq_data = 0, seq_events = 0, seq_status = 0;
  bool have_next = false;      ///< a data message was published (or resumed): next_index is meaningful
  std::int64_t next_index = 0; ///< where the next data message continues the previous one

  // asn: the header in force (PROTOCOLS.md §1).
  bool asn_header_due = true;
  std::size_t asn_rows = 0;       ///< nPackagesPerMessage of the header in force
  std::size_t asn_data_bytes = 0; ///< length of its data messages (0 before the first header)

  // status heartbeat
  bool status_sent = false;
  Clock::time_point last_status{};
  std::uint64_t rows_at_last_status = 0;

  std::atomic<std::uint64_t> sent{0}, dropped{0}, bytes{0};
  std::uint64_t chunks = 0, rows = 0;

  /// Sends one message of `n` frames, never blocking. False when ZeroMQ refused it (EAGAIN,
  /// counted as a drop). PUB and XPUB take every later frame of a message once they took the first
  /// (libzmq queues a message whole or drops it whole per subscriber), so a refusal mid-message is
  /// reported as an error rather than left as a half-sent message the next send would continue.
  Result<bool> send(zmq::message_t* frames, std::size_t n) {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const zmq::send_flags flags =
          i + 1 < n ? zmq::send_flags::dontwait | zmq::send_flags::sndmore : zmq::send_flags::dontwait;
      std::optional<std::size_t> r;
      try {
        r = sock->send(frames[i], flags);
      } catch (const zmq::error_t& e) {
        return fail(Errc::io, "zmq output " + cfg.address + ": send failed: " + e.what());
      }
      if (!r) {
        if (i == 0) {
          ++dropped;
          return false;
        }
        return fail(Errc::internal, "zmq output " + cfg.address + ": frame " + std::to_string(i + 1) +
                                        " of a message refused after the first was taken");
      }
      total += *r;
    }
    ++sent;
    bytes += total;
    return true;
  }

  /// A message holding `floats` floats at offset `prefix_bytes` (0, or 8 for the ASN timestamp):
  /// the chunk's samples copied once into a pooled block that ZeroMQ sends without a further copy.
  zmq::message_t lend(const Chunk& chunk, const void* prefix, std::size_t prefix_bytes) {
    static_assert(sizeof(float) == 4);
    const std::size_t n = chunk.n_samples * chunk.n_channels;
    BlockPool::Block* b = pool.take(n + prefix_bytes / sizeof(float));
    auto* p = reinterpret_cast<unsigned char*>(b->samples.data());
    if (prefix_bytes > 0) std::memcpy(p, prefix, prefix_bytes);
    if (n > 0) std::memcpy(p + prefix_bytes, chunk.samples.data(), n * sizeof(float));
    { const std::lock_guard publish(handoff_mutex()); } // release the filled block (see handoff_mutex)
    try {
      return zmq::message_t(p, prefix_bytes + n * sizeof(float), give_block_back, b);
    } catch (...) {
      pool.give(b); // zmq_msg_init_data failed: the callback will never run
      throw;
    }
  }

  /// XPUB hands (un)subscriptions to the application; read them all so they never pile up.
  void drain_subscriptions() {
    zmq::message_t m;
    try {
      while (sock->recv(m, zmq::recv_flags::dontwait)) {
      }
    } catch (const zmq::error_t&) {
    }
  }

  Result<void> write_dasflow(const Chunk& chunk) {
    wire::DataHeader h = wire::header_of(stream, chunk.first_index, chunk.n_samples);
    h.stream = cfg.stream_name;
    // seq advances even when the message is dropped: a subscriber sees the jump (PROTOCOLS.md §2).
    h.seq = seq_data++;
    h.gap_before = have_next && chunk.first_index != next_index;
    const std::string header = wire::encode_data_header(h);
    std::array<zmq::message_t, 3> frames{zmq::message_t(std::string_view("data")), zmq::message_t(header),
                                         lend(chunk, nullptr, 0)};
    DASFLOW_TRY_ASSIGN(ok, send(frames.data(), frames.size()));
    (void)ok;
    return {};
  }

  Result<void> write_events(const Chunk& chunk) {
    const std::string header = wire::encode_events_header(cfg.stream_name, seq_events++, chunk.events, stream);
    std::array<zmq::message_t, 2> frames{zmq::message_t(std::string_view("events")), zmq::message_t(header)};
    DASFLOW_TRY_ASSIGN(ok, send(frames.data(), frames.size()));
    (void)ok;
    return {};
  }

  /// The heartbeat (PROTOCOLS.md §2 `status`): position, lag behind the wall clock, rate, counts.
  Result<void> write_status() {
    const auto now = Clock::now();
    if (status_sent && now - last_status < std::chrono::seconds(1)) return {};
    nlohmann::json state;
    state["position"] = next_index; // absolute index the next data message starts at
    if (have_next) {
      const std::int64_t t = stream.time_ns(next_index);
      const std::int64_t wall =
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count();
      state["time_ns"] = t;
      state["lag_s"] = static_cast<double>(wall - t) * 1e-9;
    }
    const double elapsed = status_sent ? std::chrono::duration<double>(now - last_status).count() : 0.0;
    state["rows_per_s"] = elapsed > 0 ? static_cast<double>(rows - rows_at_last_status) / elapsed : 0.0;
    state["fs"] = stream.fs_hz;
    state["n_channels"] = stream.n_channels;
    state["chunks"] = chunks;
    state["messages"] = sent.load();
    state["drops"] = dropped.load();
    state["bytes"] = bytes.load();
    status_sent = true;
    last_status = now;
    rows_at_last_status = rows;
    const std::string header = wire::encode_status(cfg.stream_name, seq_status++, state.dump());
    std::array<zmq::message_t, 2> frames{zmq::message_t(std::string_view("status")), zmq::message_t(header)};
    DASFLOW_TRY_ASSIGN(ok, send(frames.data(), frames.size()));
    (void)ok;
    return {};
  }

  /// The ASN header of `stream` for chunks of `n_rows`: the welcome message of every later
  /// subscriber, and sent now to those already connected (PROTOCOLS.md §1).
  Result<void> send_asn_header(std::size_t n_rows) {
    const ChannelCoords c = stream.coords ? *stream.coords : ChannelCoords{};
    asn::HeaderFields f;
    f.n_channels = stream.n_channels;
    f.packages_per_message = n_rows;
    f.dt_s = 1.0 / stream.fs_hz;
    f.dx_m = c.dx_m;
    f.roi_start = c.first;
    f.roi_dec = c.step;
    std::string header = asn::encode_header(f);
    // A receiver parses a message of the current data length as data: a header that happened to
    // have that length would be misread. Trailing whitespace keeps it valid JSON.
    if (header.size() == asn_data_bytes) header += ' ';
    try {
      sock->set(zmq::sockopt::xpub_welcome_msg, header);
    } catch (const zmq::error_t& e) {
      return fail(Errc::io, "zmq output " + cfg.address + ": cannot set the welcome message: " + e.what());
    }
    zmq::message_t m(header);
    DASFLOW_TRY_ASSIGN(ok, send(&m, 1));
    (void)ok; // a subscriber that missed it gets it as the welcome message when it reconnects
    asn_rows = n_rows;
    asn_data_bytes = 8 + 4 * stream.n_channels * n_rows;
    asn_header_due = false;
    return {};
  }

  Result<void> write_asn(const Chunk& chunk) {
    if (asn_header_due || chunk.n_samples != asn_rows) DASFLOW_TRY(send_asn_header(chunk.n_samples));
    const std::int64_t t0 = stream.time_ns(chunk.first_index);
    zmq::message_t m = lend(chunk, &t0, sizeof t0);
    DASFLOW_TRY_ASSIGN(ok, send(&m, 1));
    (void)ok;
    return {};
  }
};

namespace {

/// The ASN header can describe an ascending channel axis only (roiDec >= 1, PROTOCOLS.md §1).
Result<void> check_asn_stream(const StreamInfo& s, const std::string& address) {
  const ChannelCoords c = s.coords ? *s.coords : ChannelCoords{};
  if (!(s.fs_hz > 0) || s.n_channels == 0)
    return fail(Errc::config, "zmq output " + address + ": protocol asn needs a rate and at least one channel");
  if (c.step < 1)
    return fail(Errc::config, "zmq output " + address + ": protocol asn cannot describe a channel step of " +
                                  std::to_string(c.step) + " (the ASN roiTable needs roiDec >= 1)");
  // An ASN subscriber would take the (band, channel) columns of fbe/spectrogram for fibre channels.
  if (s.spectral)
    return fail(Errc::config, "zmq output " + address +
                                  ": protocol asn carries time series only; the pipeline "
                                  "ends in a spectral product (fbe or spectrogram): use protocol dasflow, whose "
                                  "headers carry the bands");
  return {};
}

} // namespace

ZmqOutput::ZmqOutput() : impl_(std::make_unique<Impl>()) {}

ZmqOutput::~ZmqOutput() { (void)close(false); }

Result<std::unique_ptr<ZmqOutput>> ZmqOutput::open(ZmqOutputConfig config, const StreamInfo& stream) {
  std::unique_ptr<ZmqOutput> out(new ZmqOutput());
  Impl& s = *out->impl_;
  s.cfg = std::move(config);
  s.stream = stream;
  s.asn = s.cfg.protocol == ZmqOutputConfig::Protocol::asn;
  if (s.asn) DASFLOW_TRY(check_asn_stream(stream, s.cfg.address));
  if (s.cfg.hwm < 1 || s.cfg.hwm > 1'000'000)
    return fail(Errc::config, "zmq output " + s.cfg.address + ": hwm must be in [1, 1000000]");
  if (s.cfg.curve_server_keys_file.empty() != s.cfg.curve_allowed_clients_file.empty())
    return fail(Errc::config, "zmq output " + s.cfg.address + ": CURVE needs both server_keys and allowed_clients");
  try {
    std::optional<CurveKeyPair> server;
    if (!s.cfg.curve_server_keys_file.empty()) {
      DASFLOW_TRY_ASSIGN(keys, read_curve_keypair(s.cfg.curve_server_keys_file));
      DASFLOW_TRY_ASSIGN(allowed, read_allowed_clients(s.cfg.curve_allowed_clients_file));
      server = std::move(keys);
      s.allowed = std::move(allowed);
      // Bound here, before the CURVE socket exists: libzmq admits a CURVE client unchecked when no
      // ZAP handler is bound yet. The socket then moves to the thread (thread start is the memory
      // barrier ZeroMQ asks for when a socket changes threads).
      zmq::socket_t rep(s.ctx, zmq::socket_type::rep);
      rep.set(zmq::sockopt::linger, 0);
      rep.bind("inproc://zeromq.zap.01");
      s.zap = std::thread([&s, r = std::move(rep)]() mutable { zap_handler(std::move(r), s.allowed); });
    }
    s.sock.emplace(s.ctx, s.asn ? zmq::socket_type::xpub : zmq::socket_type::pub);
    s.sock->set(zmq::sockopt::sndhwm, static_cast<int>(s.cfg.hwm));
    s.sock->set(zmq::sockopt::linger, 0);
    if (s.asn) s.sock->set(zmq::sockopt::xpub_verbose, 0); // only new subscriptions reach us (drained)
    if (server) {
      s.sock->set(zmq::sockopt::curve_server, 1);
      s.sock->set(zmq::sockopt::curve_secretkey, server->secret_key);
      s.sock->set(zmq::sockopt::zap_domain, "dasflow");
    }
    s.sock->bind(s.cfg.address);
    s.endpoint = s.sock->get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return fail(Errc::io, "zmq output " + s.cfg.address + ": cannot bind: " + e.what());
  }
  return out;
}

std::string ZmqOutput::key() const { return "zmq:" + impl_->cfg.address; }

Result<void> ZmqOutput::write(const Chunk& chunk) {
  Impl& s = *impl_;
  if (!s.sock) return fail(Errc::internal, "zmq output " + s.cfg.address + ": write after close");
  if (s.asn) s.drain_subscriptions();
  if (chunk.n_samples > 0) {
    try {
      DASFLOW_TRY(s.asn ? s.write_asn(chunk) : s.write_dasflow(chunk));
    } catch (const zmq::error_t& e) {
      return fail(Errc::io, "zmq output " + s.cfg.address + ": " + e.what());
    }
    s.have_next = true;
    s.next_index = chunk.end_index();
    ++s.chunks;
    s.rows += chunk.n_samples;
  }
  if (!s.asn) {
    if (!chunk.events.empty()) DASFLOW_TRY(s.write_events(chunk));
    DASFLOW_TRY(s.write_status());
  }
  return {};
}

Result<StateTree> ZmqOutput::checkpoint() {
  const Impl& s = *impl_;
  StateTree t("zmq-output", 1);
  t.set("key", key());
  t.set("seq_data", static_cast<std::int64_t>(s.seq_data));
  t.set("seq_events", static_cast<std::int64_t>(s.seq_events));
  t.set("seq_status", static_cast<std::int64_t>(s.seq_status));
  t.set("have_next", std::int64_t{s.have_next ? 1 : 0});
  t.set("next_index", s.next_index);
  return t;
}

Result<void> ZmqOutput::resume(const StateTree& position) {
  DASFLOW_TRY(position.expect("zmq-output", 1));
  DASFLOW_TRY_ASSIGN(d, position.get_int("seq_data"));
  DASFLOW_TRY_ASSIGN(e, position.get_int("seq_events"));
  DASFLOW_TRY_ASSIGN(st, position.get_int("seq_status"));
  DASFLOW_TRY_ASSIGN(h, position.get_int("have_next"));
  DASFLOW_TRY_ASSIGN(n, position.get_int("next_index"));
  if (d < 0 || e < 0 || st < 0) return fail(Errc::state_mismatch, key() + ": negative sequence number in checkpoint");
  Impl& s = *impl_;
  s.seq_data = static_cast<std::uint64_t>(d);
  s.seq_events = static_cast<std::uint64_t>(e);
  s.seq_status = static_cast<std::uint64_t>(st);
  s.have_next = h != 0;
  s.next_index = n;
  return {};
}

Result<void> ZmqOutput::close(bool /*stream_complete*/) {
  Impl& s = *impl_;
  if (s.sock) {
    s.sock->close(); // linger 0: what is still queued for slow subscribers is dropped
    s.sock.reset();
  }
  if (s.zap.joinable()) {
    s.ctx.shutdown(); // the ZAP thread's blocking recv ends with ETERM
    s.zap.join();
  }
  return {};
}

Result<void> ZmqOutput::change_stream(const StreamInfo& stream) {
  Impl& s = *impl_;
  if (s.asn) DASFLOW_TRY(check_asn_stream(stream, s.cfg.address));
  s.stream = stream;
  // Indices of another stream (another rate) do not continue the old ones: no gap to report.
  s.have_next = false;
  s.asn_header_due = true;
  return {};
}

std::uint64_t ZmqOutput::bytes_written() const noexcept { return impl_->bytes.load(); }
std::string ZmqOutput::bound_endpoint() const { return impl_->endpoint; }
std::uint64_t ZmqOutput::messages_sent() const noexcept { return impl_->sent.load(); }
std::uint64_t ZmqOutput::drops() const noexcept { return impl_->dropped.load(); }

} // namespace dasflow::io
