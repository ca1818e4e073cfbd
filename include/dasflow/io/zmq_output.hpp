#pragma once
/// \file zmq_output.hpp
/// The `zmq` output (DESIGN.md §4 `outputs:`, §6; PROTOCOLS.md §1–2): the processed stream
/// published for any number of subscribers.
///
/// - `protocol: dasflow` (default): PUB, multipart `[topic][JSON header][payload]` on topics `data`
///   (every chunk), `events` (chunks with events, header only) and `status` (a heartbeat at most
///   once a second, sent from write()); `seq` counts per topic and continues across restarts
///   (checkpoint() / resume()); `gap_before` marks a data message whose first_index does not
///   continue the previous one (PROTOCOLS.md §2).
/// - `protocol: asn`: XPUB with the current ASN header as ZMQ_XPUB_WELCOME_MSG, then one
///   single-frame data message (int64 t0 ns + rows) per chunk; the header is re-sent as a normal
///   message when the chunk length or the stream changes, since receivers tell header from data by
///   length only (PROTOCOLS.md §1). Events and status have no place in that framing and are not
///   sent.
/// - Bounded: ZMQ_SNDHWM = `hwm`, every send is ZMQ_DONTWAIT; a slow or dead subscriber loses its
///   own messages (ZeroMQ drops them per subscriber, which subscribers see as a `seq` jump), never
///   stalls the writer. A send refused with EAGAIN is counted in drops().
/// - Copies: each chunk's samples are copied once, into a pooled 64-byte-aligned block; ZeroMQ
///   sends that block without copying it again (zmq_msg_init_data) and its free callback returns
///   the block to the pool, so a steady stream allocates no sample buffers. (libzmq still allocates
///   a small reference-count record per zero-copy message, and copies the short JSON header.)
/// - Optional CURVE (`curve: {server_keys: FILE, allowed_clients: FILE_OR_DIR}`): the socket is a
///   CURVE server with the key pair of `server_keys`; a ZAP handler (RFC 27) owned by the output
///   admits only the client public keys listed in `allowed_clients`. Any other client, and any
///   client without CURVE, fails the handshake and receives nothing.
///
/// write(), checkpoint(), resume(), change_stream() and close() are called from one thread (the
/// writer's); the metrics may be read from any thread.

#include <cstdint>
#include <memory>
#include <string>

#include <yaml-cpp/yaml.h>

#include "dasflow/io/output.hpp"

namespace dasflow::io {

struct ZmqOutputConfig {
  enum class Protocol { dasflow, asn } protocol = Protocol::dasflow;
  std::string address;     ///< bound, e.g. tcp://*:5556, tcp://127.0.0.1:* (port chosen by the system)
  std::int64_t hwm = 100;  ///< ZMQ_SNDHWM: messages queued per subscriber before ZeroMQ drops
  std::string stream_name; ///< "stream" in dasflow headers (`stream:` key; the daemon may supply it)
  /// CURVE (both set, or neither). Server keys: a file with two Z85 lines, public then secret
  /// (write_curve_keypair). Allowed clients: a file with one Z85 public key per line (`#` starts a
  /// comment line), or a directory whose every file contributes its first key line (a client's key
  /// file as written by write_curve_keypair, or just its public line).
  std::string curve_server_keys_file;
  std::string curve_allowed_clients_file;
};

/// Parses one `outputs:` entry of type zmq; errors name `path`, the key and the YAML line.
Result<ZmqOutputConfig> parse_zmq_output_config(const YAML::Node& node, const std::string& path);

/// A CURVE key pair as Z85 text (40 characters each).
struct CurveKeyPair {
  std::string public_key;
  std::string secret_key;
};

/// Writes a new CURVE key pair to `path` (mode 0600): a comment line, then the public and the
/// secret key as Z85 lines. Give others only the public line.
Result<void> write_curve_keypair(const std::string& path);
/// Reads a key file: its first two key lines (public, secret); checks that they belong together.
Result<CurveKeyPair> read_curve_keypair(const std::string& path);
/// The public key (first key line) of a key file.
Result<std::string> read_curve_public_key(const std::string& path);

class ZmqOutput final : public Output {
public:
  /// Binds the socket (and, with CURVE, starts the ZAP handler first, so that no client is ever
  /// admitted unchecked). Errors name the address or file and why.
  static Result<std::unique_ptr<ZmqOutput>> open(ZmqOutputConfig config, const StreamInfo& stream);
  ~ZmqOutput() override;
  ZmqOutput(const ZmqOutput&) = delete;
  ZmqOutput& operator=(const ZmqOutput&) = delete;

  /// "zmq:" + the configured address.
  std::string key() const override;
  /// Publishes the chunk (and its events, and a status heartbeat when one is due). Never blocks.
  Result<void> write(const Chunk& chunk) override;
  /// Nothing to make durable; records the next `seq` of each topic and the index the next data
  /// message is expected at (kind "zmq-output", version 1).
  Result<StateTree> checkpoint() override;
  /// Continues the sequence numbers (and the gap detection) of a checkpoint() (DESIGN.md §5).
  Result<void> resume(const StateTree& position) override;
  /// Closes the socket (linger 0: queued messages are dropped) and stops the ZAP handler.
  Result<void> close(bool stream_complete) override;
  /// The next data message describes `stream` (asn: a new header, as welcome message and sent).
  Result<void> change_stream(const StreamInfo& stream) override;
  /// Bytes of every frame ZeroMQ accepted.
  std::uint64_t bytes_written() const noexcept override;

  /// The endpoint actually bound (with the port chosen for `:*` or `:0`), e.g. tcp://127.0.0.1:40123.
  std::string bound_endpoint() const;
  /// Messages ZeroMQ accepted (a multipart message counts once; ASN headers count).
  std::uint64_t messages_sent() const noexcept;
  /// Messages ZeroMQ refused (EAGAIN). Per-subscriber drops inside PUB/XPUB are invisible to the
  /// publisher; subscribers see them as a `seq` jump.
  std::uint64_t drops() const noexcept;

private:
  ZmqOutput();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace dasflow::io
