#include "dasflow/io/asn_protocol.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

namespace dasflow::io::asn {

namespace {

using nlohmann::json;

Error bad(const std::string& what) { return fail(Errc::protocol, "ASN header: " + what); }

/// A non-negative integer field (integer-valued doubles accepted, as some writers emit them).
Result<std::uint64_t> count_field(const json& j, const char* name, std::uint64_t max) {
  const auto it = j.find(name);
  if (it == j.end()) return bad(std::string("missing ") + name);
  double v = 0;
  if (it->is_number_unsigned())
    v = static_cast<double>(it->get<std::uint64_t>());
  else if (it->is_number())
    v = it->get<double>();
  else
    return bad(std::string(name) + " must be a number");
  if (!std::isfinite(v) || v < 0 || v != std::floor(v) || v > static_cast<double>(max))
    return bad(std::string(name) + " must be an integer in [0, " + std::to_string(max) + "], got " + it->dump());
  return static_cast<std::uint64_t>(v);
}

Result<std::int64_t> int_field(const json& j, const char* name) {
  const auto it = j.find(name);
  if (it == j.end() || !it->is_number()) return bad(std::string(name) + " must be a number");
  const double v = it->get<double>();
  if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9e15)
    return bad(std::string(name) + " must be an integer, got " + it->dump());
  return static_cast<std::int64_t>(v);
}

Result<double> positive_number(const json& j, const char* name) {
  const auto it = j.find(name);
  if (it == j.end() || !it->is_number()) return bad(std::string("missing or non-numeric ") + name);
  const double v = it->get<double>();
  if (!std::isfinite(v) || !(v > 0)) return bad(std::string(name) + " must be > 0, got " + it->dump());
  return v;
}

template <typename T> void widen(const std::byte* src, std::size_t n, double scale, float* out) {
  for (std::size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T)); // the frame may be unaligned
    out[i] = scale == 1.0 ? static_cast<float>(v) : static_cast<float>(static_cast<double>(v) * scale);
  }
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
  for (const Roi& r : rois)
    for (std::int64_t c = r.start; c <= r.end; c += r.dec)
      out.push_back(c);
  return out;
}

bool Header::same_layout(const Header& o) const noexcept {
  if (rois.size() != o.rois.size()) return false;
  for (std::size_t i = 0; i < rois.size(); ++i)
    if (rois[i].start != o.rois[i].start || rois[i].end != o.rois[i].end || rois[i].dec != o.rois[i].dec) return false;
  return bytes_per_package == o.bytes_per_package && packages_per_message == o.packages_per_message &&
         n_channels == o.n_channels && data_type == o.data_type && dt_s == o.dt_s && dx_m == o.dx_m &&
         scale == o.scale && unit == o.unit;
}

Result<Header> parse_header(std::string_view message, const Limits& limits) {
  if (message.size() > limits.max_header_bytes)
    return bad("a non-data message of " + std::to_string(message.size()) + " bytes is too long for a header");
  json j;
  try {
    j = json::parse(message.begin(), message.end());
  } catch (const json::exception&) {
    return bad("not JSON (and not a data message of the expected length)");
  }
  if (!j.is_object()) return bad("not a JSON object");
  try {
    Header h;
    h.text = std::string(message);
    DASFLOW_TRY_ASSIGN(n, count_field(j, "nChannels", limits.max_channels));
    if (n == 0) return bad("nChannels must be > 0");
    h.n_channels = static_cast<std::size_t>(n);
    DASFLOW_TRY_ASSIGN(np, count_field(j, "nPackagesPerMessage", limits.max_message_bytes));
    if (np == 0) return bad("nPackagesPerMessage must be > 0");
    h.packages_per_message = static_cast<std::size_t>(np);
    DASFLOW_TRY_ASSIGN(bpp, count_field(j, "bytesPerPackage", limits.max_message_bytes));
    h.bytes_per_package = static_cast<std::size_t>(bpp);
    const auto type = j.find("dataType");
    if (type == j.end() || !type->is_string()) return bad("missing dataType");
    const std::string t = type->get<std::string>();
    if (t == "short")
      h.data_type = DataType::int16;
    else if (t == "int")
      h.data_type = DataType::int32;
    else if (t == "long")
      h.data_type = DataType::int64;
    else if (t == "float")
      h.data_type = DataType::float32;
    else if (t == "double")
      h.data_type = DataType::float64;
    else
      return bad("dataType must be short, int, long, float or double, got '" + t + "'");
    if (h.bytes_per_package != h.n_channels * size_of(h.data_type))
      return bad("bytesPerPackage " + std::to_string(h.bytes_per_package) + " != nChannels " +
                 std::to_string(h.n_channels) + " x " + std::to_string(size_of(h.data_type)) + " bytes (" + t + ")");
    if (h.packages_per_message > (limits.max_message_bytes - 8) / std::max<std::size_t>(1, h.bytes_per_package))
      return bad("a data message would exceed " + std::to_string(limits.max_message_bytes) + " bytes");
    DASFLOW_TRY_ASSIGN(dt, positive_number(j, "dt"));
    std::string unit = "s";
    if (const auto u = j.find("dtUnit"); u != j.end()) {
      if (!u->is_string()) return bad("dtUnit must be a string");
      unit = u->get<std::string>();
    }
    const double factor = unit == "s" ? 1.0 : unit == "ms" ? 1e-3 : unit == "us" ? 1e-6 : unit == "ns" ? 1e-9 : 0.0;
    if (factor == 0.0) return bad("dtUnit must be s, ms, us or ns, got '" + unit + "'");
    h.dt_s = dt * factor;
    DASFLOW_TRY_ASSIGN(dx, positive_number(j, "dx"));
    h.dx_m = dx;
    if (const auto u = j.find("dxUnit"); u != j.end() && !(u->is_string() && u->get<std::string>() == "m"))
      return bad("dxUnit must be \"m\", got " + u->dump());
    const auto roi = j.find("roiTable");
    if (roi == j.end() || !roi->is_array() || roi->empty()) return bad("roiTable must be a non-empty list");
    std::uint64_t total = 0;
    for (const json& r : *roi) {
      if (!r.is_object()) return bad("roiTable entries must be objects");
      DASFLOW_TRY_ASSIGN(a, int_field(r, "roiStart"));
      DASFLOW_TRY_ASSIGN(e, int_field(r, "roiEnd"));
      DASFLOW_TRY_ASSIGN(d, int_field(r, "roiDec"));
      if (d < 1 || e < a) return bad("roiTable entry needs roiEnd >= roiStart and roiDec >= 1, got " + r.dump());
      total += static_cast<std::uint64_t>((e - a) / d + 1);
      if (total > limits.max_channels) return bad("roiTable holds more channels than the limit");
      h.rois.push_back(Roi{a, e, d});
    }
    if (total != h.n_channels)
      return bad("roiTable holds " + std::to_string(total) + " channels, nChannels says " +
                 std::to_string(h.n_channels));
    double scale = 1.0;
    if (const auto s = j.find("dataScale"); s != j.end()) {
      if (!s->is_number() || !std::isfinite(s->get<double>()) || s->get<double>() == 0.0)
        return bad("dataScale must be a finite non-zero number");
      scale = s->get<double>();
    }
    if (const auto s = j.find("sensitivities"); s != j.end() && s->is_array() && !s->empty()) {
      const json& first = (*s)[0];
      if (!first.is_object()) return bad("sensitivities entries must be objects");
      if (const auto f = first.find("factor"); f != first.end()) {
        if (!f->is_number() || !std::isfinite(f->get<double>()) || f->get<double>() == 0.0)
          return bad("sensitivities[0].factor must be a finite non-zero number");
        scale /= f->get<double>();
      }
      if (const auto u = first.find("unit"); u != first.end() && u->is_string()) h.unit = u->get<std::string>();
    }
    if (const auto u = j.find("unit"); u != j.end() && u->is_string()) h.unit = u->get<std::string>();
    if (!std::isfinite(scale) || scale == 0.0) return bad("dataScale / sensitivity is not a usable factor");
    h.scale = scale;
    return h;
  } catch (const json::exception& e) {
    return bad(std::string("unexpected field types (") + e.what() + ")");
  }
}

Result<std::int64_t> decode_data(const Header& h, std::span<const std::byte> message, float* out) {
  if (message.size() != h.data_message_bytes())
    return fail(Errc::protocol, "ASN data message of " + std::to_string(message.size()) + " bytes, the header says " +
                                    std::to_string(h.data_message_bytes()));
  std::int64_t t0 = 0;
  std::memcpy(&t0, message.data(), 8);
  const std::byte* src = message.data() + 8;
  const std::size_t n = h.packages_per_message * h.n_channels;
  switch (h.data_type) {
  case DataType::int16: widen<std::int16_t>(src, n, h.scale, out); break;
  case DataType::int32: widen<std::int32_t>(src, n, h.scale, out); break;
  case DataType::int64: widen<std::int64_t>(src, n, h.scale, out); break;
  case DataType::float32:
    if (h.scale == 1.0)
      std::memcpy(out, src, n * 4);
    else
      widen<float>(src, n, h.scale, out);
    break;
  case DataType::float64: widen<double>(src, n, h.scale, out); break;
  }
  return t0;
}

std::string encode_header(const HeaderFields& f) {
  json j;
  j["bytesPerPackage"] = 4 * f.n_channels;
  j["nPackagesPerMessage"] = f.packages_per_message;
  j["nChannels"] = f.n_channels;
  j["dataType"] = "float";
  j["dt"] = f.dt_s;
  j["dtUnit"] = "s";
  j["dx"] = f.dx_m;
  j["dxUnit"] = "m";
  const std::int64_t end =
      f.roi_start + static_cast<std::int64_t>(f.n_channels == 0 ? 0 : f.n_channels - 1) * f.roi_dec;
  j["roiTable"] = json::array({json{{"roiStart", f.roi_start}, {"roiEnd", end}, {"roiDec", f.roi_dec}}});
  j["trustedTimeSource"] = true;
  if (!f.unit.empty()) j["unit"] = f.unit;
  return j.dump();
}

void encode_data(std::int64_t t0_ns, const float* rows, std::size_t n_packages, std::size_t n_channels,
                 std::string& out) {
  out.resize(8 + 4 * n_packages * n_channels);
  std::memcpy(out.data(), &t0_ns, 8);
  if (n_packages * n_channels > 0) std::memcpy(out.data() + 8, rows, 4 * n_packages * n_channels);
}

} // namespace dasflow::io::asn
