#pragma once
/// \file dasflow_protocol.hpp
/// The dasflow ZeroMQ stream (PROTOCOLS.md §2) as pure functions of bytes, without ZeroMQ:
/// multipart `[topic][JSON header][payload]`, topics `data`, `events`, `status`. What the `zmq`
/// output publishes and the `dasflow` source and `dasflow sub` read.
///
/// JSON stays out of this header (std::string in, std::string out), so users of the codec need not
/// compile nlohmann/json. Parsers take untrusted bytes: they never throw, and every error is
/// Errc::protocol naming the field.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dasflow/core/event.hpp"
#include "dasflow/core/result.hpp"
#include "dasflow/core/stream.hpp"
#include "dasflow/io/asn_protocol.hpp"

namespace dasflow::io::wire {

inline constexpr int kVersion = 1;

/// The header of a `data` message (PROTOCOLS.md §2). The payload is n_samples × n_channels float32,
/// time-major.
struct DataHeader {
  std::string stream;
  std::uint64_t seq = 0; ///< +1 per message on the `data` topic
  std::int64_t first_index = 0;
  double fs = 0;
  std::int64_t origin_ns = 0;
  std::int64_t t0_ns = 0; ///< time of first_index
  std::size_t n_samples = 0, n_channels = 0;
  std::int64_t channel_first = 0, channel_step = 1;
  double dx_m = 0; ///< metres per channel number
  std::string units;
  bool gap_before = false;
  /// Spectral products only (fbe, spectrogram): `"spectral": {"kind": "bands" | "frequencies",
  /// "low_hz": [...], "high_hz": [...], "window_samples", "overlap_samples", "input_fs", "window",
  /// "unit"}`; columns are bin-major (bin · n_locations + location), n_locations =
  /// n_channels / len(low_hz). Absent for time series.
  std::shared_ptr<const SpectralAxis> spectral;
};

/// `{"protocol":"dasflow","version":1,"stream",...,"dtype":"float32","layout":"time-major",
/// "channels":{"first","step"},"dx_m","units","gap_before"}`.
std::string encode_data_header(const DataHeader& h);
/// Validates protocol == "dasflow", version == 1, every field of §2 present and typed (integers
/// as JSON integers within int64/uint64), dtype float32, layout time-major, 1 <= n_channels <=
/// limits.max_channels, payload bytes <= limits.max_message_bytes, fs > 0 finite, channels.step
/// != 0, dx_m finite, header size <= limits.max_header_bytes. Unknown fields are ignored.
Result<DataHeader> parse_data_header(std::string_view json, const asn::Limits& limits = {});
/// Checks a payload frame's size against the header (n_samples · n_channels · 4) — Errc::protocol
/// otherwise.
Result<void> check_payload(const DataHeader& h, std::size_t payload_bytes);
/// The header of a chunk of `stream` (stream name, seq and gap flag left for the publisher).
DataHeader header_of(const StreamInfo& stream, std::int64_t first_index, std::size_t n_samples);
/// The stream a header describes (rate, origin, channel count, coords from channels/dx_m).
StreamInfo stream_of(const DataHeader& h);

/// An `events` message header: `{"protocol", "version", "stream", "seq", "events": [...]}`, each
/// event the object event_json() writes to the events file (PROTOCOLS.md §4).
std::string encode_events_header(const std::string& stream, std::uint64_t seq, const std::vector<Event>& events,
                                 const StreamInfo& stream_info);
/// A parsed `events` header. The events stay JSON text: they are forwarded or printed, and their
/// times are already resolved against the publisher's stream.
struct EventsHeader {
  std::string stream;
  std::uint64_t seq = 0;
  std::string events_json; ///< the "events" array, as JSON text
  std::size_t n_events = 0;
};
/// Validates the envelope (protocol, version, stream, seq) and that "events" is a list of objects.
Result<EventsHeader> parse_events_header(std::string_view json);

/// A `status` heartbeat: the envelope `{"protocol","version","stream","seq"}` plus the fields of
/// `state_json` (a JSON object as text; the envelope wins a name clash). Anything else in
/// state_json (not an object, not JSON) is carried as the value of "state".
std::string encode_status(const std::string& stream, std::uint64_t seq, const std::string& state_json);

} // namespace dasflow::io::wire
