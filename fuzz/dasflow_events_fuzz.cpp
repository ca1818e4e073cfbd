// libFuzzer target: the JSON header frame of a dasflow `events` message (PROTOCOLS.md §2, §4), as
// `dasflow sub` and chained daemons receive it.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "dasflow/io/dasflow_protocol.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dasflow::io;
  auto h = wire::parse_events_header(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!h.ok()) return 0;
  // The events are forwarded as JSON text: it must be a list of n_events objects.
  const auto events = nlohmann::json::parse(h->events_json, nullptr, false);
  FUZZ_CHECK(events.is_array() && events.size() == h->n_events);
  for (const auto& e : events)
    FUZZ_CHECK(e.is_object());
  return 0;
}
