// `dasflow simulate` and `dasflow replay`: an interrogator on the wire (PROTOCOLS.md §1). An XPUB
// socket with the header as welcome message (what xdas's ZMQPublisher does), the header re-sent
// every --header-every seconds as real interrogators do, then int64 t0 + float32 rows per message,
// paced at the wall clock (× --speed). The data are what `source: {type: synthetic}` produces with
// the same channels, rate, seed and start, or the samples of real vendor files.
//
// Bounded like the daemon's outputs (DESIGN.md §6): SNDHWM 1000 and non-blocking sends. PUB/XPUB
// drop per subscriber without telling the publisher; what ZeroMQ refuses outright (EAGAIN) is
// counted and printed. CURVE is not offered here: the allow-list (ZAP handler) lives inside
// io::ZmqOutput and is not reusable on its own; a test feed on loopback does not need it.

#include <algorithm>
#include <atomic>
#include <cerrno>
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
#include "tool_commands.hpp"

namespace dasflow::tool {

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using Clock = std::chrono::steady_clock;

} // namespace

int run_publish(const PublishOptions& o) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const bool simulate = o.files.empty();
  std::unique_ptr<io::Source> source;
  if (simulate) {
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
  // Channel numbers on the wire. simulate: --roi-start/--roi-dec name the columns; the header's dx
  // becomes metres per channel *number* (dx / roi_dec) so that the columns keep the synthetic
  // source's spacing and the data stay those of `source: {type: synthetic}`. replay: the files' own
  // channel numbers and spacing.
  ChannelCoords coords = stream.coords ? *stream.coords : ChannelCoords{};
  if (simulate) {
    coords.first = o.roi_start;
    coords.step = o.roi_dec;
    coords.dx_m = coords.dx_m / static_cast<double>(o.roi_dec);
  }
  if (coords.step < 1) {
    std::fprintf(stderr, "dasflow: channel step %lld cannot be framed as an ASN roiTable (roiDec >= 1)\n",
                 static_cast<long long>(coords.step));
    return 1;
  }

  // The first chunk before binding: its shape is the first header, which is then the welcome
  // message of every subscriber from the start (PROTOCOLS.md §1).
  Chunk chunk;
  const std::atomic<bool> no_stop{false};
  auto first = source->next(chunk, no_stop);
  if (!first.ok()) {
    std::fprintf(stderr, "%s\n", first.error().message.c_str());
    return 1;
  }
  bool have_chunk = *first;

  zmq::context_t ctx(1);
  zmq::socket_t pub(ctx, zmq::socket_type::xpub);
  std::string current_header;
  const auto make_header = [&](std::size_t n_channels, std::size_t rows) {
    io::asn::HeaderFields f;
    f.n_channels = n_channels;
    f.packages_per_message = rows;
    f.dt_s = 1.0 / stream.fs_hz;
    f.dx_m = coords.dx_m;
    f.roi_start = coords.first;
    f.roi_dec = coords.step;
    current_header = io::asn::encode_header(f);
    pub.set(zmq::sockopt::xpub_welcome_msg, current_header);
  };
  try {
    pub.set(zmq::sockopt::sndhwm, 1000);
    pub.set(zmq::sockopt::linger, 0);
    // Every subscribe and unsubscribe reaches us (not only the first per topic), so that
    // --wait-subscribers and the status line count subscribers, not distinct topics.
    pub.set(zmq::sockopt::xpub_verboser, 1);
    if (have_chunk) make_header(chunk.n_channels, chunk.n_samples);
    pub.bind(o.address);
  } catch (const zmq::error_t& e) {
    std::fprintf(stderr, "dasflow: cannot bind %s: %s\n", o.address.c_str(), e.what());
    return 1;
  }
  // Subscription messages queue up on an XPUB until read; drain them while waiting and sending.
  std::size_t subscribers = 0;
  const auto drain = [&] {
    zmq::message_t m;
    while (pub.recv(m, zmq::recv_flags::dontwait)) {
      if (m.size() == 0) continue;
      const char kind = static_cast<const char*>(m.data())[0];
      if (kind == 1) ++subscribers;
      if (kind == 0 && subscribers > 0) --subscribers;
    }
  };
  std::uint64_t drops = 0;
  std::size_t data_messages = 0;
  const auto send = [&](const std::string& bytes) {
    if (!pub.send(zmq::buffer(bytes), zmq::send_flags::dontwait)) ++drops;
  };
  // cppzmq throws what libzmq reports; EINTR (a signal during a call) just means: stop.
  try {
    while (!g_stop && subscribers < o.wait_subscribers) {
      drain();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }

    const auto wall0 = Clock::now();
    std::int64_t data0 = -1;
    std::size_t header_rows = 0, header_channels = 0;
    auto last_header = Clock::now();
    auto last_status = last_header;
    std::string message;
    std::vector<float> half;
    while (!g_stop && have_chunk) {
      const std::int64_t t0 = stream.time_ns(chunk.first_index);
      if (data0 < 0) data0 = t0;
      if (o.speed > 0) { // the last sample of the message is due at its own time (÷ speed)
        const auto due = wall0 + std::chrono::nanoseconds(static_cast<std::int64_t>(
                                     static_cast<double>(stream.time_ns(chunk.end_index()) - data0) / o.speed));
        while (!g_stop && Clock::now() < due) {
          drain();
          std::this_thread::sleep_for(std::min<Clock::duration>(due - Clock::now(), std::chrono::milliseconds(20)));
        }
        if (g_stop) break;
      }
      drain();
      // --changes-every: alternate between every channel and the first half (a re-configured
      // interrogator), so receivers see header changes (PROTOCOLS.md §1: a new header when the
      // acquisition parameters change).
      std::size_t width = chunk.n_channels;
      const float* rows = chunk.samples.data();
      if (o.changes_every > 0 && (data_messages / o.changes_every) % 2 == 1 && chunk.n_channels > 1) {
        width = chunk.n_channels / 2;
        half.resize(chunk.n_samples * width);
        for (std::size_t t = 0; t < chunk.n_samples; ++t)
          std::copy(chunk.row(t), chunk.row(t) + width, half.data() + t * width);
        rows = half.data();
      }
      // A receiver tells header from data by length only, so any change of the message shape (a
      // shorter last chunk, a replay chunk cut at a file boundary) needs a header first.
      const auto now = Clock::now();
      if (width != header_channels || chunk.n_samples != header_rows ||
          now - last_header >= std::chrono::duration<double>(o.header_every_s)) {
        make_header(width, chunk.n_samples);
        send(current_header);
        header_channels = width;
        header_rows = chunk.n_samples;
        last_header = now;
      }
      io::asn::encode_data(t0, rows, chunk.n_samples, width, message);
      send(message);
      ++data_messages;
      if (now - last_status >= std::chrono::seconds(1)) {
        last_status = now;
        std::fprintf(stderr, "published %zu data messages (%zu x %zu at %g Hz), %zu subscribers, %llu dropped\n",
                     data_messages, chunk.n_samples, width, stream.fs_hz, subscribers,
                     static_cast<unsigned long long>(drops));
      }
      auto more = source->next(chunk, no_stop);
      if (!more.ok()) {
        std::fprintf(stderr, "%s\n", more.error().message.c_str());
        return 1;
      }
      have_chunk = *more;
    }
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR || !g_stop) {
      std::fprintf(stderr, "dasflow: %s: %s\n", o.address.c_str(), e.what());
      return 1;
    }
  }
  // The end of a finite stream: give ZeroMQ a moment to deliver what is queued (the tail of a
  // `--speed max` replay), instead of discarding it with linger 0. Interrupted: leave at once.
  if (!g_stop) pub.set(zmq::sockopt::linger, 3000);
  std::fprintf(stderr, "done: %zu data messages, %llu messages dropped (HWM)\n", data_messages,
               static_cast<unsigned long long>(drops));
  return 0;
}

} // namespace dasflow::tool
