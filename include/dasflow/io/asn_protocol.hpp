#pragma once
/// \file asn_protocol.hpp
/// The ASN OptoDAS ZeroMQ framing (PROTOCOLS.md §1) as pure functions of bytes, without ZeroMQ:
/// what the `asn` source decodes and what the `asn` output, `dasflow simulate` and `dasflow replay`
/// encode.
///
/// One frame per message, no topic. A header is a JSON object; a data message is an int64
/// timestamp (ns since the Unix epoch) followed by nPackagesPerMessage × nChannels values of
/// dataType, time-major. A receiver tells them apart by length only: a message of exactly
/// `data_message_bytes()` is data, anything else is parsed as a new header. Headers are untrusted
/// input: every count is checked against Limits before anything is sized from it.
///
/// Channels and distances. The channel numbers are the concatenated ROI ranges
/// `range(roiStart, roiEnd + 1, roiDec)` (channel_numbers()). The header's `dx` is the spacing of
/// the *delivered* channels, i.e. of one step of roiDec: a real OptoDAS header (xdas's
/// tests/io/test_asn.py) says roiTable [{0, 160010, 10}], nChannels 16002, dx 10.213 m, while the
/// undecimated spacing in ASN's HDF5 files is 1.0213 m (data/real/README.md) — reading dx per
/// channel number would put that fibre at 1634 km instead of 163 km. xdas's ZMQSubscriber agrees:
/// it reads only `roiTable[0]` and places the channels from `(roiStart // roiDec) · dx` to
/// `(roiEnd // roiDec) · dx`. So Header::dx_m here is metres per channel *number*, `dx / roiDec`
/// of roiTable[0], and a channel's distance is `number · dx_m` as everywhere else in dasflow
/// (ChannelCoords); encode_header writes `dx = dx_m · roi_dec` so that xdas and we agree on our own
/// streams. (PROTOCOLS.md §1 "distance = n · dx" holds only for roiDec = 1.)
///
/// Times: sample k of a message is at `t0 + k · dt` (PROTOCOLS.md §1). xdas rounds dt to whole
/// nanoseconds (`round(dt · 1e9)`); dt_s here keeps the double.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dasflow/core/result.hpp"

namespace dasflow::io::asn {

// The samples are copied (or widened) straight from the frame: both wire formats are little-endian
// (PROTOCOLS.md, top), and so is every host dasflow targets (x86-64, arm64). A big-endian port
// would need byte swaps in decode_data/encode_data.
static_assert(std::endian::native == std::endian::little, "the ASN and dasflow wire formats are little-endian");

enum class DataType { int16, int32, int64, float32, float64 }; ///< "short", "int", "long", "float", "double"

/// Size in bytes of one value.
std::size_t size_of(DataType t) noexcept;

/// Channels `range(start, end + 1, dec)`.
struct Roi {
  std::int64_t start = 0, end = 0, dec = 1;
  bool operator==(const Roi&) const = default;
};

/// Limits on what outside bytes may ask for (a header is untrusted input).
struct Limits {
  std::size_t max_channels = 1'000'000;
  std::size_t max_message_bytes = std::size_t{1} << 30; ///< of a data message
  std::size_t max_header_bytes = std::size_t{1} << 20;
};

struct Header {
  std::size_t bytes_per_package = 0, packages_per_message = 0, n_channels = 0;
  DataType data_type = DataType::float32;
  double dt_s = 0; ///< dt converted with dtUnit (s, ms, us, ns; "s" when dtUnit is absent)
  double dx_m = 0; ///< metres per channel number: the header's dx / roiTable[0].roiDec (see the file comment)
  std::vector<Roi> rois;
  double scale = 1.0; ///< dataScale / sensitivities[0].factor (each 1 when absent)
  std::string unit;   ///< "unit" if present, else sensitivities[0].unit, else ""
  std::string text;   ///< the JSON exactly as received

  std::size_t data_message_bytes() const noexcept { return 8 + bytes_per_package * packages_per_message; }
  /// The concatenated ROI ranges (n_channels values).
  std::vector<std::int64_t> channel_numbers() const;
  /// Same acquisition (all fields but `text`): a re-sent identical header is not a change.
  bool same_layout(const Header& o) const noexcept;
};

/// Parses and validates a header message. Errors (Errc::protocol) say which field is wrong and why:
/// not JSON / not an object, missing or wrongly typed field, unknown dataType/dtUnit, dt <= 0,
/// nChannels == 0 or > limits, bytesPerPackage != nChannels · sizeof(dataType), ROI list empty or
/// inconsistent (end < start, dec < 1) or its channel count != nChannels, message size > limits,
/// non-finite or zero scale factors. Integer fields accept integer-valued doubles (some writers emit
/// 10.0) but reject negative or fractional counts. Unknown fields are ignored. Never throws.
Result<Header> parse_header(std::string_view message, const Limits& limits = {});

/// Decodes a data message (its size must equal h.data_message_bytes(), else Errc::protocol) into
/// packages_per_message × n_channels floats at `out`, time-major: float(raw · scale) computed in
/// double; no multiply when scale == 1, so float32 input is then copied bit for bit. The frame may
/// be unaligned. Returns the timestamp of the first package, ns since the epoch.
Result<std::int64_t> decode_data(const Header& h, std::span<const std::byte> message, float* out);

/// A header for data we publish: float32, one ROI [roi_start, roi_start + (n-1)·roi_dec].
struct HeaderFields {
  std::size_t n_channels = 0;
  std::size_t packages_per_message = 0;
  double dt_s = 0;
  double dx_m = 0;            ///< metres per channel number (ChannelCoords::dx_m); dx = dx_m · roi_dec
  std::int64_t roi_start = 0; ///< channel number of column 0
  std::int64_t roi_dec = 1;   ///< channel-number step between columns; must be >= 1 (ASN has no reversed axis)
  double data_scale = 1.0;    ///< written as dataScale
  std::string unit;           ///< written as "unit" when not empty
  std::string experiment;     ///< written as "experiment" when not empty
};
/// The header JSON with PROTOCOLS.md §1's field names: bytesPerPackage = 4·n, nPackagesPerMessage,
/// nChannels, dataType "float", dt + dtUnit "s", dx + dxUnit "m", roiTable [{roiStart, roiEnd,
/// roiDec}], dataScale, and unit/experiment when set.
std::string encode_header(const HeaderFields& f);
/// A float32 data message: int64 t0 then the rows (n_packages × n_channels, time-major); `out` is
/// resized and overwritten.
void encode_data(std::int64_t t0_ns, const float* rows, std::size_t n_packages, std::size_t n_channels,
                 std::string& out);

} // namespace dasflow::io::asn
