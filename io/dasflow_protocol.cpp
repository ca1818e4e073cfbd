#include "dasflow/io/dasflow_protocol.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "dasflow/io/events_output.hpp"

namespace dasflow::io::wire {

namespace {

using nlohmann::json;

Error bad(const std::string& what) { return fail(Errc::protocol, "dasflow message: " + what); }

json envelope(const std::string& stream, std::uint64_t seq) {
  json j;
  j["protocol"] = "dasflow";
  j["version"] = kVersion;
  j["stream"] = stream;
  j["seq"] = seq;
  return j;
}

Result<json> parse_envelope(std::string_view text) {
  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::exception&) {
    return bad("header is not JSON");
  }
  if (!j.is_object()) return bad("header is not a JSON object");
  const auto p = j.find("protocol");
  if (p == j.end() || *p != "dasflow") return bad("protocol is not \"dasflow\"");
  const auto v = j.find("version");
  if (v == j.end() || !v->is_number_integer() || v->get<std::int64_t>() != kVersion)
    return bad("unsupported version (this reader speaks version " + std::to_string(kVersion) + ")");
  const auto s = j.find("seq");
  if (s == j.end() || !s->is_number_unsigned()) return bad("seq must be an unsigned integer");
  return j;
}

} // namespace

std::string encode_data_header(const DataHeader& h) {
  json j = envelope(h.stream, h.seq);
  j["first_index"] = h.first_index;
  j["fs"] = h.fs;
  j["origin_ns"] = h.origin_ns;
  j["t0_ns"] = h.t0_ns;
  j["n_samples"] = h.n_samples;
  j["n_channels"] = h.n_channels;
  j["dtype"] = "float32";
  j["layout"] = "time-major";
  j["channels"] = {{"first", h.channel_first}, {"step", h.channel_step}};
  j["dx_m"] = h.dx_m;
  j["units"] = h.units;
  j["gap_before"] = h.gap_before;
  return j.dump();
}

Result<DataHeader> parse_data_header(std::string_view text, const asn::Limits& limits) {
  DASFLOW_TRY_ASSIGN(j, parse_envelope(text));
  try {
    DataHeader h;
    h.stream = j.value("stream", std::string());
    h.seq = j.at("seq").get<std::uint64_t>();
    if (!j.at("first_index").is_number_integer() || !j.at("origin_ns").is_number_integer() ||
        !j.at("t0_ns").is_number_integer())
      return bad("first_index, origin_ns and t0_ns must be integers");
    h.first_index = j.at("first_index").get<std::int64_t>();
    h.origin_ns = j.at("origin_ns").get<std::int64_t>();
    h.t0_ns = j.at("t0_ns").get<std::int64_t>();
    h.fs = j.at("fs").get<double>();
    if (!std::isfinite(h.fs) || !(h.fs > 0)) return bad("fs must be > 0");
    if (!j.at("n_samples").is_number_unsigned() || !j.at("n_channels").is_number_unsigned())
      return bad("n_samples and n_channels must be non-negative integers");
    h.n_samples = j.at("n_samples").get<std::size_t>();
    h.n_channels = j.at("n_channels").get<std::size_t>();
    if (h.n_channels == 0 || h.n_channels > limits.max_channels)
      return bad("n_channels must be in [1, " + std::to_string(limits.max_channels) + "]");
    if (h.n_samples > limits.max_message_bytes / 4 / h.n_channels)
      return bad("the payload would exceed " + std::to_string(limits.max_message_bytes) + " bytes");
    if (j.at("dtype") != "float32") return bad("dtype must be float32");
    if (j.at("layout") != "time-major") return bad("layout must be time-major");
    const json& c = j.at("channels");
    h.channel_first = c.at("first").get<std::int64_t>();
    h.channel_step = c.at("step").get<std::int64_t>();
    if (h.channel_step == 0) return bad("channels.step must not be 0");
    h.dx_m = j.at("dx_m").get<double>();
    if (!std::isfinite(h.dx_m)) return bad("dx_m must be finite");
    h.units = j.value("units", std::string());
    h.gap_before = j.value("gap_before", false);
    return h;
  } catch (const json::exception& e) {
    return bad(std::string("missing or mistyped field (") + e.what() + ")");
  }
}

Result<void> check_payload(const DataHeader& h, std::size_t payload_bytes) {
  if (payload_bytes != h.n_samples * h.n_channels * 4)
    return bad("payload of " + std::to_string(payload_bytes) + " bytes, the header says " +
               std::to_string(h.n_samples) + " x " + std::to_string(h.n_channels) + " float32");
  return {};
}

DataHeader header_of(const StreamInfo& stream, std::int64_t first_index, std::size_t n_samples) {
  DataHeader h;
  h.first_index = first_index;
  h.fs = stream.fs_hz;
  h.origin_ns = stream.origin_ns;
  h.t0_ns = stream.time_ns(first_index);
  h.n_samples = n_samples;
  h.n_channels = stream.n_channels;
  const ChannelCoords c = stream.coords ? *stream.coords : ChannelCoords{};
  h.channel_first = c.first;
  h.channel_step = c.step;
  h.dx_m = c.dx_m;
  return h;
}

StreamInfo stream_of(const DataHeader& h) {
  StreamInfo s;
  s.fs_hz = h.fs;
  s.origin_ns = h.origin_ns;
  s.n_channels = h.n_channels;
  s.coords = std::make_shared<const ChannelCoords>(ChannelCoords{h.channel_first, h.channel_step, h.dx_m});
  return s;
}

std::string encode_events_header(const std::string& stream_name, std::uint64_t seq, const std::vector<Event>& events,
                                 const StreamInfo& stream) {
  json j = envelope(stream_name, seq);
  json list = json::array();
  for (const Event& e : events)
    list.push_back(json::parse(event_json(e, stream, stream_name)));
  j["events"] = std::move(list);
  return j.dump();
}

Result<EventsHeader> parse_events_header(std::string_view text) {
  DASFLOW_TRY_ASSIGN(j, parse_envelope(text));
  const auto ev = j.find("events");
  if (ev == j.end() || !ev->is_array()) return bad("events must be a list");
  EventsHeader h;
  h.stream = j.value("stream", std::string());
  h.seq = j.at("seq").get<std::uint64_t>();
  h.events_json = ev->dump();
  h.n_events = ev->size();
  return h;
}

std::string encode_status(const std::string& stream_name, std::uint64_t seq, const std::string& state_json) {
  json j = envelope(stream_name, seq);
  try {
    const json state = json::parse(state_json);
    if (state.is_object())
      for (const auto& [k, v] : state.items())
        if (!j.contains(k)) j[k] = v;
  } catch (const json::exception&) {
  }
  return j.dump();
}

} // namespace dasflow::io::wire
