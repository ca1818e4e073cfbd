// Every file in config/ loads, validates and configures (STYLE.md §2: each example is loaded by a test).

#include <cmath>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "dasflow/atoms/builtin.hpp"
#include "dasflow/daemon/app_config.hpp"
#include "dasflow/daemon/service.hpp"

namespace dasflow {
namespace {

TEST(ConfigExamples, EveryExampleLoadsAndConfigures) {
  const Registry registry = atoms::builtin_registry();
  std::size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(DASFLOW_CONFIG_DIR)) {
    if (entry.path().extension() != ".yaml") continue;
    ++n;
    auto cfg = daemon::load_app_config(entry.path().string(), registry);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    // Relative paths in the examples are relative to the checkout, where the binaries start.
    std::filesystem::current_path(std::filesystem::path(DASFLOW_CONFIG_DIR).parent_path());
    if (cfg->source.type == daemon::SourceConfig::Type::zmq) {
      // A live feed describes itself when it runs; the pipeline must at least fit a typical one.
      StreamInfo typical;
      typical.fs_hz = 1000;
      typical.n_channels = 2000;
      auto out = cfg->pipeline->configure(typical);
      EXPECT_TRUE(out.ok()) << entry.path() << ": " << out.error().message;
      continue;
    }
    auto source = daemon::make_source(*cfg);
    auto in = source->open();
    ASSERT_TRUE(in.ok()) << entry.path() << ": " << in.error().message;
    auto out = cfg->pipeline->configure(*in);
    EXPECT_TRUE(out.ok()) << entry.path() << ": " << out.error().message;
  }
  EXPECT_GE(n, 1u);
}

TEST(AppConfig, ErrorsNameFileYamlPathAndLine) {
  const Registry registry = atoms::builtin_registry();
  auto r = daemon::parse_app_config("source: {type: synthetic, fs: -5}\npipeline:\n  - {atom: lfilter}\nextra: 1\n",
                                    "bad.yaml", registry);
  ASSERT_FALSE(r.ok());
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("bad.yaml: extra: unknown key"), std::string::npos) << m;
  EXPECT_NE(m.find("bad.yaml: source.fs: must be in (0, 1e6] Hz (line 1)"), std::string::npos) << m;
  EXPECT_EQ(m.find("source.chunk"), std::string::npos) << "no follow-on errors from the bad rate: " << m;
  EXPECT_NE(m.find("bad.yaml: pipeline[0].b: is required (line 3)"), std::string::npos) << m;
}

// Found by fuzz/config_fuzz.cpp: each of these threw from yaml-cpp (a std::terminate of dasflowd)
// instead of being reported.
TEST(AppConfig, ScalarsWhereMappingsBelongAreErrorsNotCrashes) {
  const Registry registry = atoms::builtin_registry();
  const std::string ok_source = "source: {type: synthetic, channels: 4, fs: 100}\npipeline: [{atom: abs}]\n";
  const std::pair<std::string, std::string> cases[] = {
      {"just words", "bad.yaml: the config must be a YAML mapping of keys"},
      {"- a\n- b\n",
       "bad.yaml: the config must be a YAML mapping of keys (source:, pipeline:, outputs:, ...), not a list"},
      {"", "not an empty document"},
      {ok_source + "checkpoint: /var/lib/dasflow\n", "bad.yaml: checkpoint: must be a mapping"},
      {ok_source + "control: 9108\n", "bad.yaml: control: must be a mapping"},
      {ok_source + "logging: debug\n", "bad.yaml: logging: must be a mapping"},
      {"source: {type: asn, address: \"tcp://127.0.0.1:3333\", curve: keys.txt}\npipeline: [{atom: abs}]\n",
       "bad.yaml: source.curve: must be a mapping"},
  };
  for (const auto& [text, expected] : cases) {
    auto r = daemon::parse_app_config(text, "bad.yaml", registry);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.error().message.find(expected), std::string::npos) << text << "\n-> " << r.error().message;
  }
}

TEST(AppConfig, ThreadsIsACountOrAutoAndReachesThePipeline) {
  const Registry registry = atoms::builtin_registry();
  const std::string base = "source: {type: synthetic, channels: 4, fs: 100}\npipeline: [{atom: abs}]\n";
  auto two = daemon::parse_app_config(base + "threads: 2\n", "t.yaml", registry);
  ASSERT_TRUE(two.ok()) << two.error().message;
  EXPECT_EQ(two->pipeline->threads(), 2u);
  auto automatic = daemon::parse_app_config(base + "threads: auto\n", "t.yaml", registry);
  ASSERT_TRUE(automatic.ok()) << automatic.error().message;
  EXPECT_EQ(automatic->pipeline->threads(), std::max(1u, std::thread::hardware_concurrency()));
  auto unset = daemon::parse_app_config(base, "t.yaml", registry);
  ASSERT_TRUE(unset.ok()) << unset.error().message;
  EXPECT_EQ(unset->pipeline->threads(), automatic->pipeline->threads());
  for (const char* bad : {"threads: 0\n", "threads: many\n", "threads: [2]\n"}) {
    auto r = daemon::parse_app_config(base + bad, "t.yaml", registry);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("t.yaml: threads:"), std::string::npos) << r.error().message;
  }
}

TEST(AppConfig, Hdf5OutputWithoutPrefixTakesTheDefault) {
  // Was refused ("prefix: must be a file-name prefix"): an absent key read as a defined node.
  const Registry registry = atoms::builtin_registry();
  auto r = daemon::parse_app_config(
      "source: {type: synthetic, channels: 4, fs: 100}\npipeline: [{atom: abs}]\noutputs: [{type: hdf5, path: out}]\n",
      "p.yaml", registry);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->outputs.size(), 1u);
  EXPECT_EQ(r->outputs[0].hdf5.prefix, daemon::OutputConfig{}.hdf5.prefix);
  EXPECT_FALSE(r->outputs[0].hdf5.prefix.empty());
}

TEST(AppConfig, Hdf5CompressionIsNoneByDefaultOrANamedFilterAndOtherNamesAreRefused) {
  const Registry registry = atoms::builtin_registry();
  const std::string head = "source: {type: synthetic, channels: 4, fs: 100}\npipeline: [{atom: abs}]\noutputs:\n";
  auto plain = daemon::parse_app_config(head + "  - {type: hdf5, path: out}\n", "p.yaml", registry);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->outputs[0].hdf5.compression, io::Compression::none);
  auto lz4 = daemon::parse_app_config(head + "  - {type: hdf5, path: out, compression: lz4}\n", "p.yaml", registry);
  ASSERT_TRUE(lz4.ok()) << lz4.error().message;
  EXPECT_EQ(lz4->outputs[0].hdf5.compression, io::Compression::lz4);
  auto zstd =
      daemon::parse_app_config(head + "  - {type: hdf5, path: out, compression: blosc-zstd}\n", "p.yaml", registry);
  ASSERT_TRUE(zstd.ok()) << zstd.error().message;
  EXPECT_EQ(zstd->outputs[0].hdf5.compression, io::Compression::blosc_zstd);
  auto gzip = daemon::parse_app_config(head + "  - {type: hdf5, path: out, compression: gzip}\n", "p.yaml", registry);
  ASSERT_FALSE(gzip.ok());
  EXPECT_NE(gzip.error().message.find("outputs[0].compression"), std::string::npos) << gzip.error().message;
  EXPECT_NE(gzip.error().message.find("gzip"), std::string::npos) << gzip.error().message;
  auto events =
      daemon::parse_app_config(head + "  - {type: events, path: e.jsonl, compression: lz4}\n", "p.yaml", registry);
  ASSERT_FALSE(events.ok()); // only the hdf5 output knows the key
  EXPECT_NE(events.error().message.find("outputs[0].compression"), std::string::npos) << events.error().message;
}

TEST(AppConfig, SyntaxErrorNamesLineAndColumn) {
  const Registry registry = atoms::builtin_registry();
  auto r = daemon::parse_app_config("source: {type: synthetic\npipeline: [\n", "broken.yaml", registry);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("broken.yaml:", 0), 0u) << r.error().message;
  EXPECT_NE(r.error().message.find("YAML syntax error"), std::string::npos);
}

TEST(SyntheticSource, StreamDoesNotDependOnChunkLength) {
  io::SyntheticSource::Config c;
  c.channels = 16;
  c.fs_hz = 200;
  c.duration_s = 3;
  c.event_interval_s = 1;
  c.dx_m = 10;
  c.chunk_s = 1.0;
  io::SyntheticSource a(c, 1'700'000'000'000'000'000);
  c.chunk_s = 0.035;
  io::SyntheticSource b(c, 1'700'000'000'000'000'000);
  std::vector<float> sa, sb;
  Chunk chunk;
  while (a.next(chunk))
    sa.insert(sa.end(), chunk.samples.begin(), chunk.samples.end());
  while (b.next(chunk))
    sb.insert(sb.end(), chunk.samples.begin(), chunk.samples.end());
  ASSERT_EQ(sa.size(), 3u * 200 * 16);
  EXPECT_EQ(sa, sb);
  // A wavefront is centred on its origin channel at its known index: far above the noise there.
  const std::int64_t first = 1'700'000'000LL * 200;
  const std::int64_t kth = first / 200 + 1; // the event one interval into the stream
  const std::int64_t at = a.event_index(kth);
  ASSERT_GE(at, first);
  EXPECT_GT(std::fabs(a.sample(at, a.event_channel(kth))), 10.0f);
}

} // namespace
} // namespace dasflow
