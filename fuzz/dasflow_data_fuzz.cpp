// libFuzzer target: the JSON header frame of a dasflow `data` message (PROTOCOLS.md §2), as a
// daemon downstream of another dasflowd receives it. An accepted header must describe a stream the
// source can use: payload size check, channel axis, and the time of its first sample.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dasflow/io/dasflow_protocol.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dasflow::io;
  asn::Limits limits;
  limits.max_channels = 100'000;
  limits.max_message_bytes = std::size_t{1} << 26;
  auto h = wire::parse_data_header(std::string_view(reinterpret_cast<const char*>(data), size), limits);
  if (!h.ok()) return 0;
  FUZZ_CHECK(h->n_channels >= 1 && h->n_channels <= limits.max_channels);
  const std::size_t payload = h->n_samples * h->n_channels * 4;
  FUZZ_CHECK(payload <= limits.max_message_bytes);
  FUZZ_CHECK(wire::check_payload(*h, payload).ok());
  FUZZ_CHECK(!wire::check_payload(*h, payload + 4).ok());
  const dasflow::StreamInfo s = wire::stream_of(*h);
  FUZZ_CHECK(s.n_channels == h->n_channels && s.fs_hz > 0);
  // The source stamps chunks with these times: they must be computable (UBSan checks overflow).
  (void)s.time_ns(h->first_index);
  (void)s.time_ns(h->first_index + static_cast<std::int64_t>(h->n_samples));
  // What we accept, we can publish again (a chained daemon re-encodes the stream).
  auto again = wire::parse_data_header(wire::encode_data_header(*h), limits);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->first_index == h->first_index && again->n_samples == h->n_samples &&
             again->channel_first == h->channel_first && again->channel_step == h->channel_step);
  // A spectral axis must tile the columns exactly (bins × locations) and survive re-encoding.
  FUZZ_CHECK((h->spectral == nullptr) == (again->spectral == nullptr));
  if (h->spectral) {
    FUZZ_CHECK(h->spectral->n_bins() >= 1 && h->spectral->n_bins() * h->spectral->n_locations == h->n_channels);
    FUZZ_CHECK(again->spectral->low_hz == h->spectral->low_hz && again->spectral->high_hz == h->spectral->high_hz);
    FUZZ_CHECK(s.spectral == h->spectral);
  }
  return 0;
}
