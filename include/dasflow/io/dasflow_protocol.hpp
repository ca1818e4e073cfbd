#pragma once
/// \file dasflow_protocol.hpp
/// The dasflow ZeroMQ stream (PROTOCOLS.md §2), as pure functions of bytes: multipart
/// `[topic][JSON header][payload]`, topics `data`, `events`, `status`. What the `zmq` output
/// publishes and the `dasflow` source and `dasflow sub` read.

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

/// The header of a `data` message.
struct DataHeader {
  std::string stream;
  std::uint64_t seq = 0;
  std::int64_t first_index = 0;
  double fs = 0;
  std::int64_t origin_ns = 0;
  std::int64_t t0_ns = 0;
  std::size_t n_samples = 0, n_channels = 0;
  std::int64_t channel_first = 0, channel_step = 1;
  double dx_m = 0;
  std::string units;
  bool gap_before = false;
};

std::string encode_data_header(const DataHeader& h);
/// Validates protocol, version, dtype (float32), layout (time-major), counts within `limits`.
Result<DataHeader> parse_data_header(std::string_view json, const asn::Limits& limits = {});
/// The payload must hold exactly n_samples × n_channels float32.
Result<void> check_payload(const DataHeader& h, std::size_t payload_bytes);
/// The header of a chunk of `stream` (seq, gap flag and names supplied by the publisher).
DataHeader header_of(const StreamInfo& stream, std::int64_t first_index, std::size_t n_samples);
/// The stream a header describes.
StreamInfo stream_of(const DataHeader& h);

/// An `events` message header: `{"protocol", "version", "stream", "seq", "events": [...]}`, each
/// event as in the events file (PROTOCOLS.md §4).
std::string encode_events_header(const std::string& stream_name, std::uint64_t seq, const std::vector<Event>& events,
                                 const StreamInfo& stream);
struct EventsHeader {
  std::string stream;
  std::uint64_t seq = 0;
  std::string events_json; ///< the "events" array, as JSON text
  std::size_t n_events = 0;
};
Result<EventsHeader> parse_events_header(std::string_view json);

/// A `status` heartbeat: the envelope plus `state_json`'s fields (a JSON object as text).
std::string encode_status(const std::string& stream_name, std::uint64_t seq, const std::string& state_json);

} // namespace dasflow::io::wire
