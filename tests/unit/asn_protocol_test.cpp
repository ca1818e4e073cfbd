// The ASN OptoDAS ZeroMQ codec (PROTOCOLS.md §1): headers as the interrogator and xdas write them,
// every data type, ROIs, units, every validation error, and garbage that must neither crash nor throw.

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <functional>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dasflow/io/asn_protocol.hpp"

namespace {

using dasflow::Errc;
using nlohmann::json;
namespace asn = dasflow::io::asn;

/// A header with the field set of a real OptoDAS interrogator (the one xdas's tests/io/test_asn.py
/// quotes), pretty-printed like it, with values of our own: 1601 channels, every 10th of 0..16000.
const char* kInterrogatorHeader = R"json({
    "bytesPerPackage": 6404,
    "dataScale": 2.5,
    "dataType": "float",
    "dt": 2,
    "dtUnit": "ms",
    "dx": 10.2,
    "dxUnit": "m",
    "experiment": "test-experiment",
    "gaugeLength": 20.4,
    "gaugeLengthUnit": "m",
    "instrument": "interrogator.example",
    "measurement": "unit-test",
    "measurementStartTime": "2025-07-08T12:08:31.709Z",
    "muxPositions": [{"rx": 0, "tx": 0}],
    "nChannels": 1601,
    "nPackagesPerMessage": 25,
    "roiTable": [{"roiDec": 10, "roiEnd": 16000, "roiStart": 0}],
    "sensitivities": [{"factor": 8000000.0, "unit": "rad/(strain*m)"
}],
    "sensorType": "D",
    "sweepLength": 0.0001,
    "sweepLengthUnit": "s",
    "switchChannel": 0,
    "triggeredMeasurement": false,
    "trustedTimeSource": true,
    "unit": "rad/(s*m)",
    "version": 2
}
)json";

/// What xdas's ZMQPublisher sends (json.dumps of its _get_header dict, Python's ", " separators).
const char* kXdasHeader =
    R"({"bytesPerPackage": 64, "nPackagesPerMessage": 100, "nChannels": 16, "dataType": "float", )"
    R"("dx": 2.0, "dt": 0.001, "dtUnit": "s", "dxUnit": "m", )"
    R"("roiTable": [{"roiStart": 0, "roiEnd": 15, "roiDec": 1}]})";

/// A small valid header: float32, 4 channels, 2 packages.
json base() {
  return json{{"bytesPerPackage", 16},
              {"nPackagesPerMessage", 2},
              {"nChannels", 4},
              {"dataType", "float"},
              {"dt", 0.002},
              {"dtUnit", "s"},
              {"dx", 1.0},
              {"dxUnit", "m"},
              {"roiTable", json::array({json{{"roiStart", 0}, {"roiEnd", 3}, {"roiDec", 1}}})}};
}

/// A data message of raw values of T, starting `offset` bytes into the returned buffer, so that the
/// span the decoder sees is deliberately misaligned for T.
template <typename T>
std::vector<std::byte> data_message(std::int64_t t0, const std::vector<T>& values, std::size_t offset) {
  std::vector<std::byte> buf(offset + 8 + values.size() * sizeof(T));
  std::memcpy(buf.data() + offset, &t0, 8);
  if (!values.empty()) std::memcpy(buf.data() + offset + 8, values.data(), values.size() * sizeof(T));
  return buf;
}

std::span<const std::byte> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

std::uint32_t bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

TEST(AsnHeader, InterrogatorHeaderParses) {
  auto h = asn::parse_header(kInterrogatorHeader);
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->n_channels, 1601u);
  EXPECT_EQ(h->packages_per_message, 25u);
  EXPECT_EQ(h->bytes_per_package, 6404u);
  EXPECT_EQ(h->data_type, asn::DataType::float32);
  EXPECT_DOUBLE_EQ(h->dt_s, 0.002);
  EXPECT_DOUBLE_EQ(h->scale, 2.5 / 8e6);
  EXPECT_EQ(h->unit, "rad/(s*m)") << "the top-level unit wins over the sensitivity's";
  EXPECT_EQ(h->text, kInterrogatorHeader) << "the text is kept exactly";
  EXPECT_EQ(h->data_message_bytes(), 8u + 6404u * 25u);
  ASSERT_EQ(h->rois.size(), 1u);
  EXPECT_EQ(h->rois[0], (asn::Roi{0, 16000, 10}));
  const auto numbers = h->channel_numbers();
  ASSERT_EQ(numbers.size(), 1601u);
  EXPECT_EQ(numbers.front(), 0);
  EXPECT_EQ(numbers[1], 10);
  EXPECT_EQ(numbers.back(), 16000);
  // dx is the spacing of delivered channels: per channel number it is dx / roiDec, and the last
  // channel lands where xdas puts it, (roiEnd // roiDec) · dx.
  EXPECT_DOUBLE_EQ(h->dx_m, 1.02);
  EXPECT_DOUBLE_EQ(static_cast<double>(numbers.back()) * h->dx_m, (16000 / 10) * 10.2);
}

TEST(AsnHeader, XdasPublisherHeaderParses) {
  auto h = asn::parse_header(kXdasHeader);
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->n_channels, 16u);
  EXPECT_EQ(h->packages_per_message, 100u);
  EXPECT_DOUBLE_EQ(h->dt_s, 0.001);
  EXPECT_DOUBLE_EQ(h->dx_m, 2.0);
  EXPECT_EQ(h->scale, 1.0);
  EXPECT_EQ(h->unit, "");
  EXPECT_EQ(h->data_message_bytes(), 8u + 6400u);
}

TEST(AsnHeader, SensitivityUnitWhenNoTopLevelUnit) {
  json j = base();
  j["sensitivities"] = json::array({json{{"factor", 4.0}, {"unit", "rad/strain"}}, json{{"factor", 99.0}}});
  auto h = asn::parse_header(j.dump());
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->unit, "rad/strain");
  EXPECT_DOUBLE_EQ(h->scale, 0.25) << "only sensitivities[0] counts";
}

TEST(AsnHeader, DtUnits) {
  const std::vector<std::pair<const char*, double>> cases = {
      {"s", 0.5}, {"ms", 0.5e-3}, {"us", 0.5e-6}, {"ns", 0.5e-9}, {nullptr, 0.5}};
  for (const auto& [unit, seconds] : cases) {
    json j = base();
    j["dt"] = 0.5;
    if (unit)
      j["dtUnit"] = unit;
    else
      j.erase("dtUnit");
    auto h = asn::parse_header(j.dump());
    ASSERT_TRUE(h.ok()) << (unit ? unit : "(none)") << ": " << h.error().message;
    EXPECT_DOUBLE_EQ(h->dt_s, seconds) << (unit ? unit : "(none)");
  }
}

TEST(AsnHeader, SeveralRois) {
  json j = base();
  j["roiTable"] = json::array({json{{"roiStart", 0}, {"roiEnd", 4}, {"roiDec", 2}},
                               json{{"roiStart", 10}, {"roiEnd", 10}, {"roiDec", 1}},
                               json{{"roiStart", 20}, {"roiEnd", 30}, {"roiDec", 3}}}); // 20, 23, 26, 29
  j["nChannels"] = 8;
  j["bytesPerPackage"] = 32;
  j["dx"] = 4.0;
  auto h = asn::parse_header(j.dump());
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->channel_numbers(), (std::vector<std::int64_t>{0, 2, 4, 10, 20, 23, 26, 29}));
  EXPECT_DOUBLE_EQ(h->dx_m, 2.0) << "dx per channel number from roiTable[0]'s roiDec";
  EXPECT_EQ(h->rois.size(), 3u);
}

TEST(AsnHeader, IntegerValuedDoublesAccepted) {
  json j = base();
  j["nChannels"] = 4.0;
  j["bytesPerPackage"] = 16.0;
  j["roiTable"][0]["roiEnd"] = 3.0;
  auto h = asn::parse_header(j.dump());
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->n_channels, 4u);
}

TEST(AsnHeader, NegativeChannelNumbers) {
  json j = base();
  j["roiTable"][0] = json{{"roiStart", -2}, {"roiEnd", 1}, {"roiDec", 1}};
  auto h = asn::parse_header(j.dump());
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->channel_numbers(), (std::vector<std::int64_t>{-2, -1, 0, 1}));
}

TEST(AsnHeader, SameLayout) {
  auto a = asn::parse_header(base().dump());
  auto b = asn::parse_header(base().dump(4)); // same header, other whitespace
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->text, b->text);
  EXPECT_TRUE(a->same_layout(*b));
  json j = base();
  j["dt"] = 0.001;
  auto c = asn::parse_header(j.dump());
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(a->same_layout(*c));
  j = base();
  j["roiTable"][0] = json{{"roiStart", 1}, {"roiEnd", 4}, {"roiDec", 1}};
  auto d = asn::parse_header(j.dump());
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(a->same_layout(*d)) << "other channels are another acquisition";
  j = base();
  j["dataScale"] = 2.0;
  auto e = asn::parse_header(j.dump());
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(a->same_layout(*e));
}

struct BadHeader {
  const char* name;
  std::function<void(json&)> change;
  const char* fragment;
};

TEST(AsnHeader, EveryValidationError) {
  const std::vector<BadHeader> cases = {
      {"no nChannels", [](json& j) { j.erase("nChannels"); }, "missing nChannels"},
      {"nChannels string", [](json& j) { j["nChannels"] = "4"; }, "nChannels must be a number"},
      {"nChannels zero", [](json& j) { j["nChannels"] = 0; }, "nChannels must be > 0"},
      {"nChannels negative", [](json& j) { j["nChannels"] = -4; }, "nChannels must be in [0, 1000000]"},
      {"nChannels fraction", [](json& j) { j["nChannels"] = 4.5; }, "nChannels must be a whole number"},
      {"nChannels over limit", [](json& j) { j["nChannels"] = 2'000'000; }, "nChannels must be in [0, 1000000]"},
      {"nChannels bool", [](json& j) { j["nChannels"] = true; }, "nChannels must be a number"},
      {"no packages", [](json& j) { j.erase("nPackagesPerMessage"); }, "missing nPackagesPerMessage"},
      {"zero packages", [](json& j) { j["nPackagesPerMessage"] = 0; }, "nPackagesPerMessage must be > 0"},
      {"no bytesPerPackage", [](json& j) { j.erase("bytesPerPackage"); }, "missing bytesPerPackage"},
      {"bytesPerPackage wrong", [](json& j) { j["bytesPerPackage"] = 17; }, "bytesPerPackage 17 != nChannels 4 x 4"},
      {"bytesPerPackage for double", [](json& j) { j["dataType"] = "double"; },
       "bytesPerPackage 16 != nChannels 4 x 8 bytes of \"double\""},
      {"no dataType", [](json& j) { j.erase("dataType"); }, "missing dataType"},
      {"dataType number", [](json& j) { j["dataType"] = 4; }, "dataType must be a string"},
      {"dataType unknown", [](json& j) { j["dataType"] = "complex"; },
       "dataType must be short, int, long, float or double, got \"complex\""},
      {"no dt", [](json& j) { j.erase("dt"); }, "missing dt"},
      {"dt zero", [](json& j) { j["dt"] = 0; }, "dt must be > 0"},
      {"dt negative", [](json& j) { j["dt"] = -0.002; }, "dt must be > 0"},
      {"dt string", [](json& j) { j["dt"] = "0.002"; }, "dt must be a number"},
      {"dt subnormal", [](json& j) { j["dt"] = 1e-310; }, "dt is too small"},
      {"dtUnit unknown", [](json& j) { j["dtUnit"] = "min"; }, "dtUnit must be s, ms, us or ns, got \"min\""},
      {"dtUnit empty", [](json& j) { j["dtUnit"] = ""; }, "dtUnit must be s, ms, us or ns"},
      {"dtUnit number", [](json& j) { j["dtUnit"] = 1; }, "dtUnit must be a string"},
      {"no dx", [](json& j) { j.erase("dx"); }, "missing dx"},
      {"dx zero", [](json& j) { j["dx"] = 0.0; }, "dx must be > 0"},
      {"dxUnit feet", [](json& j) { j["dxUnit"] = "ft"; }, "dxUnit must be \"m\", got \"ft\""},
      {"no roiTable", [](json& j) { j.erase("roiTable"); }, "missing roiTable"},
      {"roiTable empty", [](json& j) { j["roiTable"] = json::array(); }, "roiTable must be a non-empty list"},
      {"roiTable object", [](json& j) { j["roiTable"] = json::object(); }, "roiTable must be a non-empty list"},
      {"roi not object", [](json& j) { j["roiTable"] = json::array({5}); }, "roiTable[0] must be an object"},
      {"roi no start", [](json& j) { j["roiTable"][0].erase("roiStart"); }, "missing roiTable[0].roiStart"},
      {"roi end before start", [](json& j) { j["roiTable"][0]["roiStart"] = 3, j["roiTable"][0]["roiEnd"] = 0; },
       "roiTable[0].roiEnd 0 < roiStart 3"},
      {"roi dec zero", [](json& j) { j["roiTable"][0]["roiDec"] = 0; }, "roiTable[0].roiDec must be in [1,"},
      {"roi dec negative", [](json& j) { j["roiTable"][0]["roiDec"] = -1; }, "roiTable[0].roiDec must be in [1,"},
      {"roi dec fraction", [](json& j) { j["roiTable"][0]["roiDec"] = 1.5; },
       "roiTable[0].roiDec must be a whole number"},
      {"roi too few", [](json& j) { j["roiTable"][0]["roiEnd"] = 2; }, "roiTable holds 3 channels, nChannels says 4"},
      {"roi too many", [](json& j) { j["roiTable"][0]["roiEnd"] = 1'000'000'000; },
       "roiTable holds more channels than nChannels 4"},
      {"second roi bad",
       [](json& j) {
         j["roiTable"].push_back(json{{"roiStart", 9}, {"roiEnd", 8}, {"roiDec", 1}});
       },
       "roiTable[1].roiEnd 8 < roiStart 9"},
      {"message too large", [](json& j) { j["nPackagesPerMessage"] = 100'000'000; }, "would exceed the limit of"},
      {"dataScale zero", [](json& j) { j["dataScale"] = 0; }, "dataScale must be a finite non-zero number"},
      {"dataScale string", [](json& j) { j["dataScale"] = "1"; }, "dataScale must be a number"},
      {"sensitivities object", [](json& j) { j["sensitivities"] = json::object(); }, "sensitivities must be a list"},
      {"sensitivity not object", [](json& j) { j["sensitivities"] = json::array({3}); },
       "sensitivities[0] must be an object"},
      {"sensitivity zero",
       [](json& j) {
         j["sensitivities"] = json::array({json{{"factor", 0.0}}});
       },
       "sensitivities[0].factor must be a finite non-zero number"},
      {"sensitivity unit number",
       [](json& j) {
         j["sensitivities"] = json::array({json{{"unit", 1}}});
       },
       "sensitivities[0].unit must be a string"},
      {"scale overflows",
       [](json& j) {
         j["dataScale"] = 1e300, j["sensitivities"] = json::array({json{{"factor", 1e-300}}});
       },
       "is not a usable factor"},
      {"unit number", [](json& j) { j["unit"] = 5; }, "unit must be a string"},
  };
  ASSERT_TRUE(asn::parse_header(base().dump()).ok()) << "the base of the table must be valid";
  for (const BadHeader& c : cases) {
    json j = base();
    c.change(j);
    const std::string text = j.dump();
    dasflow::Result<asn::Header> h = asn::Header{};
    ASSERT_NO_THROW(h = asn::parse_header(text)) << c.name;
    ASSERT_FALSE(h.ok()) << c.name << " was accepted: " << text;
    EXPECT_EQ(h.error().code, Errc::protocol) << c.name;
    EXPECT_NE(h.error().message.find(c.fragment), std::string::npos)
        << c.name << ": expected '" << c.fragment << "' in '" << h.error().message << "'";
  }
}

TEST(AsnHeader, NotJsonOrNotObject) {
  const std::vector<std::pair<std::string, const char*>> cases = {
      {"", "not JSON"},
      {"{", "not JSON"},
      {"[1, 2]", "not a JSON object"},
      {"\"header\"", "not a JSON object"},
      {"null", "not a JSON object"},
      {R"({"dt": NaN})", "not JSON"},
      {std::string("{\"unit\": \"\xff\xfe\"}"), "not JSON"}, // invalid UTF-8
  };
  for (const auto& [text, fragment] : cases) {
    auto h = asn::parse_header(text);
    ASSERT_FALSE(h.ok()) << text;
    EXPECT_NE(h.error().message.find(fragment), std::string::npos) << text << ": " << h.error().message;
  }
}

TEST(AsnHeader, Limits) {
  asn::Limits small;
  small.max_channels = 3;
  auto h = asn::parse_header(base().dump(), small);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message.find("nChannels must be in [0, 3]"), std::string::npos) << h.error().message;

  small = {};
  small.max_message_bytes = 8 + 16 * 2 - 1; // one byte short of the base header's data message
  h = asn::parse_header(base().dump(), small);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message.find("would exceed the limit of 39 bytes"), std::string::npos) << h.error().message;
  small.max_message_bytes = 8 + 16 * 2;
  EXPECT_TRUE(asn::parse_header(base().dump(), small).ok());

  small = {};
  small.max_header_bytes = 10;
  h = asn::parse_header(base().dump(), small);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message.find("limit 10 bytes"), std::string::npos) << h.error().message;
}

TEST(AsnHeader, HugeNumbersNeverCrash) {
  const std::vector<std::string> values = {"1e400",
                                           "-1e400",
                                           "18446744073709551616",
                                           "18446744073709551615",
                                           "-9223372036854775809",
                                           "9223372036854775807",
                                           "1e-400",
                                           "4.0000000000000001",
                                           "123456789012345678901234567890"};
  for (const char* key : {"nChannels", "bytesPerPackage", "nPackagesPerMessage", "dt", "dx", "dataScale"}) {
    for (const std::string& v : values) {
      json j = base();
      j[key] = 12345.5; // a placeholder to replace textually with the raw literal
      std::string text = j.dump();
      const auto pos = text.find("12345.5");
      ASSERT_NE(pos, std::string::npos);
      text.replace(pos, 7, v);
      dasflow::Result<asn::Header> h = asn::Header{};
      EXPECT_NO_THROW(h = asn::parse_header(text)) << text;
    }
  }
  // The roi fields too, where a wrap would be a real danger (counts computed from them).
  for (const std::string& v : values) {
    std::string text =
        R"({"bytesPerPackage":16,"nPackagesPerMessage":2,"nChannels":4,"dataType":"float","dt":1,"dx":1,)"
        R"("roiTable":[{"roiStart":-)" +
        v + R"(,"roiEnd":)" + v + R"(,"roiDec":1}]})";
    dasflow::Result<asn::Header> h = asn::Header{};
    EXPECT_NO_THROW(h = asn::parse_header(text)) << text;
    EXPECT_FALSE(h.ok()) << text;
  }
}

TEST(AsnHeader, TruncatedHeadersAreErrors) {
  const std::string full = kInterrogatorHeader;
  for (std::size_t n = 0; n + 2 < full.size(); ++n) { // a cut before the closing brace
    dasflow::Result<asn::Header> h = asn::Header{};
    ASSERT_NO_THROW(h = asn::parse_header(std::string_view(full).substr(0, n)));
    EXPECT_FALSE(h.ok()) << n;
  }
}

TEST(AsnHeader, DeepNestingIsAnErrorNotACrash) {
  // nlohmann's serializer recurses: a deep header must be refused before anything dumps it.
  for (const std::string& text : {std::string(200'000, '['), std::string(100'000, '[') + std::string(100'000, ']'),
                                  "{\"x\":" + std::string(50'000, '[') + std::string(50'000, ']') + "}"}) {
    auto h = asn::parse_header(text);
    ASSERT_FALSE(h.ok());
    EXPECT_NE(h.error().message.find("nested deeper than 32 levels"), std::string::npos) << h.error().message;
  }
  // Brackets inside strings do not count, and moderate nesting in an unknown field is fine.
  json j = base();
  j["note"] = std::string(1000, '[');
  j["extra"] = json::parse("[[[[[[[[[[1]]]]]]]]]]");
  EXPECT_TRUE(asn::parse_header(j.dump()).ok());
}

/// Decoding every data type, with scale and without, from a misaligned buffer.
template <typename T> void check_type(const char* type_name, asn::DataType type, std::vector<T> raw, double scale) {
  SCOPED_TRACE(std::string(type_name) + " scale " + std::to_string(scale));
  const std::size_t n_channels = 3, n_packages = raw.size() / n_channels;
  json j = base();
  j["dataType"] = type_name;
  j["nChannels"] = n_channels;
  j["bytesPerPackage"] = n_channels * sizeof(T);
  j["nPackagesPerMessage"] = n_packages;
  j["roiTable"][0] = json{{"roiStart", 100}, {"roiEnd", 102}, {"roiDec", 1}};
  if (scale != 1.0) {
    j["dataScale"] = scale * 4.0;
    j["sensitivities"] = json::array({json{{"factor", 4.0}, {"unit", "x"}}});
  }
  auto h = asn::parse_header(j.dump());
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ(h->data_type, type);
  ASSERT_DOUBLE_EQ(h->scale, scale);
  const std::int64_t t0 = 1'700'000'000'123'456'789;
  const auto buf = data_message(t0, raw, 1);
  const std::span<const std::byte> msg(buf.data() + 1, buf.size() - 1);
  ASSERT_EQ(msg.size(), h->data_message_bytes());
  std::vector<float> out(raw.size(), -12345.0f);
  auto r = asn::decode_data(*h, msg, out.data());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, t0);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const float want =
        h->scale == 1.0 ? static_cast<float>(raw[i]) : static_cast<float>(static_cast<double>(raw[i]) * h->scale);
    EXPECT_EQ(bits(out[i]), bits(want)) << "value " << i << ": " << out[i] << " != " << want;
  }
}

TEST(AsnData, EveryDataTypeWithAndWithoutScale) {
  for (const double scale : {1.0, 0.5, 1.0 / 3.0}) {
    check_type<std::int16_t>("short", asn::DataType::int16, {-32768, 32767, 0, 1, -1, 1234}, scale);
    check_type<std::int32_t>(
        "int", asn::DataType::int32,
        {std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max(), 0, 16777217, -7, 42},
        scale);
    check_type<std::int64_t>("long", asn::DataType::int64,
                             {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(), 0,
                              (std::int64_t{1} << 53) + 1, -3, 99},
                             scale);
    check_type<float>("float", asn::DataType::float32, {1.5f, -0.0f, 3.4e38f, 1e-45f, -2.75f, 0.1f}, scale);
    check_type<double>("double", asn::DataType::float64, {1.5, -0.0, 1e300, 1e-300, -2.75, 0.1}, scale);
  }
}

TEST(AsnData, ScaleIsAppliedInDouble) {
  // 3 · (1/3) in double is exactly 1; in float arithmetic it would not be.
  json j = base();
  j["dataType"] = "int";
  j["dataScale"] = 1.0 / 3.0;
  auto h = asn::parse_header(j.dump());
  ASSERT_TRUE(h.ok());
  const auto buf = data_message<std::int32_t>(0, {3, 6, 9, 300, -3, 0, 1, 2}, 0);
  std::vector<float> out(8);
  ASSERT_TRUE(asn::decode_data(*h, buf, out.data()).ok());
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], 2.0f);
  EXPECT_EQ(out[3], 100.0f);
  EXPECT_EQ(out[4], -1.0f);
  EXPECT_FLOAT_EQ(out[6], 1.0f / 3.0f);
}

TEST(AsnData, TimeMajorLayout) {
  json j = base(); // 4 channels, 2 packages
  auto h = asn::parse_header(j.dump());
  ASSERT_TRUE(h.ok());
  std::vector<float> rows = {0, 1, 2, 3, 10, 11, 12, 13}; // package 1 = channels 10..13
  std::string msg;
  asn::encode_data(5, rows.data(), 2, 4, msg);
  std::vector<float> out(8);
  ASSERT_TRUE(asn::decode_data(*h, bytes_of(msg), out.data()).ok());
  EXPECT_EQ(out[4], 10.0f);
  EXPECT_EQ(out[7], 13.0f);
}

TEST(AsnData, WrongLengthIsReported) {
  auto h = asn::parse_header(base().dump());
  ASSERT_TRUE(h.ok());
  const std::size_t want = h->data_message_bytes();
  ASSERT_EQ(want, 40u);
  std::vector<std::byte> buf(want + 1);
  std::vector<float> out(8, 7.0f);
  for (const std::size_t n : {std::size_t{0}, std::size_t{7}, std::size_t{8}, want - 1, want + 1}) {
    auto r = asn::decode_data(*h, std::span<const std::byte>(buf.data(), n), out.data());
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, Errc::protocol);
    EXPECT_NE(r.error().message.find(std::to_string(n) + " bytes, the header says 40"), std::string::npos)
        << r.error().message;
  }
  EXPECT_EQ(out, std::vector<float>(8, 7.0f)) << "nothing written on a rejected message";
  EXPECT_TRUE(asn::decode_data(*h, std::span<const std::byte>(buf.data(), want), out.data()).ok());
}

TEST(AsnData, LengthTellsHeaderFromData) {
  // The receiver's rule (PROTOCOLS.md §1): the exact data length is data; anything else is a header.
  auto h = asn::parse_header(kXdasHeader);
  ASSERT_TRUE(h.ok());
  std::vector<float> rows(16 * 100, 1.0f);
  std::string data;
  asn::encode_data(0, rows.data(), 100, 16, data);
  EXPECT_EQ(data.size(), h->data_message_bytes());
  const std::string next_header = kInterrogatorHeader;
  EXPECT_NE(next_header.size(), h->data_message_bytes());
  EXPECT_TRUE(asn::parse_header(next_header).ok());
  auto as_header = asn::parse_header(data); // a data message misread as a header is an error
  ASSERT_FALSE(as_header.ok());
  EXPECT_NE(as_header.error().message.find("not JSON"), std::string::npos);
}

TEST(AsnEncode, HeaderRoundTrip) {
  asn::HeaderFields f;
  f.n_channels = 7;
  f.packages_per_message = 125;
  f.dt_s = 1.0 / 3000.0;
  f.dx_m = 1.0213;
  f.roi_start = 30;
  f.roi_dec = 3;
  f.data_scale = 0.25;
  f.unit = "strain/s";
  f.experiment = "µ-test";
  const std::string text = asn::encode_header(f);
  const json j = json::parse(text);
  EXPECT_EQ(j.at("dataType"), "float");
  EXPECT_EQ(j.at("dtUnit"), "s");
  EXPECT_EQ(j.at("dxUnit"), "m");
  EXPECT_EQ(j.at("bytesPerPackage"), 28);
  EXPECT_EQ(j.at("experiment"), "µ-test");
  EXPECT_EQ(j.at("roiTable"), json::parse(R"([{"roiStart":30,"roiEnd":48,"roiDec":3}])"));
  EXPECT_DOUBLE_EQ(j.at("dx").get<double>(), 1.0213 * 3) << "dx is the spacing of the delivered channels";

  auto h = asn::parse_header(text);
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->text, text);
  EXPECT_EQ(h->n_channels, 7u);
  EXPECT_EQ(h->packages_per_message, 125u);
  EXPECT_EQ(h->bytes_per_package, 28u);
  EXPECT_EQ(h->data_type, asn::DataType::float32);
  EXPECT_EQ(h->dt_s, 1.0 / 3000.0) << "shortest round-trip doubles: exact";
  EXPECT_DOUBLE_EQ(h->dx_m, 1.0213);
  EXPECT_EQ(h->scale, 0.25);
  EXPECT_EQ(h->unit, "strain/s");
  EXPECT_EQ(h->channel_numbers(), (std::vector<std::int64_t>{30, 33, 36, 39, 42, 45, 48}));
  // What xdas computes for the first and last distance: (roiStart // roiDec) · dx.
  EXPECT_DOUBLE_EQ((30 / 3) * j.at("dx").get<double>(), 30 * 1.0213);
  EXPECT_DOUBLE_EQ((48 / 3) * j.at("dx").get<double>(), 48 * 1.0213);
}

TEST(AsnEncode, MinimalHeaderHasNoOptionalText) {
  asn::HeaderFields f;
  f.n_channels = 1;
  f.packages_per_message = 1;
  f.dt_s = 0.001;
  f.dx_m = 1.0;
  const json j = json::parse(asn::encode_header(f));
  EXPECT_FALSE(j.contains("unit"));
  EXPECT_FALSE(j.contains("experiment"));
  EXPECT_EQ(j.at("dataScale"), 1.0);
  auto h = asn::parse_header(j.dump());
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->channel_numbers(), (std::vector<std::int64_t>{0}));
}

TEST(AsnEncode, DataRoundTripIsBitExact) {
  asn::HeaderFields f;
  f.n_channels = 5;
  f.packages_per_message = 4;
  f.dt_s = 0.002;
  f.dx_m = 2.0;
  auto h = asn::parse_header(asn::encode_header(f));
  ASSERT_TRUE(h.ok());
  std::vector<float> rows = {0.0f,
                             -0.0f,
                             1e-45f,
                             -1e-40f,
                             std::numeric_limits<float>::infinity(),
                             -std::numeric_limits<float>::infinity(),
                             std::numeric_limits<float>::max(),
                             std::numeric_limits<float>::lowest(),
                             0.1f,
                             -3.25f};
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::uint32_t> any;
  while (rows.size() < 20) {
    const std::uint32_t u = any(rng); // any bit pattern, NaN payloads included
    float v;
    std::memcpy(&v, &u, 4);
    rows.push_back(v);
  }
  std::string msg = "stale bytes that must be overwritten";
  const std::int64_t t0 = -123'456'789'012;
  asn::encode_data(t0, rows.data(), 4, 5, msg);
  ASSERT_EQ(msg.size(), h->data_message_bytes());
  std::vector<float> out(20);
  auto r = asn::decode_data(*h, bytes_of(msg), out.data());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, t0);
  for (std::size_t i = 0; i < rows.size(); ++i)
    EXPECT_EQ(bits(out[i]), bits(rows[i])) << i;
  std::int64_t raw_t0 = 0; // little-endian int64 at offset 0
  std::memcpy(&raw_t0, msg.data(), 8);
  EXPECT_EQ(raw_t0, t0);
  EXPECT_EQ(static_cast<unsigned char>(msg[0]), static_cast<unsigned char>(t0 & 0xff));
}

TEST(AsnEncode, EmptyData) {
  std::string msg = "xyz";
  asn::encode_data(42, nullptr, 0, 5, msg);
  EXPECT_EQ(msg.size(), 8u);
}

/// One random edit of a message: the shapes of corruption a network or a buggy writer produces.
void mutate(std::string& s, std::mt19937_64& rng) {
  const int op = static_cast<int>(rng() % 7);
  const std::size_t pos = s.empty() ? 0 : rng() % s.size();
  static const std::string tokens[] = {
      "0",    "-1",   "1e309",      "null", "\"\"", "[",  "]",     "{",
      "}",    ",",    ":",          "1.5",  "true", "-0", "\"s\"", "9223372036854775808",
      "\xff", "\\u0", "99999999999"};
  switch (op) {
  case 0:
    if (!s.empty()) s[pos] = static_cast<char>(rng());
    break;
  case 1: s.insert(pos, 1, static_cast<char>(rng())); break;
  case 2:
    if (!s.empty()) s.erase(pos, 1 + rng() % 8);
    break;
  case 3: s.resize(pos); break;
  case 4: s.insert(pos, tokens[rng() % std::size(tokens)]); break;
  case 5:
    if (!s.empty()) s.insert(pos, s.substr(rng() % s.size(), 1 + rng() % 16));
    break;
  default:
    if (!s.empty() && std::isdigit(static_cast<unsigned char>(s[pos]))) s[pos] = static_cast<char>('0' + rng() % 10);
    break;
  }
}

TEST(AsnFuzz, MutatedHeadersAndDataNeverCrash) {
  std::mt19937_64 rng(20240611);
  asn::Limits limits;
  limits.max_channels = 20'000;
  limits.max_message_bytes = 1 << 20; // keep the buffers of accepted mutants small
  const std::vector<std::string> seeds = {kInterrogatorHeader, kXdasHeader, base().dump(), [] {
                                            json j = base();
                                            j["dataType"] = "short";
                                            j["bytesPerPackage"] = 8;
                                            j["dataScale"] = 3;
                                            return j.dump();
                                          }()};
  std::size_t accepted = 0, rejected = 0;
  std::vector<float> out;
  std::vector<std::byte> msg;
  for (int i = 0; i < 20'000; ++i) {
    std::string text = seeds[static_cast<std::size_t>(i) % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e)
      mutate(text, rng);
    dasflow::Result<asn::Header> h = asn::Header{};
    ASSERT_NO_THROW(h = asn::parse_header(text, limits)) << text;
    if (!h.ok()) {
      ++rejected;
      EXPECT_EQ(h.error().code, Errc::protocol);
      continue;
    }
    ++accepted;
    // What is accepted is consistent: sizes agree, channels number nChannels, within the limits.
    ASSERT_EQ(h->bytes_per_package, h->n_channels * asn::size_of(h->data_type)) << text;
    ASSERT_EQ(h->channel_numbers().size(), h->n_channels) << text;
    ASSERT_LE(h->data_message_bytes(), limits.max_message_bytes) << text;
    ASSERT_TRUE(std::isfinite(h->scale) && h->scale != 0.0) << text;
    ASSERT_GT(h->dt_s, 0.0) << text;
    msg.resize(h->data_message_bytes() + static_cast<std::size_t>(rng() % 3)); // sometimes 1-2 bytes too long
    for (auto& b : msg)
      b = static_cast<std::byte>(rng());
    out.assign(h->packages_per_message * h->n_channels, 0.0f);
    const auto r = asn::decode_data(*h, msg, out.data());
    EXPECT_EQ(r.ok(), msg.size() == h->data_message_bytes());
  }
  EXPECT_GT(accepted, 500u) << "mutants too broken to reach the field checks";
  EXPECT_GT(rejected, 5'000u);
}

TEST(AsnFuzz, RandomBytesNeverCrash) {
  std::mt19937_64 rng(99);
  for (int i = 0; i < 2'000; ++i) {
    std::string text(rng() % 300, '\0');
    for (char& c : text)
      c = static_cast<char>(rng());
    if (i % 2) text = "{" + text; // an object start gets the parser further
    dasflow::Result<asn::Header> h = asn::Header{};
    ASSERT_NO_THROW(h = asn::parse_header(text));
    EXPECT_FALSE(h.ok());
  }
}

} // namespace
