#include "dasflow/io/synthetic_source.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <thread>

namespace dasflow::io {

namespace {

/// SplitMix64 finaliser: a counter-based generator, so a sample's noise depends only on its
/// coordinates and never on how the stream was chunked.
std::uint64_t mix(std::uint64_t z) noexcept {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// Ricker (Mexican-hat) wavelet of peak frequency f at time t from its centre.
double ricker(double t, double f) noexcept {
  const double a = std::numbers::pi * f * t;
  return (1.0 - 2.0 * a * a) * std::exp(-a * a);
}

} // namespace

Result<SyntheticSource::Config> SyntheticSource::parse(const YAML::Node& node, const std::string& path) {
  ConfigReader r(node, path);
  Config c;
  r.choice("type", "synthetic", {"synthetic"});
  c.channels = static_cast<std::size_t>(r.integer("channels", 1000, 1, 1'000'000));
  c.fs_hz = r.number("fs", c.fs_hz);
  c.chunk_s = r.number("chunk", c.chunk_s);
  c.duration_s = r.number("duration", c.duration_s);
  c.realtime = r.boolean("realtime", c.realtime);
  c.dx_m = r.number("dx", c.dx_m);
  c.noise_rms = r.number("noise", c.noise_rms);
  c.event_interval_s = r.number("event_interval", c.event_interval_s);
  c.event_amplitude = r.number("event_amplitude", c.event_amplitude);
  c.event_frequency_hz = r.number("event_frequency", c.event_frequency_hz);
  c.event_velocity_m_s = r.number("event_velocity", c.event_velocity_m_s);
  c.seed = static_cast<std::uint64_t>(r.integer("seed", 1, 0, std::numeric_limits<std::int64_t>::max()));
  if (r.has("start")) {
    c.start_s = r.number("start", 0.0);
    if (!(*c.start_s >= 0 && *c.start_s < 9e9)) r.error("start", "must be seconds since the epoch, in [0, 9e9)");
  }
  if (r.has("gaps")) {
    const YAML::Node g = node["gaps"];
    bool ok = g.IsSequence();
    for (std::size_t i = 0; ok && i < g.size(); ++i) {
      ok = g[i].IsSequence() && g[i].size() == 2;
      try {
        if (ok) c.gaps_s.emplace_back(g[i][0].as<double>(), g[i][1].as<double>());
      } catch (const YAML::Exception&) {
        ok = false;
      }
      ok = ok && c.gaps_s.back().first >= 0 && c.gaps_s.back().second > 0;
    }
    if (!ok) r.error("gaps", "must be a list of [start, length] pairs in seconds (start >= 0, length > 0)");
  }
  r.known("gaps");
  const bool fs_ok = c.fs_hz > 0 && c.fs_hz <= 1e6;
  if (!fs_ok) r.error("fs", "must be in (0, 1e6] Hz");
  if (fs_ok && !(c.chunk_s * c.fs_hz >= 1.0)) r.error("chunk", "must hold at least one sample (chunk × fs >= 1)");
  if (c.duration_s < 0) r.error("duration", "must be >= 0 (0 = endless)");
  if (!(c.dx_m > 0)) r.error("dx", "must be > 0 m");
  if (c.noise_rms < 0) r.error("noise", "must be >= 0");
  if (!(c.event_interval_s > 0)) r.error("event_interval", "must be > 0 s");
  if (fs_ok && !(c.event_frequency_hz > 0 && c.event_frequency_hz < c.fs_hz / 2))
    r.error("event_frequency", "must be in (0, fs/2) Hz");
  if (!(c.event_velocity_m_s > 0)) r.error("event_velocity", "must be > 0 m/s");
  DASFLOW_TRY(r.finish());
  return c;
}

SyntheticSource::SyntheticSource(Config config, std::int64_t start_ns) : config_(config) {
  stream_.fs_hz = config_.fs_hz;
  stream_.n_channels = config_.channels;
  stream_.coords = std::make_shared<const ChannelCoords>(ChannelCoords{0, 1, config_.dx_m});
  // Index 0 at the epoch: origin 0, so index i is at round(i * 1e9 / fs) ns.
  stream_.origin_ns = 0;
  first_index_ = static_cast<std::int64_t>(std::floor(static_cast<double>(start_ns) * config_.fs_hz / 1e9));
  next_index_ = first_index_;
  chunk_samples_ = static_cast<std::size_t>(std::llround(config_.chunk_s * config_.fs_hz));
  end_index_ = config_.duration_s > 0 ? first_index_ + std::llround(config_.duration_s * config_.fs_hz)
                                      : std::numeric_limits<std::int64_t>::max();
  for (const auto& [start_s, length_s] : config_.gaps_s) {
    const std::int64_t b = first_index_ + std::llround(start_s * config_.fs_hz);
    gaps_.emplace_back(b, b + std::max<std::int64_t>(1, std::llround(length_s * config_.fs_hz)));
  }
}

std::int64_t SyntheticSource::event_index(std::int64_t k) const noexcept {
  const double interval = config_.event_interval_s * config_.fs_hz;
  // Events sit on a grid anchored at the epoch, so they are at the same index in every run.
  const auto period = static_cast<std::int64_t>(std::llround(interval));
  return k * period + period / 2;
}

std::size_t SyntheticSource::event_channel(std::int64_t k) const noexcept {
  const auto n = static_cast<std::uint64_t>(config_.channels);
  return static_cast<std::size_t>(mix(static_cast<std::uint64_t>(k) ^ config_.seed) % n);
}

void SyntheticSource::fill_row(std::int64_t index, float* row) const noexcept {
  const std::size_t n = config_.channels;
  // Noise: one counter-based hash per sample (of index, channel, seed), its four 16-bit parts summed
  // (Irwin–Hall: close to Gaussian, within ±3.46 sigma) and scaled to unit variance. No
  // transcendental functions, so a 10,000-channel stream is generated far faster than real time;
  // a row depends only on its index, never on how rows are chunked.
  const std::uint64_t row_key = mix(static_cast<std::uint64_t>(index) * 0x100000001b3ULL ^ mix(config_.seed));
  // Sum of four U(0, 65535): mean 131070, variance 4 (65536^2 - 1) / 12.
  constexpr double kMean = 2.0 * 65535.0, kInvStd = 1.0 / 37837.228;
  const double scale = config_.noise_rms * kInvStd;
  for (std::size_t c = 0; c < n; ++c) {
    const std::uint64_t h = mix(row_key + c);
    const auto sum = static_cast<double>((h & 0xffff) + ((h >> 16) & 0xffff) + ((h >> 32) & 0xffff) + (h >> 48));
    row[c] = static_cast<float>((sum - kMean) * scale);
  }

  // Wavefronts: a Ricker wavelet leaving its origin channel in both directions at the apparent
  // velocity; only the channels the front covers at this instant are touched.
  const auto period = static_cast<std::int64_t>(std::llround(config_.event_interval_s * config_.fs_hz));
  const double max_travel_s = static_cast<double>(n) * config_.dx_m / config_.event_velocity_m_s;
  const double half_width_s = 3.0 / config_.event_frequency_hz;
  const std::int64_t k_hi = (index - period / 2) / period + 1;
  const auto k_span = static_cast<std::int64_t>((max_travel_s + half_width_s) * config_.fs_hz) / period + 1;
  const double channels_per_s = config_.event_velocity_m_s / config_.dx_m;
  for (std::int64_t k = std::max<std::int64_t>(0, k_hi - k_span); k <= k_hi; ++k) {
    const double since_s = static_cast<double>(index - event_index(k)) / config_.fs_hz;
    if (since_s + half_width_s <= 0) continue;
    const auto origin = static_cast<double>(event_channel(k));
    // Channels at distance d (in channels) have t = since - d / channels_per_s in (-hw, hw).
    const double d_lo = std::max(0.0, (since_s - half_width_s) * channels_per_s);
    const double d_hi = (since_s + half_width_s) * channels_per_s;
    for (const double side : {-1.0, 1.0}) {
      const double c_from = origin + side * d_lo, c_to = origin + side * d_hi;
      const auto lo = static_cast<std::int64_t>(std::floor(std::max(0.0, std::min(c_from, c_to))));
      const auto hi =
          static_cast<std::int64_t>(std::ceil(std::min(static_cast<double>(n) - 1, std::max(c_from, c_to))));
      for (std::int64_t c = lo; c <= hi; ++c) {
        const double dc = static_cast<double>(c) - origin;
        if ((side < 0 && dc > 0) || (side > 0 && dc <= 0)) continue; // each channel from one side only
        const double t = since_s - std::fabs(dc) / channels_per_s;
        if (std::fabs(t) < half_width_s)
          row[c] = static_cast<float>(static_cast<double>(row[c]) + config_.event_amplitude * config_.noise_rms *
                                                                        ricker(t, config_.event_frequency_hz));
      }
    }
  }
}

float SyntheticSource::sample(std::int64_t index, std::size_t column) const {
  std::vector<float> row(config_.channels);
  fill_row(index, row.data());
  return row[column];
}

bool SyntheticSource::next(Chunk& out) {
  // Skip lost samples; stop a chunk where a loss begins.
  for (const auto& [b, e] : gaps_)
    if (next_index_ >= b && next_index_ < e) next_index_ = e;
  std::int64_t limit = end_index_;
  for (const auto& [b, e] : gaps_)
    if (b > next_index_) limit = std::min(limit, b);
  if (next_index_ >= end_index_) return false;
  const auto n =
      static_cast<std::size_t>(std::min<std::int64_t>(static_cast<std::int64_t>(chunk_samples_), limit - next_index_));
  out.reshape(n, config_.channels);
  out.first_index = next_index_;
  out.events.clear();
  for (std::size_t t = 0; t < n; ++t)
    fill_row(next_index_ + static_cast<std::int64_t>(t), out.row(t));
  next_index_ += static_cast<std::int64_t>(n);
  return true;
}

Result<bool> SyntheticSource::next(Chunk& out, const std::atomic<bool>& stop) {
  if (stop.load()) return false;
  if (config_.realtime && next_index_ < end_index_) {
    const std::int64_t n = std::min<std::int64_t>(static_cast<std::int64_t>(chunk_samples_), end_index_ - next_index_);
    const std::int64_t due_ns = stream_.time_ns(next_index_ + n);
    // Sleep in short steps so a stop request is honoured within 50 ms.
    for (;;) {
      if (stop.load()) return false;
      const auto now_ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count();
      if (now_ns >= due_ns) break;
      std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<std::int64_t>(due_ns - now_ns, 50'000'000)));
    }
  }
  return next(out);
}

Result<void> SyntheticSource::seek(std::int64_t index) {
  if (!config_.realtime) next_index_ = std::max(index, first_index_);
  return {};
}

std::string SyntheticSource::describe() const {
  char buf[256];
  std::snprintf(buf, sizeof buf, "synthetic interrogator: %zu channels at %g Hz, %zu-sample chunks, %s, ",
                config_.channels, config_.fs_hz, chunk_samples_,
                config_.realtime ? "real time" : "as fast as possible");
  char dur[64];
  if (config_.duration_s > 0)
    std::snprintf(dur, sizeof dur, "%g s", config_.duration_s);
  else
    std::snprintf(dur, sizeof dur, "endless");
  return std::string(buf) + dur;
}

} // namespace dasflow::io
