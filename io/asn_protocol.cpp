#include "dasflow/io/asn_protocol.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

#include "json_depth.hpp"

namespace dasflow::io::asn {

namespace {

using nlohmann::json;

Error bad(const std::string& what) { return fail(Errc::protocol, "ASN header: " + what); }

/// A value for an error message, cut short: the header is untrusted and may be a megabyte long.
std::string shown(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 64) s = s.substr(0, 61) + "...";
  return s;
}

/// Integers beyond 2^53 cannot come through a double exactly; no real count or channel number is
/// near that, so larger values are rejected rather than rounded.
constexpr double kMaxExactInteger = 9007199254740992.0;

/// A number as a double, whatever JSON number type nlohmann chose for it.
double number_of(const json& v) {
  if (v.is_number_unsigned()) return static_cast<double>(v.get<std::uint64_t>());
  if (v.is_number_integer()) return static_cast<double>(v.get<std::int64_t>());
  return v.get<double>();
}

/// A required whole number in [lo, hi]; integer-valued doubles (10.0) are accepted.
Result<std::int64_t> integer_field(const json& obj, const std::string& where, const char* name, double lo, double hi) {
  const auto it = obj.find(name);
  if (it == obj.end()) return bad("missing " + where + name);
  if (!it->is_number()) return bad(where + name + " must be a number, got " + shown(*it));
  const double v = number_of(*it);
  if (!std::isfinite(v) || v != std::floor(v)) return bad(where + name + " must be a whole number, got " + shown(*it));
  if (v < lo || v > hi)
    return bad(where + name + " must be in [" + std::to_string(static_cast<std::int64_t>(lo)) + ", " +
               std::to_string(static_cast<std::int64_t>(hi)) + "], got " + shown(*it));
  return static_cast<std::int64_t>(v);
}

/// A required finite number > 0.
Result<double> positive_field(const json& obj, const char* name) {
  const auto it = obj.find(name);
  if (it == obj.end()) return bad(std::string("missing ") + name);
  if (!it->is_number()) return bad(std::string(name) + " must be a number, got " + shown(*it));
  const double v = number_of(*it);
  if (!std::isfinite(v) || !(v > 0)) return bad(std::string(name) + " must be > 0, got " + shown(*it));
  return v;
}

/// An optional scale factor: finite and non-zero when present (a zero would erase the data, a
/// divisor of zero make it infinite).
Result<double> factor_field(const json& obj, const char* key, const std::string& name) {
  const auto it = obj.find(key);
  if (it == obj.end()) return 1.0;
  if (!it->is_number()) return bad(name + " must be a number, got " + shown(*it));
  const double v = number_of(*it);
  if (!std::isfinite(v) || v == 0.0) return bad(name + " must be a finite non-zero number, got " + shown(*it));
  return v;
}

/// An optional string field: "" when absent, an error when present with another type.
Result<std::string> optional_string(const json& obj, const std::string& where, const char* name) {
  const auto it = obj.find(name);
  if (it == obj.end()) return std::string();
  if (!it->is_string()) return bad(where + name + " must be a string, got " + shown(*it));
  return it->get<std::string>();
}

Result<DataType> data_type_of(const json& j) {
  const auto it = j.find("dataType");
  if (it == j.end()) return bad("missing dataType");
  if (!it->is_string()) return bad("dataType must be a string, got " + shown(*it));
  const std::string& t = it->get_ref<const std::string&>();
  if (t == "short") return DataType::int16;
  if (t == "int") return DataType::int32;
  if (t == "long") return DataType::int64;
  if (t == "float") return DataType::float32;
  if (t == "double") return DataType::float64;
  return bad("dataType must be short, int, long, float or double, got " + shown(*it));
}

Result<double> dt_seconds(const json& j) {
  DASFLOW_TRY_ASSIGN(dt, positive_field(j, "dt"));
  // xdas requires dtUnit; we take its absence as seconds, the unit every known writer uses.
  DASFLOW_TRY_ASSIGN(unit, optional_string(j, "", "dtUnit"));
  if (!j.contains("dtUnit")) unit = "s";
  double factor = 0.0;
  if (unit == "s")
    factor = 1.0;
  else if (unit == "ms")
    factor = 1e-3;
  else if (unit == "us")
    factor = 1e-6;
  else if (unit == "ns")
    factor = 1e-9;
  else
    return bad("dtUnit must be s, ms, us or ns, got " + shown(j.at("dtUnit")));
  const double s = dt * factor;
  // A rate of 1/dt must exist: a subnormal dt would underflow to 0 or make the rate infinite.
  if (!(s > 0) || !std::isfinite(1.0 / s))
    return bad("dt is too small to be a sampling interval: " + shown(j.at("dt")));
  return s;
}

/// Decodes n values of T from an unaligned little-endian buffer.
template <typename T> void widen(const std::byte* src, std::size_t n, double scale, float* out) {
  if (scale == 1.0) {
    for (std::size_t i = 0; i < n; ++i) {
      T v;
      std::memcpy(&v, src + i * sizeof(T), sizeof(T)); // the frame need not be aligned for T
      out[i] = static_cast<float>(v);
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      T v;
      std::memcpy(&v, src + i * sizeof(T), sizeof(T));
      out[i] = static_cast<float>(static_cast<double>(v) * scale);
    }
  }
}

Result<Header> parse_object(const json& j, std::string_view message, const Limits& limits) {
  Header h;
  const double max_channels = static_cast<double>(std::min<std::size_t>(limits.max_channels, 1u << 31));
  DASFLOW_TRY_ASSIGN(n, integer_field(j, "", "nChannels", 0, max_channels));
  if (n == 0) return bad("nChannels must be > 0");
  h.n_channels = static_cast<std::size_t>(n);
  const double max_bytes = static_cast<double>(std::min<std::size_t>(limits.max_message_bytes, std::size_t{1} << 48));
  DASFLOW_TRY_ASSIGN(np, integer_field(j, "", "nPackagesPerMessage", 0, max_bytes));
  if (np == 0) return bad("nPackagesPerMessage must be > 0");
  h.packages_per_message = static_cast<std::size_t>(np);
  DASFLOW_TRY_ASSIGN(bpp, integer_field(j, "", "bytesPerPackage", 0, max_bytes));
  h.bytes_per_package = static_cast<std::size_t>(bpp);
  DASFLOW_TRY_ASSIGN(type, data_type_of(j));
  h.data_type = type;
  if (h.bytes_per_package != h.n_channels * size_of(h.data_type))
    return bad("bytesPerPackage " + std::to_string(h.bytes_per_package) + " != nChannels " +
               std::to_string(h.n_channels) + " x " + std::to_string(size_of(h.data_type)) + " bytes of " +
               shown(j.at("dataType")));
  // Both factors are bounded above, so the product cannot overflow; compare it with the limit.
  if (limits.max_message_bytes < 8 || h.bytes_per_package * h.packages_per_message > limits.max_message_bytes - 8)
    return bad("a data message of " + std::to_string(h.bytes_per_package) + " x " +
               std::to_string(h.packages_per_message) + " bytes would exceed the limit of " +
               std::to_string(limits.max_message_bytes) + " bytes");

  DASFLOW_TRY_ASSIGN(dt, dt_seconds(j));
  h.dt_s = dt;
  DASFLOW_TRY_ASSIGN(dx, positive_field(j, "dx"));
  if (const auto u = j.find("dxUnit"); u != j.end() && !(u->is_string() && u->get_ref<const std::string&>() == "m"))
    return bad("dxUnit must be \"m\", got " + shown(*u));

  const auto roi = j.find("roiTable");
  if (roi == j.end()) return bad("missing roiTable");
  if (!roi->is_array() || roi->empty()) return bad("roiTable must be a non-empty list, got " + shown(*roi));
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < roi->size(); ++i) {
    const json& r = (*roi)[i];
    const std::string where = "roiTable[" + std::to_string(i) + "].";
    if (!r.is_object()) return bad("roiTable[" + std::to_string(i) + "] must be an object, got " + shown(r));
    DASFLOW_TRY_ASSIGN(a, integer_field(r, where, "roiStart", -kMaxExactInteger / 4, kMaxExactInteger / 4));
    DASFLOW_TRY_ASSIGN(e, integer_field(r, where, "roiEnd", -kMaxExactInteger / 4, kMaxExactInteger / 4));
    DASFLOW_TRY_ASSIGN(d, integer_field(r, where, "roiDec", 1, kMaxExactInteger / 4));
    if (e < a) return bad(where + "roiEnd " + std::to_string(e) + " < roiStart " + std::to_string(a));
    total += static_cast<std::uint64_t>((e - a) / d + 1); // |a|, |e| < 2^51: no overflow
    if (total > h.n_channels) return bad("roiTable holds more channels than nChannels " + std::to_string(h.n_channels));
    h.rois.push_back(Roi{a, e, d});
  }
  if (total != h.n_channels)
    return bad("roiTable holds " + std::to_string(total) + " channels, nChannels says " + std::to_string(h.n_channels));
  // dx is the spacing of delivered channels, one roiDec step of roiTable[0] (see the header file).
  h.dx_m = dx / static_cast<double>(h.rois.front().dec);

  DASFLOW_TRY_ASSIGN(data_scale, factor_field(j, "dataScale", "dataScale"));
  double scale = data_scale;
  if (const auto s = j.find("sensitivities"); s != j.end()) {
    if (!s->is_array()) return bad("sensitivities must be a list, got " + shown(*s));
    if (!s->empty()) {
      const json& first = s->front();
      if (!first.is_object()) return bad("sensitivities[0] must be an object, got " + shown(first));
      DASFLOW_TRY_ASSIGN(factor, factor_field(first, "factor", "sensitivities[0].factor"));
      scale /= factor;
      DASFLOW_TRY_ASSIGN(u, optional_string(first, "sensitivities[0].", "unit"));
      h.unit = std::move(u);
    }
  }
  if (j.contains("unit")) {
    DASFLOW_TRY_ASSIGN(u, optional_string(j, "", "unit"));
    h.unit = std::move(u);
  }
  if (!std::isfinite(scale) || scale == 0.0)
    return bad("dataScale / sensitivities[0].factor = " + std::to_string(scale) + " is not a usable factor");
  h.scale = scale;
  h.text = std::string(message);
  return h;
}

} // namespace

std::size_t size_of(DataType t) noexcept {
  switch (t) {
  case DataType::int16: return 2;
  case DataType::int32:
  case DataType::float32: return 4;
  case DataType::int64:
  case DataType::float64: return 8;
  }
  return 4;
}

std::vector<std::int64_t> Header::channel_numbers() const {
  std::vector<std::int64_t> out;
  out.reserve(n_channels);
  for (const Roi& r : rois) {
    if (r.dec < 1) continue; // only a hand-built Header can hold one; parse_header rejects it
    for (std::int64_t c = r.start; c <= r.end; c += r.dec)
      out.push_back(c);
  }
  return out;
}

bool Header::same_layout(const Header& o) const noexcept {
  return bytes_per_package == o.bytes_per_package && packages_per_message == o.packages_per_message &&
         n_channels == o.n_channels && data_type == o.data_type && dt_s == o.dt_s && dx_m == o.dx_m && rois == o.rois &&
         scale == o.scale && unit == o.unit;
}

Result<Header> parse_header(std::string_view message, const Limits& limits) {
  if (message.size() > limits.max_header_bytes)
    return bad("a message of " + std::to_string(message.size()) +
               " bytes is neither data of the expected length nor a header (limit " +
               std::to_string(limits.max_header_bytes) + " bytes)");
  if (detail::nests_deeper_than(message, detail::kMaxJsonDepth))
    return bad("nested deeper than " + std::to_string(detail::kMaxJsonDepth) + " levels");
  try {
    // Parsed without exceptions: malformed input is the normal case here, not an exceptional one.
    const json j = json::parse(message.begin(), message.end(), nullptr, false);
    if (j.is_discarded()) return bad("not JSON (and not a data message of the expected length)");
    if (!j.is_object()) return bad("not a JSON object: " + shown(j));
    return parse_object(j, message, limits);
  } catch (const json::exception& e) {
    // Every access above is type-checked first; this is the net under that promise.
    return bad(std::string("unexpected JSON (") + e.what() + ")");
  }
}

Result<std::int64_t> decode_data(const Header& h, std::span<const std::byte> message, float* out) {
  if (message.size() != h.data_message_bytes())
    return fail(Errc::protocol, "ASN data message of " + std::to_string(message.size()) + " bytes, the header says " +
                                    std::to_string(h.data_message_bytes()));
  if (h.bytes_per_package != h.n_channels * size_of(h.data_type))
    return fail(Errc::internal, "ASN header with bytesPerPackage != nChannels x value size (not from parse_header)");
  std::int64_t t0 = 0;
  std::memcpy(&t0, message.data(), 8);
  const std::byte* src = message.data() + 8;
  const std::size_t n = h.packages_per_message * h.n_channels;
  if (n == 0) return t0;
  switch (h.data_type) {
  case DataType::int16: widen<std::int16_t>(src, n, h.scale, out); break;
  case DataType::int32: widen<std::int32_t>(src, n, h.scale, out); break;
  case DataType::int64: widen<std::int64_t>(src, n, h.scale, out); break;
  case DataType::float32:
    if (h.scale == 1.0)
      std::memcpy(out, src, n * sizeof(float)); // bit exact, NaN payloads included
    else
      widen<float>(src, n, h.scale, out);
    break;
  case DataType::float64: widen<double>(src, n, h.scale, out); break;
  }
  return t0;
}

std::string encode_header(const HeaderFields& f) {
  // Field order as a reader expects to see it; values as the interrogator writes them (xdas's
  // tests/io/test_asn.py holds a real header).
  nlohmann::ordered_json j;
  j["bytesPerPackage"] = 4 * f.n_channels;
  j["nPackagesPerMessage"] = f.packages_per_message;
  j["nChannels"] = f.n_channels;
  j["dataType"] = "float";
  j["dt"] = f.dt_s;
  j["dtUnit"] = "s";
  // dx is the spacing of the delivered channels (one roi_dec step), see asn_protocol.hpp.
  j["dx"] = f.dx_m * static_cast<double>(f.roi_dec);
  j["dxUnit"] = "m";
  const auto last = static_cast<std::int64_t>(f.n_channels == 0 ? 0 : f.n_channels - 1);
  j["roiTable"] = nlohmann::ordered_json::array({nlohmann::ordered_json{
      {"roiStart", f.roi_start}, {"roiEnd", f.roi_start + last * f.roi_dec}, {"roiDec", f.roi_dec}}});
  j["dataScale"] = f.data_scale;
  if (!f.unit.empty()) j["unit"] = f.unit;
  if (!f.experiment.empty()) j["experiment"] = f.experiment;
  // replace: a configured name that is not UTF-8 must not make the publisher throw.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void encode_data(std::int64_t t0_ns, const float* rows, std::size_t n_packages, std::size_t n_channels,
                 std::string& out) {
  const std::size_t n = n_packages * n_channels;
  out.resize(8 + sizeof(float) * n);
  std::memcpy(out.data(), &t0_ns, 8);
  if (n > 0) std::memcpy(out.data() + 8, rows, sizeof(float) * n);
}

} // namespace dasflow::io::asn
