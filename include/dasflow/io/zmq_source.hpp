#pragma once
/// \file zmq_source.hpp
/// Live ZeroMQ ingest (DESIGN.md §4 `source: {type: asn | dasflow, address: ...}`), PROTOCOLS.md
/// §1 and §2: a SUB socket connected to an interrogator (ASN OptoDAS framing) or to another
/// dasflowd (the dasflow stream), so daemons can be chained and sharded.
///
/// - open() waits (up to `timeout`) for the stream description: an ASN header and the first data
///   message (whose timestamp anchors the sample grid), or the first dasflow data message.
/// - Every data message becomes one chunk, at the absolute index its timestamp (ASN) or its
///   first_index (dasflow) gives, so losses and repeats show up as gaps and overlaps downstream.
/// - An ASN header that changes the acquisition (channels, rate, ROIs, type) starts a new stream
///   (stream_generation()); re-sent identical headers change nothing.
/// - Malformed messages (wrong length, bad JSON, data before any header) are counted, logged
///   (rate-limited) and skipped: never a crash, never a stop.
/// - Silence for `timeout` seconds: the socket is closed and connected again (an interrogator
///   restart; ZeroMQ reconnects by itself to a live peer, but a re-created PUB socket may need a
///   new subscription), counted and logged. The source never ends on its own.
/// - `channels: [start, stop, step]` keeps a subset of the received columns (positions, like the
///   `select` atom), so several daemons can share one feed, each taking a range.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "dasflow/io/source.hpp"

namespace dasflow::io {

struct ZmqSourceConfig {
  enum class Protocol { asn, dasflow } protocol = Protocol::asn;
  std::string address;                                 ///< e.g. tcp://192.168.1.10:3333 (connected)
  double timeout_s = 10.0;                             ///< silence before a reconnect; also open()'s wait
  std::optional<std::array<std::int64_t, 3>> channels; ///< [start, stop, step] over received columns
  std::size_t max_channels = 1'000'000;                ///< limits on what the peer may announce
  std::size_t max_message_bytes = std::size_t{1} << 30;
  /// CURVE (both set, or neither): the server's public key and this client's key pair, as files
  /// holding Z85 text (`zmq_curve_keypair`); see docs/operations.md.
  std::string curve_server_public_key_file;
  std::string curve_client_key_file; ///< two lines: public then secret key
};

/// Parses `source:` keys of type asn or dasflow (`path` names the node in errors).
Result<ZmqSourceConfig> parse_zmq_source_config(const YAML::Node& node, const std::string& path);

class ZmqSource final : public Source {
public:
  explicit ZmqSource(ZmqSourceConfig config);
  ~ZmqSource() override;
  ZmqSource(const ZmqSource&) = delete;
  ZmqSource& operator=(const ZmqSource&) = delete;

  Result<StreamInfo> open() override;
  Result<bool> next(Chunk& out, const std::atomic<bool>& stop) override;
  SourcePace pace() const noexcept override { return SourcePace::live; }
  std::uint64_t stream_generation() const noexcept override;
  StreamInfo current_stream() const override;
  std::string describe() const override;
  std::vector<std::pair<std::string, std::uint64_t>> counters() const override;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace dasflow::io
