// The daemon's building blocks: the bounded queue between stages and the events file.

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dasflow/daemon/bounded_queue.hpp"
#include "dasflow/io/events_output.hpp"
#include "dasflow/io/synthetic_source.hpp"

namespace dasflow {
namespace {

TEST(BoundedQueue, CloseDrainsBeforeEnding) {
  daemon::BoundedQueue<int> q(2);
  int a = 1, b = 2, c = 3;
  EXPECT_TRUE(q.try_push(a));
  EXPECT_TRUE(q.try_push(b));
  EXPECT_FALSE(q.try_push(c)) << "full: a live reader drops instead of waiting";
  q.close();
  EXPECT_FALSE(q.push(c)) << "closed";
  EXPECT_EQ(q.pop(), 1);
  EXPECT_EQ(q.pop(), 2);
  EXPECT_EQ(q.pop(), std::nullopt);
}

TEST(BoundedQueue, PushWaitsForRoomAndPopWaitsForItems) {
  daemon::BoundedQueue<int> q(1);
  std::thread producer([&] {
    for (int i = 0; i < 100; ++i) {
      int v = i;
      ASSERT_TRUE(q.push(v));
    }
    q.close();
  });
  int expected = 0;
  while (auto v = q.pop())
    EXPECT_EQ(*v, expected++);
  producer.join();
  EXPECT_EQ(expected, 100);
}

TEST(Events, Iso8601HasNanoseconds) {
  EXPECT_EQ(io::iso8601_ns(1698416617020000000), "2023-10-27T14:23:37.020000000Z");
  EXPECT_EQ(io::iso8601_ns(1), "1970-01-01T00:00:00.000000001Z");
  EXPECT_EQ(io::iso8601_ns(-1), "1969-12-31T23:59:59.999999999Z");
}

TEST(Events, JsonLineHasTheProtocolFields) {
  StreamInfo s;
  s.fs_hz = 250;
  s.origin_ns = 0;
  s.n_channels = 10;
  s.coords = std::make_shared<const ChannelCoords>(ChannelCoords{100, 1, 2.0});
  Event e;
  e.kind = EventKind::coincidence;
  e.channel = 104;
  e.on_index = 250;
  e.off_index = 500;
  e.peak = 7.5;
  e.peak_index = 300;
  e.channels = {104, 105, 107};
  const auto j = nlohmann::json::parse(io::event_json(e, s, "fibre \"A\""));
  EXPECT_EQ(j["stream"], "fibre \"A\"");
  EXPECT_EQ(j["kind"], "coincidence");
  EXPECT_EQ(j["channel"], 104);
  EXPECT_DOUBLE_EQ(j["distance_m"].get<double>(), 208.0);
  EXPECT_EQ(j["on_time"], "1970-01-01T00:00:01.000000000Z");
  EXPECT_EQ(j["off_time"], "1970-01-01T00:00:02.000000000Z");
  EXPECT_EQ(j["channels"], nlohmann::json::array({104, 105, 107}));
  EXPECT_EQ(j["count"], 3);
}

TEST(Events, FileGetsOneCompleteLinePerEventAndAppends) {
  const auto dir = std::filesystem::temp_directory_path() / ("dasflow_events_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const std::string path = (dir / "sub" / "events.jsonl").string();
  StreamInfo s;
  s.fs_hz = 100;
  for (int round = 0; round < 2; ++round) {
    io::EventsOutput out(path, s, "x");
    ASSERT_TRUE(out.open().ok());
    Event e;
    e.on_index = round;
    ASSERT_TRUE(out.write({e, e}).ok());
    ASSERT_TRUE(out.close().ok());
  }
  std::ifstream f(path);
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
    ++n;
  }
  EXPECT_EQ(n, 4);
  std::filesystem::remove_all(dir);
}

TEST(Events, UnwritablePathIsAClearError) {
  StreamInfo s;
  io::EventsOutput out("/proc/definitely/not/here.jsonl", s, "x");
  const auto r = out.open();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/proc/definitely/not/here.jsonl"), std::string::npos) << r.error().message;
}

TEST(SyntheticSource, SimulatedLossesAreNeverDelivered) {
  io::SyntheticSource::Config c;
  c.channels = 2;
  c.fs_hz = 100;
  c.chunk_s = 0.3;
  c.duration_s = 2;
  c.realtime = false;
  c.gaps_s = {{0.5, 0.25}};
  io::SyntheticSource src(c, 0);
  Chunk chunk;
  std::int64_t expected = 0, delivered = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> jumps;
  while (src.next(chunk)) {
    if (chunk.first_index != expected) jumps.emplace_back(expected, chunk.first_index);
    expected = chunk.end_index();
    delivered += static_cast<std::int64_t>(chunk.n_samples);
  }
  EXPECT_EQ(delivered, 175);
  ASSERT_EQ(jumps.size(), 1u);
  EXPECT_EQ(jumps[0], std::make_pair(std::int64_t{50}, std::int64_t{75}));
}

} // namespace
} // namespace dasflow
