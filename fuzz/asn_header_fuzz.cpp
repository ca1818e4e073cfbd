// libFuzzer target: an ASN header message (PROTOCOLS.md §1) as it arrives from the interrogator's
// PUB socket. parse_header() must return a value or an Error for any bytes — never crash, leak,
// hang or allocate beyond its limits — and a header it accepts must be internally consistent.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dasflow/io/asn_protocol.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dasflow::io::asn;
  Limits limits;
  limits.max_channels = 100'000; // the daemon's default `max_channels`
  limits.max_message_bytes = std::size_t{1} << 26;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto h = parse_header(text, limits);
  if (!h.ok()) return 0;
  // What the zmq source relies on once a header is accepted.
  FUZZ_CHECK(h->n_channels >= 1 && h->n_channels <= limits.max_channels);
  FUZZ_CHECK(h->bytes_per_package == h->n_channels * size_of(h->data_type));
  FUZZ_CHECK(h->data_message_bytes() <= limits.max_message_bytes);
  FUZZ_CHECK(h->dt_s > 0);
  FUZZ_CHECK(h->channel_numbers().size() == h->n_channels);
  FUZZ_CHECK(h->same_layout(*h));
  return 0;
}
