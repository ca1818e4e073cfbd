// `dasflow simulate` and `dasflow replay`: an interrogator on the wire (PROTOCOLS.md §1). An XPUB
// socket with the header as welcome message (what xdas's ZMQPublisher does), the header re-sent
// every --header-every seconds as real interrogators do, then int64 t0 + float32 rows per message,
// paced at the wall clock (× --speed). The data are what `source: {type: synthetic}` produces with
// the same channels, rate, seed and start, or the samples of real vendor files.
//
// A live simulation (`simulate` at --speed 1 without --start) behaves like an interrogator: its
// samples are stamped with the system clock and each message leaves when the system clock reaches
// the time of the sample after its last, so a receiver on the same machine can measure latency from
// the timestamps alone (`dasflow sub --stats`). When it waited for subscribers, the stream starts
// at the end of the wait. A message that leaves later than that (the generator could not keep up)
// is counted as late, and the largest delay is printed.
//
// --cycle S (benchmarks: bench/live.sh) generates the first S seconds once and then sends those
// messages again and again with advancing timestamps, so that the simulator costs next to nothing
// beside the daemon under test: each one is handed to ZeroMQ without a copy and only re-stamped
// once ZeroMQ has released it (a message still queued for a slow subscriber is sent as a copy).
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
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

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

/// --cycle: one ready-to-send ASN data message (int64 t0 + rows) and whether ZeroMQ still holds it.
struct CycleSlot {
  std::vector<std::byte> bytes;
  std::atomic<bool> in_flight{false};
};

/// zmq_free_fn of a zero-copy cycle message: called (from ZeroMQ's I/O thread) once it has been
/// sent to every subscriber or dropped.
void release_slot(void*, void* hint) {
  static_cast<CycleSlot*>(hint)->in_flight.store(false, std::memory_order_release);
}

/// The first index of a synthetic stream starting at `start_ns` (as io::SyntheticSource: origin 0).
std::int64_t index_at(std::int64_t start_ns, double fs_hz) {
  return static_cast<std::int64_t>(std::floor(static_cast<double>(start_ns) * fs_hz / 1e9));
}

} // namespace

int run_publish(const PublishOptions& o) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const bool simulate = o.files.empty();
  const bool live = simulate && o.start_s < 0 && o.speed == 1.0; // stamped and paced by the system clock
  if (o.cycle_s > 0 && (!simulate || o.changes_every > 0)) {
    std::fprintf(stderr, "dasflow: --cycle is for simulate, without --changes-every\n");
    return 2;
  }
  std::unique_ptr<io::Source> source;
  const auto make_synthetic = [&](std::int64_t start) {
    io::SyntheticSource::Config c;
    c.channels = o.channels;
    c.fs_hz = o.fs_hz;
    c.chunk_s = o.chunk_s;
    c.duration_s = o.duration_s;
    c.realtime = false; // paced here, against the stream's own timestamps
    c.seed = o.seed;
    return std::make_unique<io::SyntheticSource>(c, start);
  };
  if (simulate) {
    source = make_synthetic(o.start_s >= 0 ? std::llround(o.start_s * 1e9) : now_ns());
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
  const auto next_chunk = [&]() -> std::optional<bool> { // nullopt: failed (printed)
    auto more = source->next(chunk, no_stop);
    if (!more.ok()) {
      std::fprintf(stderr, "%s\n", more.error().message.c_str());
      return std::nullopt;
    }
    return *more;
  };
  const auto first = next_chunk();
  if (!first) return 1;
  bool have_chunk = *first;

  // --cycle: the messages of the first cycle_s seconds, generated now. Declared before the context,
  // so that they outlive every message ZeroMQ still holds. From then on only the indices advance:
  // message k is slot k % size at cycle_first.
  std::vector<std::unique_ptr<CycleSlot>> cycle;
  std::size_t cycle_rows = 0;
  std::int64_t cycle_first = 0, cycle_end = std::numeric_limits<std::int64_t>::max();
  if (o.cycle_s > 0 && have_chunk) {
    cycle_rows = chunk.n_samples;
    cycle_first = chunk.first_index;
    if (o.duration_s > 0) cycle_end = cycle_first + std::llround(o.duration_s * stream.fs_hz);
    const auto n = static_cast<std::size_t>(std::max<long long>(1, std::llround(o.cycle_s / o.chunk_s)));
    std::string bytes;
    while (have_chunk && cycle.size() < n && chunk.n_samples == cycle_rows) {
      io::asn::encode_data(0, chunk.samples.data(), chunk.n_samples, chunk.n_channels, bytes);
      auto slot = std::make_unique<CycleSlot>();
      slot->bytes.resize(bytes.size());
      std::memcpy(slot->bytes.data(), bytes.data(), bytes.size());
      cycle.push_back(std::move(slot));
      const auto more = next_chunk();
      if (!more) return 1;
      have_chunk = *more;
    }
    have_chunk = true;
    chunk = Chunk{};
    chunk.reshape(0, o.channels); // the shape of every message is cycle_rows x channels
  }

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
    if (have_chunk) make_header(chunk.n_channels, cycle.empty() ? chunk.n_samples : cycle_rows);
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
  std::uint64_t drops = 0, late = 0, cycle_copies = 0;
  std::int64_t max_late_ns = 0;
  std::size_t data_messages = 0;
  const auto send = [&](const std::string& bytes) {
    if (!pub.send(zmq::buffer(bytes), zmq::send_flags::dontwait)) ++drops;
  };
  const auto send_slot = [&](CycleSlot& slot, std::int64_t t0) {
    if (!slot.in_flight.load(std::memory_order_acquire)) {
      std::memcpy(slot.bytes.data(), &t0, sizeof t0);
      zmq::message_t m(slot.bytes.data(), slot.bytes.size(), release_slot, &slot);
      slot.in_flight.store(true, std::memory_order_relaxed);
      if (!pub.send(m, zmq::send_flags::dontwait)) ++drops; // m's close then releases the slot
      return;
    }
    ++cycle_copies; // still queued for some subscriber: send a copy with its own timestamp
    zmq::message_t m(slot.bytes.size());
    std::memcpy(m.data(), slot.bytes.data(), slot.bytes.size());
    std::memcpy(m.data(), &t0, sizeof t0);
    if (!pub.send(m, zmq::send_flags::dontwait)) ++drops;
  };
  // cppzmq throws what libzmq reports; EINTR (a signal during a call) just means: stop.
  try {
    while (!g_stop && subscribers < o.wait_subscribers) {
      drain();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // A live stream starts now, not when the first chunk was generated before the wait (or the
    // cycle): otherwise its first messages would be overdue and leave in a burst.
    if (live && have_chunk && (!cycle.empty() || o.wait_subscribers > 0)) {
      const std::int64_t start = now_ns();
      if (!cycle.empty()) {
        const std::int64_t shift = index_at(start, stream.fs_hz) - cycle_first;
        cycle_first += shift;
        if (cycle_end != std::numeric_limits<std::int64_t>::max()) cycle_end += shift;
      } else {
        source = make_synthetic(start);
        if (auto r = source->open(); !r.ok()) {
          std::fprintf(stderr, "%s\n", r.error().message.c_str());
          return 1;
        }
        const auto more = next_chunk();
        if (!more) return 1;
        have_chunk = *more;
      }
    }

    const auto wall0 = Clock::now();
    std::int64_t data0 = -1;
    std::size_t header_rows = 0, header_channels = 0;
    auto last_header = Clock::now();
    auto last_status = last_header;
    std::string message;
    std::vector<float> half;
    while (!g_stop && have_chunk) {
      // The message to send: the current chunk, or the next cycle slot at the next indices.
      const std::int64_t first_index = cycle.empty() ? chunk.first_index : cycle_first;
      const std::size_t n_rows = cycle.empty() ? chunk.n_samples : cycle_rows;
      const std::int64_t t0 = stream.time_ns(first_index);
      const std::int64_t end_ns = stream.time_ns(first_index + static_cast<std::int64_t>(n_rows));
      if (data0 < 0) data0 = t0;
      std::int64_t late_ns = 0;
      if (live) { // the message leaves when the system clock reaches the time of the sample after it
        for (std::int64_t now = now_ns(); !g_stop && now < end_ns; now = now_ns()) {
          drain();
          std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<std::int64_t>(end_ns - now, 20'000'000)));
        }
        late_ns = now_ns() - end_ns;
      } else if (o.speed > 0) { // the last sample of the message is due at its own time (÷ speed)
        const auto due =
            wall0 + std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(end_ns - data0) / o.speed));
        while (!g_stop && Clock::now() < due) {
          drain();
          std::this_thread::sleep_for(std::min<Clock::duration>(due - Clock::now(), std::chrono::milliseconds(20)));
        }
        late_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - due).count();
      }
      if (g_stop) break;
      if (o.speed > 0 && late_ns > 1'000'000) ++late; // more than 1 ms behind its time
      max_late_ns = std::max(max_late_ns, late_ns);
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
      if (width != header_channels || n_rows != header_rows ||
          now - last_header >= std::chrono::duration<double>(o.header_every_s)) {
        make_header(width, n_rows);
        send(current_header);
        header_channels = width;
        header_rows = n_rows;
        last_header = now;
      }
      if (cycle.empty()) {
        io::asn::encode_data(t0, rows, n_rows, width, message);
        send(message);
      } else {
        send_slot(*cycle[data_messages % cycle.size()], t0);
      }
      ++data_messages;
      if (now - last_status >= std::chrono::seconds(1)) {
        last_status = now;
        std::fprintf(stderr,
                     "published %zu data messages (%zu x %zu at %g Hz), %zu subscribers, %llu dropped, %llu late "
                     "(max %.1f ms)%s\n",
                     data_messages, n_rows, width, stream.fs_hz, subscribers, static_cast<unsigned long long>(drops),
                     static_cast<unsigned long long>(late), static_cast<double>(max_late_ns) / 1e6,
                     cycle.empty() ? "" : (", " + std::to_string(cycle_copies) + " cycle copies").c_str());
      }
      if (cycle.empty()) {
        const auto more = next_chunk();
        if (!more) return 1;
        have_chunk = *more;
      } else {
        cycle_first += static_cast<std::int64_t>(cycle_rows);
        have_chunk = cycle_first < cycle_end;
      }
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
  std::fprintf(stderr, "done: %zu data messages, %llu messages dropped (HWM), %llu late (max %.1f ms)\n", data_messages,
               static_cast<unsigned long long>(drops), static_cast<unsigned long long>(late),
               static_cast<double>(max_late_ns) / 1e6);
  return 0;
}

} // namespace dasflow::tool
