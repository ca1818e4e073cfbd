// The dasflow ZeroMQ stream codec (PROTOCOLS.md §2): round trips at the extremes of every field,
// rejects for every malformed header, events and status messages, and mutated input.

// gcc 12 at -O3 reports false overlaps (-Wrestrict) in std::string copies inlined into the
// mutation test below (GCC bug 105329); the code only builds strings from pieces.
#pragma GCC diagnostic ignored "-Wrestrict"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dasflow/io/dasflow_protocol.hpp"
#include "dasflow/io/events_output.hpp"

namespace {

using dasflow::Errc;
using dasflow::Event;
using dasflow::EventKind;
using dasflow::StreamInfo;
using nlohmann::json;
namespace wire = dasflow::io::wire;

wire::DataHeader sample_header() {
  wire::DataHeader h;
  h.stream = "fibre-A";
  h.seq = 41;
  h.first_index = 1'700'000'000'000;
  h.fs = 1000.0;
  h.origin_ns = 250'000;
  h.t0_ns = 1'700'000'000'000'250'000;
  h.n_samples = 250;
  h.n_channels = 64;
  h.channel_first = 100;
  h.channel_step = 2;
  h.dx_m = 1.0213;
  h.units = "strain/s";
  h.gap_before = false;
  return h;
}

void expect_same(const wire::DataHeader& a, const wire::DataHeader& b) {
  EXPECT_EQ(a.stream, b.stream);
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.first_index, b.first_index);
  EXPECT_EQ(a.fs, b.fs);
  EXPECT_EQ(a.origin_ns, b.origin_ns);
  EXPECT_EQ(a.t0_ns, b.t0_ns);
  EXPECT_EQ(a.n_samples, b.n_samples);
  EXPECT_EQ(a.n_channels, b.n_channels);
  EXPECT_EQ(a.channel_first, b.channel_first);
  EXPECT_EQ(a.channel_step, b.channel_step);
  EXPECT_EQ(a.dx_m, b.dx_m);
  EXPECT_EQ(a.units, b.units);
  EXPECT_EQ(a.gap_before, b.gap_before);
}

TEST(WireData, HeaderHasTheFieldsOfProtocols) {
  const json j = json::parse(wire::encode_data_header(sample_header()));
  EXPECT_EQ(j.at("protocol"), "dasflow");
  EXPECT_EQ(j.at("version"), 1);
  EXPECT_EQ(j.at("stream"), "fibre-A");
  EXPECT_EQ(j.at("seq"), 41u);
  EXPECT_EQ(j.at("first_index"), 1'700'000'000'000);
  EXPECT_EQ(j.at("fs"), 1000.0);
  EXPECT_EQ(j.at("origin_ns"), 250'000);
  EXPECT_EQ(j.at("t0_ns"), 1'700'000'000'000'250'000);
  EXPECT_EQ(j.at("n_samples"), 250);
  EXPECT_EQ(j.at("n_channels"), 64);
  EXPECT_EQ(j.at("dtype"), "float32");
  EXPECT_EQ(j.at("layout"), "time-major");
  EXPECT_EQ(j.at("channels"), json::parse(R"({"first":100,"step":2})"));
  EXPECT_EQ(j.at("dx_m"), 1.0213);
  EXPECT_EQ(j.at("units"), "strain/s");
  EXPECT_EQ(j.at("gap_before"), false);
  EXPECT_EQ(j.size(), 16u) << j.dump();
}

TEST(WireData, RoundTrip) {
  const wire::DataHeader h = sample_header();
  auto p = wire::parse_data_header(wire::encode_data_header(h));
  ASSERT_TRUE(p.ok()) << p.error().message;
  expect_same(*p, h);
}

TEST(WireData, RoundTripAtTheExtremes) {
  using i64 = std::numeric_limits<std::int64_t>;
  using u64 = std::numeric_limits<std::uint64_t>;
  std::vector<wire::DataHeader> cases;
  for (const std::uint64_t seq : {std::uint64_t{0}, u64::max(), u64::max() - 1, std::uint64_t{1} << 63}) {
    wire::DataHeader h = sample_header();
    h.seq = seq;
    cases.push_back(h);
  }
  for (const std::int64_t v : {i64::min(), i64::max(), std::int64_t{-1}, std::int64_t{0}}) {
    wire::DataHeader h = sample_header();
    h.first_index = v;
    h.origin_ns = -v / 2;
    h.t0_ns = v;
    h.channel_first = v;
    h.channel_step = v == 0 ? -1 : v;
    cases.push_back(h);
  }
  wire::DataHeader odd = sample_header();
  odd.fs = 1.0 / 3.0; // not a short decimal: must survive exactly
  odd.dx_m = -0.1;
  odd.units = "µε/s \"quoted\" \\ tab\t";
  odd.stream = "";
  odd.gap_before = true;
  odd.n_samples = 0;
  cases.push_back(odd);
  for (const wire::DataHeader& h : cases) {
    const std::string text = wire::encode_data_header(h);
    auto p = wire::parse_data_header(text);
    ASSERT_TRUE(p.ok()) << text << ": " << p.error().message;
    expect_same(*p, h);
  }
}

struct BadData {
  const char* name;
  std::function<void(json&)> change;
  const char* fragment;
};

TEST(WireData, Rejects) {
  const json good = json::parse(wire::encode_data_header(sample_header()));
  std::vector<BadData> cases = {
      {"protocol", [](json& j) { j["protocol"] = "asn"; }, "protocol must be \"dasflow\", got \"asn\""},
      {"protocol type", [](json& j) { j["protocol"] = 1; }, "protocol must be \"dasflow\""},
      {"version 2", [](json& j) { j["version"] = 2; }, "version 2 is not supported"},
      {"version string", [](json& j) { j["version"] = "1"; }, "version \"1\" is not supported"},
      {"version float", [](json& j) { j["version"] = 1.0; }, "version 1.0 is not supported"},
      {"dtype", [](json& j) { j["dtype"] = "float64"; }, "dtype must be \"float32\", got \"float64\""},
      {"layout", [](json& j) { j["layout"] = "channel-major"; }, "layout must be \"time-major\""},
      {"seq negative", [](json& j) { j["seq"] = -1; }, "seq must be a non-negative integer"},
      {"seq fraction", [](json& j) { j["seq"] = 1.5; }, "seq must be a non-negative integer"},
      {"n_samples negative", [](json& j) { j["n_samples"] = -250; }, "n_samples must be a non-negative integer"},
      {"n_channels negative", [](json& j) { j["n_channels"] = -1; }, "n_channels must be a non-negative integer"},
      {"n_channels zero", [](json& j) { j["n_channels"] = 0; }, "n_channels must be in [1, 1000000], got 0"},
      {"n_channels over limit", [](json& j) { j["n_channels"] = 1'000'001; }, "n_channels must be in [1, 1000000]"},
      {"payload over limit", [](json& j) { j["n_samples"] = std::uint64_t{1} << 62; }, "exceeds the limit of"},
      {"fs zero", [](json& j) { j["fs"] = 0.0; }, "fs must be > 0"},
      {"fs negative", [](json& j) { j["fs"] = -1000.0; }, "fs must be > 0"},
      {"fs string", [](json& j) { j["fs"] = "1000"; }, "fs must be a number"},
      {"fs bool", [](json& j) { j["fs"] = true; }, "fs must be a number"},
      {"first_index fraction", [](json& j) { j["first_index"] = 1.5; }, "first_index must be an integer within int64"},
      {"first_index too big", [](json& j) { j["first_index"] = std::uint64_t{1} << 63; },
       "first_index must be an integer within int64"},
      {"t0 string", [](json& j) { j["t0_ns"] = "0"; }, "t0_ns must be an integer"},
      {"channels not object",
       [](json& j) {
         j["channels"] = json::array({0, 1});
       },
       "channels must be an object"},
      {"channels.step zero", [](json& j) { j["channels"]["step"] = 0; }, "channels.step must not be 0"},
      {"channels.first fraction", [](json& j) { j["channels"]["first"] = 0.5; }, "channels.first must be an integer"},
      {"channels.step missing", [](json& j) { j["channels"].erase("step"); }, "missing channels.step"},
      {"dx_m string", [](json& j) { j["dx_m"] = "1"; }, "dx_m must be a number"},
      {"units number", [](json& j) { j["units"] = 1; }, "units must be a string"},
      {"stream number", [](json& j) { j["stream"] = 7; }, "stream must be a string"},
      {"gap_before string", [](json& j) { j["gap_before"] = "no"; }, "gap_before must be true or false"},
  };
  // Every field of PROTOCOLS.md §2 is required.
  for (const char* key : {"protocol", "version", "stream", "seq", "first_index", "fs", "origin_ns", "t0_ns",
                          "n_samples", "n_channels", "dtype", "layout", "channels", "dx_m", "units", "gap_before"})
    cases.push_back({key, [key](json& j) { j.erase(key); }, "missing "});
  ASSERT_TRUE(wire::parse_data_header(good.dump()).ok());
  for (const BadData& c : cases) {
    json j = good;
    c.change(j);
    const std::string text = j.dump();
    auto p = wire::parse_data_header(text);
    ASSERT_FALSE(p.ok()) << c.name << " was accepted: " << text;
    EXPECT_EQ(p.error().code, Errc::protocol);
    EXPECT_NE(p.error().message.find(c.fragment), std::string::npos)
        << c.name << ": expected '" << c.fragment << "' in '" << p.error().message << "'";
    if (std::string(c.fragment) == "missing ") {
      EXPECT_NE(p.error().message.find(std::string("missing ") + c.name), std::string::npos) << p.error().message;
    }
  }
}

TEST(WireData, UnknownFieldsIgnored) {
  json j = json::parse(wire::encode_data_header(sample_header()));
  j["future_field"] = json::object({{"x", 1}});
  auto p = wire::parse_data_header(j.dump());
  ASSERT_TRUE(p.ok()) << p.error().message;
  expect_same(*p, sample_header());
}

TEST(WireData, NotJson) {
  for (const std::string text : {"", "{", "[]", "42", "{\"protocol\": NaN}", "\xff"}) {
    auto p = wire::parse_data_header(text);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_EQ(p.error().code, Errc::protocol);
  }
}

TEST(WireData, DeepNestingIsAnError) {
  json j = json::parse(wire::encode_data_header(sample_header()));
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  std::string text = j.dump();
  text.insert(1, "\"x\":" + deep + ",");
  auto p = wire::parse_data_header(text);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("nested deeper than 32 levels"), std::string::npos) << p.error().message;
  EXPECT_FALSE(wire::parse_events_header(text).ok());
  EXPECT_NO_THROW((void)wire::encode_status("s", 0, deep));
}

TEST(WireData, Limits) {
  dasflow::io::asn::Limits limits;
  limits.max_channels = 63;
  auto p = wire::parse_data_header(wire::encode_data_header(sample_header()), limits);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("n_channels must be in [1, 63], got 64"), std::string::npos) << p.error().message;
  limits = {};
  limits.max_message_bytes = 250 * 64 * 4 - 1;
  EXPECT_FALSE(wire::parse_data_header(wire::encode_data_header(sample_header()), limits).ok());
  limits.max_message_bytes = 250 * 64 * 4;
  EXPECT_TRUE(wire::parse_data_header(wire::encode_data_header(sample_header()), limits).ok());
  limits = {};
  limits.max_header_bytes = 20;
  p = wire::parse_data_header(wire::encode_data_header(sample_header()), limits);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("exceeds the limit of 20"), std::string::npos) << p.error().message;
}

TEST(WireData, CheckPayload) {
  const wire::DataHeader h = sample_header(); // 250 x 64 float32
  EXPECT_TRUE(wire::check_payload(h, 250 * 64 * 4).ok());
  for (const std::size_t n :
       {std::size_t{0}, std::size_t{250 * 64 * 4 - 1}, std::size_t{250 * 64 * 4 + 4}, std::size_t{250 * 64 * 2}}) {
    auto r = wire::check_payload(h, n);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, Errc::protocol);
    EXPECT_NE(r.error().message.find("the header says 250 x 64 float32"), std::string::npos) << r.error().message;
  }
  wire::DataHeader wraps = h; // a hand-built header whose byte count would wrap around 2^64
  wraps.n_samples = (std::size_t{1} << 62) + 1;
  wraps.n_channels = 4;
  EXPECT_FALSE(wire::check_payload(wraps, 16).ok());
  wire::DataHeader none = h;
  none.n_samples = 0;
  EXPECT_TRUE(wire::check_payload(none, 0).ok());
  EXPECT_FALSE(wire::check_payload(none, 4).ok());
}

TEST(WireData, StreamOfAndHeaderOf) {
  StreamInfo s;
  s.fs_hz = 500.0;
  s.origin_ns = 1'000'000; // inside [0, 1e9/fs)
  s.n_channels = 12;
  s.coords = std::make_shared<const dasflow::ChannelCoords>(dasflow::ChannelCoords{-6, 3, 2.5});
  wire::DataHeader h = wire::header_of(s, 850'000'000'123, 100);
  EXPECT_EQ(h.t0_ns, s.time_ns(850'000'000'123));
  EXPECT_EQ(h.n_samples, 100u);
  h.stream = "x";
  auto p = wire::parse_data_header(wire::encode_data_header(h));
  ASSERT_TRUE(p.ok()) << p.error().message;
  const StreamInfo back = wire::stream_of(*p);
  EXPECT_EQ(back.fs_hz, s.fs_hz);
  EXPECT_EQ(back.origin_ns, s.origin_ns);
  EXPECT_EQ(back.n_channels, s.n_channels);
  EXPECT_EQ(*back.coords, *s.coords);
  EXPECT_EQ(back.time_ns(p->first_index), p->t0_ns);
  EXPECT_DOUBLE_EQ(back.coords->distance_m(11), (-6 + 11 * 3) * 2.5);
}

std::vector<Event> sample_events() {
  Event trigger;
  trigger.kind = EventKind::trigger;
  trigger.channel = 104;
  trigger.on_index = 1'700'000'000'100;
  trigger.off_index = 1'700'000'000'180;
  trigger.peak = 7.25;
  trigger.peak_index = 1'700'000'000'120;
  Event coincidence;
  coincidence.kind = EventKind::coincidence;
  coincidence.channel = 100;
  coincidence.channels = {100, 102, 104, 110};
  coincidence.on_index = 1'700'000'000'090;
  coincidence.off_index = 1'700'000'000'200;
  coincidence.peak = 11.5;
  coincidence.peak_index = 1'700'000'000'125;
  return {trigger, coincidence};
}

StreamInfo sample_stream() {
  StreamInfo s;
  s.fs_hz = 1000.0;
  s.origin_ns = 0;
  s.n_channels = 64;
  s.coords = std::make_shared<const dasflow::ChannelCoords>(dasflow::ChannelCoords{100, 2, 1.0213});
  return s;
}

TEST(WireEvents, RoundTripOfCoincidenceEvents) {
  const auto events = sample_events();
  const StreamInfo s = sample_stream();
  const std::uint64_t seq = std::numeric_limits<std::uint64_t>::max();
  const std::string text = wire::encode_events_header("fibre-A", seq, events, s);
  const json j = json::parse(text);
  EXPECT_EQ(j.at("protocol"), "dasflow");
  EXPECT_EQ(j.at("version"), 1);
  auto p = wire::parse_events_header(text);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->stream, "fibre-A");
  EXPECT_EQ(p->seq, seq);
  ASSERT_EQ(p->n_events, 2u);
  const json list = json::parse(p->events_json);
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.size(), 2u);
  // Each entry is exactly the events-file object (PROTOCOLS.md §4).
  for (std::size_t i = 0; i < events.size(); ++i)
    EXPECT_EQ(list[i], json::parse(dasflow::io::event_json(events[i], s, "fibre-A"))) << i;
  EXPECT_EQ(list[1].at("kind"), "coincidence");
  EXPECT_EQ(list[1].at("channels"), json::parse("[100, 102, 104, 110]"));
  EXPECT_EQ(list[0].at("kind"), "trigger");
  EXPECT_EQ(list[0].at("on_time"), "2023-11-14T22:13:20.100000000Z");
}

TEST(WireEvents, EmptyListAndRejects) {
  auto p = wire::parse_events_header(wire::encode_events_header("s", 0, {}, sample_stream()));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->n_events, 0u);
  EXPECT_EQ(p->events_json, "[]");

  const std::vector<std::pair<std::string, const char*>> bad = {
      {R"({"protocol":"dasflow","version":1,"stream":"s","seq":0})", "missing events"},
      {R"({"protocol":"dasflow","version":1,"stream":"s","seq":0,"events":{}})", "events must be a list"},
      {R"({"protocol":"dasflow","version":1,"stream":"s","seq":0,"events":[{}, 3]})", "events[1] must be an object"},
      {R"({"protocol":"other","version":1,"stream":"s","seq":0,"events":[]})", "protocol must be \"dasflow\""},
      {R"({"protocol":"dasflow","version":2,"stream":"s","seq":0,"events":[]})", "version 2 is not supported"},
      {R"({"protocol":"dasflow","version":1,"seq":0,"events":[]})", "missing stream"},
      {R"({"protocol":"dasflow","version":1,"stream":"s","seq":-5,"events":[]})", "seq must be a non-negative"},
      {"events", "header is not JSON"},
  };
  for (const auto& [text, fragment] : bad) {
    auto r = wire::parse_events_header(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, Errc::protocol);
    EXPECT_NE(r.error().message.find(fragment), std::string::npos) << text << ": " << r.error().message;
  }
}

TEST(WireStatus, StateMergedIntoTheEnvelope) {
  const std::string text =
      wire::encode_status("fibre-A", 9, R"({"position": 1234, "lag_s": 0.5, "seq": 77, "protocol": "x"})");
  const json j = json::parse(text);
  EXPECT_EQ(j.at("protocol"), "dasflow") << "the envelope wins a clash";
  EXPECT_EQ(j.at("version"), 1);
  EXPECT_EQ(j.at("stream"), "fibre-A");
  EXPECT_EQ(j.at("seq"), 9);
  EXPECT_EQ(j.at("position"), 1234);
  EXPECT_EQ(j.at("lag_s"), 0.5);
  EXPECT_EQ(text.find("\"protocol\""), 1u) << "the envelope comes first: " << text;

  EXPECT_EQ(json::parse(wire::encode_status("s", 0, "[1,2]")).at("state"), json::parse("[1,2]"));
  EXPECT_EQ(json::parse(wire::encode_status("s", 0, "not json")).at("state"), "not json");
  EXPECT_NO_THROW((void)wire::encode_status("\xff", 0, "\"\xfe\""));
}

TEST(WireFuzz, MutatedHeadersNeverCrash) {
  std::mt19937_64 rng(31337);
  wire::DataHeader odd = sample_header();
  odd.seq = std::numeric_limits<std::uint64_t>::max();
  odd.first_index = std::numeric_limits<std::int64_t>::min();
  const std::vector<std::string> seeds = {wire::encode_data_header(sample_header()), wire::encode_data_header(odd),
                                          wire::encode_events_header("s", 3, sample_events(), sample_stream())};
  std::size_t accepted = 0;
  for (int i = 0; i < 20'000; ++i) {
    std::string text = seeds[static_cast<std::size_t>(i) % seeds.size()];
    for (int e = 1 + static_cast<int>(rng() % 3); e > 0; --e) {
      const std::size_t pos = rng() % text.size();
      // Rebuilt from pieces rather than edited in place: gcc 12 at -O3 sees a false overlap
      // (-Wrestrict) in an in-place std::string::insert/erase.
      const std::string head = text.substr(0, pos), tail = text.substr(pos);
      switch (rng() % 4) {
      case 0: text = head + static_cast<char>(rng()) + tail.substr(1); break;
      case 1: text = head + tail.substr(std::min(tail.size(), std::size_t{1} + rng() % 6)); break;
      case 2: text = head + "0123456789-.e,:{}[]\""[rng() % 20] + tail; break;
      default: text = head; break;
      }
      if (text.empty()) text = "{";
    }
    dasflow::Result<wire::DataHeader> d = wire::DataHeader{};
    ASSERT_NO_THROW(d = wire::parse_data_header(text)) << text;
    if (d.ok()) {
      ++accepted;
      ASSERT_GE(d->n_channels, 1u);
      ASSERT_TRUE(d->fs > 0 && std::isfinite(d->fs));
      ASSERT_NE(d->channel_step, 0);
      ASSERT_TRUE(wire::check_payload(*d, d->n_samples * d->n_channels * 4).ok());
    }
    dasflow::Result<wire::EventsHeader> ev = wire::EventsHeader{};
    ASSERT_NO_THROW(ev = wire::parse_events_header(text)) << text;
  }
  EXPECT_GT(accepted, 100u);
}

} // namespace

namespace dasflow {
namespace {

TEST(WireData, SpectralAxisTravelsInTheHeader) {
  StreamInfo s;
  s.fs_hz = 3.90625;
  s.n_channels = 3 * 4;
  auto axis = std::make_shared<SpectralAxis>();
  axis->kind = SpectralAxis::Kind::bands;
  axis->low_hz = {1, 10, 50};
  axis->high_hz = {10, 50, 250};
  axis->n_locations = 4;
  axis->window_samples = 256;
  axis->overlap_samples = 128;
  axis->input_fs_hz = 500;
  axis->window_name = "hann";
  axis->unit = "unit^2";
  s.spectral = axis;
  wire::DataHeader h = wire::header_of(s, 7, 2);
  h.stream = "fbe";
  const std::string text = wire::encode_data_header(h);
  auto p = wire::parse_data_header(text);
  ASSERT_TRUE(p.ok()) << p.error().message;
  const StreamInfo back = wire::stream_of(*p);
  ASSERT_NE(back.spectral, nullptr);
  EXPECT_EQ(back.spectral->kind, SpectralAxis::Kind::bands);
  EXPECT_EQ(back.spectral->low_hz, axis->low_hz);
  EXPECT_EQ(back.spectral->high_hz, axis->high_hz);
  EXPECT_EQ(back.spectral->n_locations, 4u);
  EXPECT_EQ(back.spectral->window_samples, 256u);
  EXPECT_EQ(back.spectral->overlap_samples, 128u);
  EXPECT_EQ(back.spectral->window_name, "hann");
  // Time series carry no `spectral`; a malformed one is refused with its name.
  const auto at = text.find("\"spectral\"");
  ASSERT_NE(at, std::string::npos);
  for (const std::string bad : {R"("spectral":{"kind":"bins"}})", R"("spectral":[1]})"}) {
    std::string t(text.data(), at);
    t.append(bad);
    auto r = wire::parse_data_header(t);
    ASSERT_FALSE(r.ok()) << t;
    EXPECT_NE(r.error().message.find("spectral"), std::string::npos) << r.error().message;
  }
  StreamInfo plain = s;
  plain.spectral = nullptr;
  wire::DataHeader hp = wire::header_of(plain, 7, 2);
  EXPECT_EQ(wire::encode_data_header(hp).find("spectral"), std::string::npos);
}

} // namespace
} // namespace dasflow
