#include "dasflow/io/dasflow_protocol.hpp"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "dasflow/io/events_output.hpp"
#include "json_depth.hpp"

namespace dasflow::io::wire {

namespace {

using nlohmann::json;
using ojson = nlohmann::ordered_json;

Error bad(const std::string& what) { return fail(Errc::protocol, "dasflow message: " + what); }

std::string shown(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 64) s = s.substr(0, 61) + "...";
  return s;
}

/// Encoders never throw on a name that is not UTF-8: it is replaced, not fatal to the publisher.
std::string dump(const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::replace); }

/// The fields every topic carries, in the order of PROTOCOLS.md §2.
ojson envelope(const std::string& stream, std::uint64_t seq) {
  ojson j;
  j["protocol"] = "dasflow";
  j["version"] = kVersion;
  j["stream"] = stream;
  j["seq"] = seq;
  return j;
}

const json* field(const json& j, const char* name) {
  const auto it = j.find(name);
  return it == j.end() ? nullptr : &*it;
}

Result<std::int64_t> int64_field(const json& j, const std::string& where, const char* name) {
  const json* v = field(j, name);
  if (!v) return bad("missing " + where + name);
  // nlohmann stores a non-negative literal as unsigned: one above INT64_MAX must not wrap.
  if (v->is_number_unsigned() && v->get<std::uint64_t>() <= std::uint64_t{std::numeric_limits<std::int64_t>::max()})
    return static_cast<std::int64_t>(v->get<std::uint64_t>());
  if (v->is_number_integer() && !v->is_number_unsigned()) return v->get<std::int64_t>();
  return bad(where + name + " must be an integer within int64, got " + shown(*v));
}

Result<std::uint64_t> uint64_field(const json& j, const char* name) {
  const json* v = field(j, name);
  if (!v) return bad(std::string("missing ") + name);
  if (!v->is_number_unsigned()) return bad(std::string(name) + " must be a non-negative integer, got " + shown(*v));
  return v->get<std::uint64_t>();
}

Result<double> double_field(const json& j, const char* name) {
  const json* v = field(j, name);
  if (!v) return bad(std::string("missing ") + name);
  if (!v->is_number()) return bad(std::string(name) + " must be a number, got " + shown(*v));
  const double d = v->get<double>();
  if (!std::isfinite(d)) return bad(std::string(name) + " must be finite, got " + shown(*v));
  return d;
}

Result<std::string> string_field(const json& j, const char* name) {
  const json* v = field(j, name);
  if (!v) return bad(std::string("missing ") + name);
  if (!v->is_string()) return bad(std::string(name) + " must be a string, got " + shown(*v));
  return v->get<std::string>();
}

Result<json> parse_json(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes)
    return bad("header of " + std::to_string(text.size()) + " bytes exceeds the limit of " + std::to_string(max_bytes));
  if (detail::nests_deeper_than(text, detail::kMaxJsonDepth))
    return bad("header nested deeper than " + std::to_string(detail::kMaxJsonDepth) + " levels");
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) return bad("header is not JSON");
  if (!j.is_object()) return bad("header is not a JSON object: " + shown(j));
  return j;
}

/// protocol, version, stream and seq: common to every topic.
Result<void> check_envelope(const json& j, std::string& stream, std::uint64_t& seq) {
  const json* p = field(j, "protocol");
  if (!p) return bad("missing protocol");
  if (!p->is_string() || p->get_ref<const std::string&>() != "dasflow")
    return bad("protocol must be \"dasflow\", got " + shown(*p));
  const json* v = field(j, "version");
  if (!v) return bad("missing version");
  if (!v->is_number_integer() || v->get<std::int64_t>() != kVersion)
    return bad("version " + shown(*v) + " is not supported (this reader speaks version " + std::to_string(kVersion) +
               ")");
  DASFLOW_TRY_ASSIGN(s, string_field(j, "stream"));
  stream = std::move(s);
  DASFLOW_TRY_ASSIGN(q, uint64_field(j, "seq"));
  seq = q;
  return {};
}

/// The optional `spectral` object of a spectral product's data header (fbe, spectrogram).
Result<std::shared_ptr<const SpectralAxis>> spectral_of(const json& sp, std::size_t n_channels) {
  if (!sp.is_object()) return bad("spectral must be an object, got " + shown(sp));
  auto axis = std::make_shared<SpectralAxis>();
  DASFLOW_TRY_ASSIGN(kind, string_field(sp, "kind"));
  if (kind != "bands" && kind != "frequencies")
    return bad("spectral.kind must be \"bands\" or \"frequencies\", got " + shown(sp.at("kind")));
  axis->kind = kind == "bands" ? SpectralAxis::Kind::bands : SpectralAxis::Kind::frequencies;
  for (const char* name : {"low_hz", "high_hz"}) {
    const json* list = field(sp, name);
    if (list == nullptr || !list->is_array() || list->size() > n_channels)
      return bad(std::string("spectral.") + name + " must be an array of at most n_channels numbers");
    auto& dst = std::string_view(name) == "low_hz" ? axis->low_hz : axis->high_hz;
    for (const json& v : *list) {
      if (!v.is_number() || !std::isfinite(v.get<double>()))
        return bad(std::string("spectral.") + name + " holds " + shown(v) + ", not a number");
      dst.push_back(v.get<double>());
    }
  }
  if (axis->low_hz.empty() || axis->low_hz.size() != axis->high_hz.size() || n_channels % axis->low_hz.size() != 0)
    return bad("spectral.low_hz and high_hz must have the same non-zero length, dividing n_channels (" +
               std::to_string(n_channels) + ")");
  axis->n_locations = n_channels / axis->low_hz.size();
  DASFLOW_TRY_ASSIGN(window, uint64_field(sp, "window_samples"));
  DASFLOW_TRY_ASSIGN(overlap, uint64_field(sp, "overlap_samples"));
  if (window > (std::uint64_t{1} << 32) || overlap >= std::max<std::uint64_t>(window, 1))
    return bad("spectral.overlap_samples must be less than window_samples (at most 2^32)");
  axis->window_samples = static_cast<std::size_t>(window);
  axis->overlap_samples = static_cast<std::size_t>(overlap);
  DASFLOW_TRY_ASSIGN(input_fs, double_field(sp, "input_fs"));
  axis->input_fs_hz = input_fs;
  DASFLOW_TRY_ASSIGN(window_name, string_field(sp, "window"));
  axis->window_name = window_name;
  DASFLOW_TRY_ASSIGN(unit, string_field(sp, "unit"));
  axis->unit = unit;
  return std::shared_ptr<const SpectralAxis>(std::move(axis));
}

Result<DataHeader> data_header_of(const json& j, const asn::Limits& limits) {
  DataHeader h;
  DASFLOW_TRY(check_envelope(j, h.stream, h.seq));
  DASFLOW_TRY_ASSIGN(dtype, string_field(j, "dtype"));
  if (dtype != "float32") return bad("dtype must be \"float32\", got " + shown(j.at("dtype")));
  DASFLOW_TRY_ASSIGN(layout, string_field(j, "layout"));
  if (layout != "time-major") return bad("layout must be \"time-major\", got " + shown(j.at("layout")));
  DASFLOW_TRY_ASSIGN(first_index, int64_field(j, "", "first_index"));
  h.first_index = first_index;
  DASFLOW_TRY_ASSIGN(fs, double_field(j, "fs"));
  if (!(fs > 0)) return bad("fs must be > 0, got " + shown(j.at("fs")));
  h.fs = fs;
  DASFLOW_TRY_ASSIGN(origin, int64_field(j, "", "origin_ns"));
  h.origin_ns = origin;
  DASFLOW_TRY_ASSIGN(t0, int64_field(j, "", "t0_ns"));
  h.t0_ns = t0;
  DASFLOW_TRY_ASSIGN(ns, uint64_field(j, "n_samples"));
  DASFLOW_TRY_ASSIGN(nc, uint64_field(j, "n_channels"));
  if (nc == 0 || nc > limits.max_channels)
    return bad("n_channels must be in [1, " + std::to_string(limits.max_channels) + "], got " + std::to_string(nc));
  // Divide rather than multiply: n_samples is untrusted and the product could wrap.
  if (ns > limits.max_message_bytes / 4 / nc)
    return bad("a payload of " + std::to_string(ns) + " x " + std::to_string(nc) + " float32 exceeds the limit of " +
               std::to_string(limits.max_message_bytes) + " bytes");
  h.n_samples = static_cast<std::size_t>(ns);
  h.n_channels = static_cast<std::size_t>(nc);
  const json* c = field(j, "channels");
  if (!c) return bad("missing channels");
  if (!c->is_object()) return bad("channels must be an object {first, step}, got " + shown(*c));
  DASFLOW_TRY_ASSIGN(first, int64_field(*c, "channels.", "first"));
  DASFLOW_TRY_ASSIGN(step, int64_field(*c, "channels.", "step"));
  if (step == 0) return bad("channels.step must not be 0");
  h.channel_first = first;
  h.channel_step = step;
  DASFLOW_TRY_ASSIGN(dx, double_field(j, "dx_m"));
  h.dx_m = dx;
  DASFLOW_TRY_ASSIGN(units, string_field(j, "units"));
  h.units = std::move(units);
  const json* gap = field(j, "gap_before");
  if (!gap) return bad("missing gap_before");
  if (!gap->is_boolean()) return bad("gap_before must be true or false, got " + shown(*gap));
  h.gap_before = gap->get<bool>();
  if (const json* sp = field(j, "spectral")) {
    DASFLOW_TRY_ASSIGN(axis, spectral_of(*sp, h.n_channels));
    h.spectral = std::move(axis);
  }
  return h;
}

} // namespace

std::string encode_data_header(const DataHeader& h) {
  ojson j = envelope(h.stream, h.seq);
  j["first_index"] = h.first_index;
  j["fs"] = h.fs;
  j["origin_ns"] = h.origin_ns;
  j["t0_ns"] = h.t0_ns;
  j["n_samples"] = h.n_samples;
  j["n_channels"] = h.n_channels;
  j["dtype"] = "float32";
  j["layout"] = "time-major";
  j["channels"] = ojson{{"first", h.channel_first}, {"step", h.channel_step}};
  j["dx_m"] = h.dx_m;
  j["units"] = h.units;
  j["gap_before"] = h.gap_before;
  if (h.spectral) {
    const SpectralAxis& a = *h.spectral;
    j["spectral"] = ojson{{"kind", a.kind == SpectralAxis::Kind::bands ? "bands" : "frequencies"},
                          {"low_hz", a.low_hz},
                          {"high_hz", a.high_hz},
                          {"window_samples", a.window_samples},
                          {"overlap_samples", a.overlap_samples},
                          {"input_fs", a.input_fs_hz},
                          {"window", a.window_name},
                          {"unit", a.unit}};
  }
  return dump(j);
}

Result<DataHeader> parse_data_header(std::string_view text, const asn::Limits& limits) {
  try {
    DASFLOW_TRY_ASSIGN(j, parse_json(text, limits.max_header_bytes));
    return data_header_of(j, limits);
  } catch (const json::exception& e) {
    // Every access is type-checked first; this is the net under that promise.
    return bad(std::string("unexpected JSON (") + e.what() + ")");
  }
}

Result<void> check_payload(const DataHeader& h, std::size_t payload_bytes) {
  // Compare by division: a hand-built header could hold counts whose product wraps.
  const bool ok = h.n_channels == 0
                      ? payload_bytes == 0
                      : payload_bytes % (4 * h.n_channels) == 0 && payload_bytes / (4 * h.n_channels) == h.n_samples;
  if (!ok)
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
  h.spectral = stream.spectral;
  return h;
}

StreamInfo stream_of(const DataHeader& h) {
  StreamInfo s;
  s.fs_hz = h.fs;
  s.origin_ns = h.origin_ns;
  s.n_channels = h.n_channels;
  s.coords = std::make_shared<const ChannelCoords>(ChannelCoords{h.channel_first, h.channel_step, h.dx_m});
  s.spectral = h.spectral;
  return s;
}

std::string encode_events_header(const std::string& stream, std::uint64_t seq, const std::vector<Event>& events,
                                 const StreamInfo& stream_info) {
  ojson j = envelope(stream, seq);
  ojson list = ojson::array();
  // The same objects as the events file (PROTOCOLS.md §4): one writer of that format, not two.
  for (const Event& e : events)
    list.push_back(ojson::parse(event_json(e, stream_info, stream)));
  j["events"] = std::move(list);
  return dump(j);
}

Result<EventsHeader> parse_events_header(std::string_view text) {
  try {
    DASFLOW_TRY_ASSIGN(j, parse_json(text, asn::Limits{}.max_header_bytes));
    EventsHeader h;
    DASFLOW_TRY(check_envelope(j, h.stream, h.seq));
    const json* ev = field(j, "events");
    if (!ev) return bad("missing events");
    if (!ev->is_array()) return bad("events must be a list, got " + shown(*ev));
    for (std::size_t i = 0; i < ev->size(); ++i)
      if (!(*ev)[i].is_object()) return bad("events[" + std::to_string(i) + "] must be an object");
    h.events_json = ev->dump(-1, ' ', false, json::error_handler_t::replace);
    h.n_events = ev->size();
    return h;
  } catch (const json::exception& e) {
    return bad(std::string("unexpected JSON (") + e.what() + ")");
  }
}

std::string encode_status(const std::string& stream, std::uint64_t seq, const std::string& state_json) {
  ojson j = envelope(stream, seq);
  // Our own state, but parsed text all the same: too deep to handle safely is carried as text.
  const ojson state = detail::nests_deeper_than(state_json, detail::kMaxJsonDepth)
                          ? ojson(ojson::value_t::discarded)
                          : ojson::parse(state_json, nullptr, false);
  if (state.is_object()) {
    for (const auto& [k, v] : state.items())
      if (!j.contains(k)) j[k] = v;
  } else if (state.is_discarded()) {
    j["state"] = state_json;
  } else {
    j["state"] = state;
  }
  return dump(j);
}

} // namespace dasflow::io::wire
