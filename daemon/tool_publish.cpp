// `dasflow simulate` and `dasflow replay`: an interrogator on the wire (PROTOCOLS.md §1). An XPUB
// socket with the header as welcome message (what xdas's ZMQPublisher does), the header re-sent
// every --header-every seconds as real interrogators do, then int64 t0 + float32 rows per message,
// paced at the wall clock (× --speed). The data are what `source: {type: synthetic}` produces with
// the same channels, rate, seed and start, or the samples of real vendor files.

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <memory>
#include <thread>

#include <zmq.hpp>

#include "dasflow/io/asn_protocol.hpp"
#include "dasflow/io/hdf5_replay_source.hpp"
#include "dasflow/io/synthetic_source.hpp"
#include "dasflow/io/zmq_output.hpp"
#include "tool_commands.hpp"

namespace dasflow::tool {

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace

int run_publish(const PublishOptions& o) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::unique_ptr<io::Source> source;
  if (o.files.empty()) {
    io::SyntheticSource::Config c;
    c.channels = o.channels;
    c.fs_hz = o.fs_hz;
    c.chunk_s = o.chunk_s;
    c.duration_s = o.duration_s;
    c.realtime = false; // paced here, against the stream's own timestamps
    c.seed = o.seed;
    const std::int64_t start = o.start_s >= 0 ? std::llround(o.start_s * 1e9) : now_ns();
    source = std::make_unique<io::SyntheticSource>(c, start);
  } else {
    if (o.files.size() != 1) {
      std::fprintf(stderr, "dasflow replay: give one file or one directory\n");
      return 2;
    }
    source = std::make_unique<io::Hdf5ReplaySource>(io::ReplayConfig{o.files[0], "auto", o.chunk_s});
  }
  auto opened = source->open();
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.error().message.c_str());
    return 1;
  }
  const StreamInfo stream = *opened;
  zmq::context_t ctx(1);
  zmq::socket_t pub(ctx, zmq::socket_type::xpub);
  try {
    pub.set(zmq::sockopt::sndhwm, 1000);
    pub.set(zmq::sockopt::linger, 0);
    // Every subscription reaches us, not only the first of each topic: --wait-subscribers counts them.
    pub.set(zmq::sockopt::xpub_verbose, 1);
    if (!o.curve_server_keys.empty()) {
      std::fprintf(stderr, "dasflow: --curve-server-keys is not supported by the simulator yet\n");
      return 2;
    }
    pub.bind(o.address);
  } catch (const zmq::error_t& e) {
    std::fprintf(stderr, "cannot bind %s: %s\n", o.address.c_str(), e.what());
    return 1;
  }
  const ChannelCoords coords = stream.coords ? *stream.coords : ChannelCoords{};
  std::size_t subscribers = 0;
  const auto drain = [&] {
    zmq::message_t m;
    try {
      while (pub.recv(m, zmq::recv_flags::dontwait))
        if (m.size() > 0 && static_cast<const char*>(m.data())[0] == 1) ++subscribers;
    } catch (const zmq::error_t&) { // EINTR from a signal: g_stop ends the loop
    }
  };
  std::string current_header;
  const auto send_header = [&](std::size_t n_channels, std::size_t rows) {
    io::asn::HeaderFields f;
    f.n_channels = n_channels;
    f.packages_per_message = rows;
    f.dt_s = 1.0 / stream.fs_hz;
    f.dx_m = coords.dx_m;
    f.roi_start = coords.first;
    f.roi_dec = coords.step > 0 ? coords.step : 1;
    current_header = io::asn::encode_header(f);
    pub.set(zmq::sockopt::xpub_welcome_msg, current_header);
    pub.send(zmq::buffer(current_header), zmq::send_flags::dontwait);
  };
  while (!g_stop && subscribers < o.wait_subscribers) {
    drain();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto wall0 = std::chrono::steady_clock::now();
  std::int64_t data0 = -1;
  std::size_t messages = 0, header_rows = 0, header_channels = 0;
  auto last_header = std::chrono::steady_clock::now();
  auto last_status = last_header;
  Chunk chunk;
  std::string message;
  std::vector<float> half;
  const std::atomic<bool> no_stop{false};
  while (!g_stop) {
    auto more = source->next(chunk, no_stop);
    if (!more.ok()) {
      std::fprintf(stderr, "%s\n", more.error().message.c_str());
      return 1;
    }
    if (!*more) break;
    const std::int64_t t0 = stream.time_ns(chunk.first_index);
    if (data0 < 0) data0 = t0;
    if (o.speed > 0) { // the last sample of the message is due at its own time (× speed)
      const auto due = wall0 + std::chrono::nanoseconds(static_cast<std::int64_t>(
                                   static_cast<double>(stream.time_ns(chunk.end_index()) - data0) / o.speed));
      while (!g_stop && std::chrono::steady_clock::now() < due) {
        drain();
        std::this_thread::sleep_for(
            std::min<std::chrono::nanoseconds>(due - std::chrono::steady_clock::now(), std::chrono::milliseconds(20)));
      }
    }
    drain();
    // --changes-every: alternate between every channel and the first half (a re-configured interrogator).
    std::size_t width = chunk.n_channels;
    const float* rows = chunk.samples.data();
    if (o.changes_every > 0 && (messages / o.changes_every) % 2 == 1 && chunk.n_channels > 1) {
      width = chunk.n_channels / 2;
      half.resize(chunk.n_samples * width);
      for (std::size_t t = 0; t < chunk.n_samples; ++t)
        std::copy(chunk.row(t), chunk.row(t) + width, half.data() + t * width);
      rows = half.data();
    }
    const auto now = std::chrono::steady_clock::now();
    if (width != header_channels || chunk.n_samples != header_rows ||
        now - last_header >= std::chrono::duration<double>(o.header_every_s)) {
      send_header(width, chunk.n_samples);
      header_channels = width;
      header_rows = chunk.n_samples;
      last_header = now;
    }
    io::asn::encode_data(t0, rows, chunk.n_samples, width, message);
    try {
      pub.send(zmq::buffer(message), zmq::send_flags::dontwait);
    } catch (const zmq::error_t&) { // EINTR: the message is lost like any a slow subscriber misses
    }
    ++messages;
    if (now - last_status >= std::chrono::seconds(1)) {
      last_status = now;
      std::fprintf(stderr, "published %zu messages (%zu channels at %g Hz), %zu subscribers\n", messages, width,
                   stream.fs_hz, subscribers);
    }
  }
  std::fprintf(stderr, "done: %zu messages\n", messages);
  return 0;
}

} // namespace dasflow::tool
