// libFuzzer target: an ASN data message (PROTOCOLS.md §1: int64 timestamp, then packages of
// nChannels samples) decoded against a header. The first 4 input bytes choose the header (data
// type, channel count, scale), the rest is the message: decode_data() must refuse every size but
// the header's and decode every value of that size without reading or writing out of bounds.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "dasflow/io/asn_protocol.hpp"
#include "fuzz_check.hpp"

namespace {
constexpr const char* kTypes[] = {"short", "int", "long", "float", "double"};
constexpr std::size_t kSizes[] = {2, 4, 8, 4, 8};
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dasflow::io::asn;
  if (size < 4) return 0;
  const std::size_t type = data[0] % 5;
  const std::size_t n_channels = 1 + data[1] % 64;
  const bool scaled = (data[2] & 1) != 0;
  const bool exact_size = (data[2] & 2) != 0; // most inputs: a message of the header's size
  const std::size_t bytes_per_package = n_channels * kSizes[type];
  const std::size_t body = size - 4;
  std::size_t packages = 1 + data[3] % 16;
  if (exact_size && body >= 8 + bytes_per_package) packages = (body - 8) / bytes_per_package;
  const std::string header =
      std::string("{\"bytesPerPackage\":") + std::to_string(bytes_per_package) +
      ",\"nPackagesPerMessage\":" + std::to_string(packages) + ",\"nChannels\":" + std::to_string(n_channels) +
      ",\"dataType\":\"" + kTypes[type] +
      "\",\"dt\":0.001,\"dx\":2.0,\"roiTable\":[{\"roiStart\":0,\"roiEnd\":" + std::to_string(n_channels - 1) +
      ",\"roiDec\":1}]" + (scaled ? ",\"dataScale\":1.5e-3" : "") + "}";
  auto h = parse_header(header);
  FUZZ_CHECK(h.ok());
  std::vector<float> out(h->packages_per_message * h->n_channels);
  const auto* msg = reinterpret_cast<const std::byte*>(data + 4);
  std::size_t msg_size = body;
  if (exact_size && msg_size > h->data_message_bytes()) msg_size = h->data_message_bytes();
  auto t0 = decode_data(*h, {msg, msg_size}, out.data());
  FUZZ_CHECK(t0.ok() == (msg_size == h->data_message_bytes()));
  if (t0.ok() && !scaled && type == 3) // float32 unscaled is copied bit for bit
    for (std::size_t i = 0; i < out.size(); ++i)
      FUZZ_CHECK(std::memcmp(&out[i], msg + 8 + 4 * i, 4) == 0);
  return 0;
}
