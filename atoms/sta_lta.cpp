#include "dasflow/atoms/sta_lta.hpp"

#include <cmath>

#include "dasflow/core/yaml_writer.hpp"
#include "kernel_dispatch.hpp"
#include "simd_group.hpp"

namespace dasflow::atoms {

namespace {

constexpr std::int64_t kStateVersion = 1;

/// The square of a float32 sample in double is exact (24-bit mantissa squared fits in 53 bits), so
/// the ring keeps the float32 samples (half the memory of their squares) and squares them again.
inline double sq(float v) { return static_cast<double>(v) * static_cast<double>(v); }

/// One row of classic STA/LTA (ObsPy stalta.c, OPTIMIZED_VERSION), at stream position p.
/// `old_s` holds a[p-s] and `ring` the slot of a[p-l], which this row overwrites with a[p].
/// ObsPy's `x += buf - old` is x = x + (buf - old); keep that order.
DASFLOW_KERNEL void classic_row(const float* x, float* cf, std::size_t n, std::int64_t p, std::int64_t s,
                                std::int64_t l, double frac, double* sta, double* lta, const float* old_s,
                                float* ring) {
  if (p < s) {
    for (std::size_t c = 0; c < n; ++c) {
      const double buf = sq(x[c]);
      sta[c] = sta[c] + buf;
      ring[c] = x[c];
      cf[c] = 0.0f;
    }
    if (p == s - 1)
      for (std::size_t c = 0; c < n; ++c)
        lta[c] = sta[c];
  } else if (p < l) {
    for (std::size_t c = 0; c < n; ++c) {
      const double buf = sq(x[c]);
      lta[c] = lta[c] + buf;
      sta[c] = sta[c] + (buf - sq(old_s[c]));
      ring[c] = x[c];
      cf[c] = 0.0f;
    }
    if (p == l - 1)
      for (std::size_t c = 0; c < n; ++c)
        cf[c] = lta[c] != 0.0 ? static_cast<float>(sta[c] / lta[c] * frac) : 0.0f;
  } else {
    for (std::size_t c = 0; c < n; ++c) {
      const double buf = sq(x[c]);
      sta[c] = sta[c] + (buf - sq(old_s[c]));
      lta[c] = lta[c] + (buf - sq(ring[c]));
      ring[c] = x[c];
      cf[c] = lta[c] != 0.0 ? static_cast<float>(sta[c] / lta[c] * frac) : 0.0f;
    }
  }
}

/// One row of recursive STA/LTA (ObsPy recstalta.c) at stream position p >= 1:
///   sta = csta a^2 + (1 - csta) sta,  lta = clta a^2 + (1 - clta) lta,  cf = sta / lta
/// with cf forced to 0 while p < l.
DASFLOW_KERNEL void recursive_row(const float* x, float* cf, std::size_t n, bool warm, double csta, double clta,
                                  double* sta, double* lta) {
  const double keep_sta = 1.0 - csta, keep_lta = 1.0 - clta;
  for (std::size_t c = 0; c < n; ++c) {
    const double a2 = sq(x[c]);
    sta[c] = csta * a2 + keep_sta * sta[c];
    lta[c] = clta * a2 + keep_lta * lta[c];
    cf[c] = warm && lta[c] != 0.0 ? static_cast<float>(sta[c] / lta[c]) : 0.0f;
  }
}

/// recursive_row over `n_rows` rows at stream positions p0, p0 + 1, ... (all >= 1), with each
/// group of kGroup channels' sta and lta in registers across the rows (simd_group.hpp); the
/// remainder columns go through recursive_row. Same operations in the same order per lane.
DASFLOW_KERNEL void recursive_rows(const float* x, std::size_t x_stride, float* cf, std::size_t cf_stride,
                                   std::size_t n_rows, std::size_t width, std::int64_t p0, std::int64_t nlta,
                                   double csta, double clta, double* sta, double* lta) {
  using simd::GroupD;
  const double keep_sta = 1.0 - csta, keep_lta = 1.0 - clta;
  const GroupD zero = {};
  std::size_t c = 0;
  for (; c + simd::kGroup <= width; c += simd::kGroup) {
    GroupD s = simd::load(sta + c), l = simd::load(lta + c);
    for (std::size_t t = 0; t < n_rows; ++t) {
      const GroupD a = simd::load_widen(x + t * x_stride + c);
      const GroupD a2 = a * a;
      s = csta * a2 + keep_sta * s;
      l = clta * a2 + keep_lta * l;
      const GroupD ratio = s / l;
      simd::narrow_store(cf + t * cf_stride + c,
                         p0 + static_cast<std::int64_t>(t) >= nlta ? (l != 0.0 ? ratio : zero) : zero);
    }
    simd::store(sta + c, s);
    simd::store(lta + c, l);
  }
  if (c == width) return;
  for (std::size_t t = 0; t < n_rows; ++t)
    recursive_row(x + t * x_stride + c, cf + t * cf_stride + c, width - c, p0 + static_cast<std::int64_t>(t) >= nlta,
                  csta, clta, sta + c, lta + c);
}

} // namespace

std::unique_ptr<Atom> StaLta::from_config(ConfigReader& r) {
  Config c;
  c.method =
      r.choice("method", "classic", {"classic", "recursive"}) == "recursive" ? Method::recursive : Method::classic;
  const auto sta = r.optional_number("sta");
  const auto lta = r.optional_number("lta");
  if (!sta) r.error("sta", "is required (seconds)");
  if (!lta) r.error("lta", "is required (seconds)");
  if (sta && !(*sta > 0)) r.error("sta", "must be > 0 s, got " + YamlFlowMap::format(*sta));
  if (sta && lta && !(*lta > *sta))
    r.error("lta", "must be greater than sta (" + YamlFlowMap::format(*sta) + "), got " + YamlFlowMap::format(*lta));
  c.sta_s = sta.value_or(c.sta_s);
  c.lta_s = lta.value_or(c.lta_s);
  return std::make_unique<StaLta>(c);
}

Result<StreamInfo> StaLta::configure(const StreamInfo& in) {
  // int(sta * fs): truncation, as ObsPy's callers write it.
  nsta_ = static_cast<std::int64_t>(config_.sta_s * in.fs_hz);
  nlta_ = static_cast<std::int64_t>(config_.lta_s * in.fs_hz);
  if (nsta_ < 1)
    return origin_.error("sta",
                         "is shorter than one sample at the input rate (" + YamlFlowMap::format(in.fs_hz) + " Hz)");
  if (nlta_ <= nsta_)
    return origin_.error("lta", "must span more samples than sta at the input rate (" + YamlFlowMap::format(in.fs_hz) +
                                    " Hz): " + std::to_string(nlta_) + " <= " + std::to_string(nsta_));
  if (nlta_ > 100'000'000) return origin_.error("lta", "is longer than 1e8 samples");
  n_channels_ = in.n_channels;
  sta_.resize(n_channels_);
  lta_.resize(n_channels_);
  history_.resize(config_.method == Method::classic ? static_cast<std::size_t>(nlta_) * n_channels_ : 0);
  reset();
  return in;
}

void StaLta::reset() noexcept {
  count_ = 0;
  sta_.assign_zero();
  lta_.assign_zero();
  history_.assign_zero();
}

Result<void> StaLta::process(const ChunkView& in, Chunk& out) {
  process_by_columns(in, out);
  return {};
}

ChunkShape StaLta::begin_columns(const ChunkView& in) {
  chunk_first_index_ = in.first_index;
  return {in.n_samples, in.first_index};
}

void StaLta::process_tile(const ColumnTile& tile) noexcept {
  const double frac = static_cast<double>(nlta_) / static_cast<double>(nsta_);
  const double csta = 1.0 / static_cast<double>(nsta_), clta = 1.0 / static_cast<double>(nlta_);
  double* const sta = sta_.data() + tile.c0;
  double* const lta = lta_.data() + tile.c0;
  // Stream position of the tile's first row: the count at the start of the chunk (advanced only in
  // end_columns) plus the tile's offset in the chunk.
  std::int64_t p = count_ + (tile.in_first_index - chunk_first_index_);
  if (config_.method == Method::recursive) {
    std::size_t t = 0;
    if (p == 0 && tile.in_rows > 0) {
      // recstalta.c starts at i = 1: the stream's first sample never enters the averages.
      for (std::size_t c = 0; c < tile.width; ++c)
        tile.out[c] = 0.0f;
      t = 1;
    }
    recursive_rows(tile.in + t * tile.in_stride, tile.in_stride, tile.out + t * tile.out_stride, tile.out_stride,
                   tile.in_rows - t, tile.width, p + static_cast<std::int64_t>(t), nlta_, csta, clta, sta, lta);
    return;
  }
  for (std::size_t t = 0; t < tile.in_rows; ++t, ++p) {
    const auto ring_row = [&](std::int64_t q) {
      return history_.data() + static_cast<std::size_t>(q % nlta_) * n_channels_ + tile.c0;
    };
    classic_row(tile.in + t * tile.in_stride, tile.out + t * tile.out_stride, tile.width, p, nsta_, nlta_, frac, sta,
                lta, p >= nsta_ ? ring_row(p - nsta_) : nullptr, ring_row(p));
  }
}

void StaLta::end_columns(const ChunkView& in, Chunk& out) {
  count_ += static_cast<std::int64_t>(in.n_samples);
  pass_events(in, out);
}

StateTree StaLta::save_state() const {
  StateTree t("stalta", kStateVersion);
  t.set("method", std::string(config_.method == Method::classic ? "classic" : "recursive"));
  t.set("nsta", nsta_);
  t.set("nlta", nlta_);
  t.set("n_channels", static_cast<std::int64_t>(n_channels_));
  t.set("count", count_);
  t.set("sta", std::vector<double>(sta_.begin(), sta_.end()));
  t.set("lta", std::vector<double>(lta_.begin(), lta_.end()));
  if (config_.method == Method::classic) t.set("history", std::vector<double>(history_.begin(), history_.end()));
  return t;
}

Result<void> StaLta::restore_state(const StateTree& s) {
  DASFLOW_TRY(s.expect("stalta", kStateVersion));
  DASFLOW_TRY_ASSIGN(method, s.get_string("method"));
  DASFLOW_TRY_ASSIGN(nsta, s.get_int("nsta"));
  DASFLOW_TRY_ASSIGN(nlta, s.get_int("nlta"));
  DASFLOW_TRY_ASSIGN(n_channels, s.get_int("n_channels"));
  DASFLOW_TRY_ASSIGN(count, s.get_int("count"));
  const std::string want = config_.method == Method::classic ? "classic" : "recursive";
  if (method != want || nsta != nsta_ || nlta != nlta_ || n_channels != static_cast<std::int64_t>(n_channels_) ||
      count < 0)
    return fail(Errc::state_mismatch, "stalta state is for " + method + " " + std::to_string(nsta) + "/" +
                                          std::to_string(nlta) + " samples × " + std::to_string(n_channels) +
                                          " channels, the pipeline has " + want + " " + std::to_string(nsta_) + "/" +
                                          std::to_string(nlta_) + " × " + std::to_string(n_channels_));
  DASFLOW_TRY_ASSIGN(sta, s.get_doubles("sta", n_channels_));
  DASFLOW_TRY_ASSIGN(lta, s.get_doubles("lta", n_channels_));
  std::vector<double> history;
  if (config_.method == Method::classic) {
    DASFLOW_TRY_ASSIGN(h, s.get_doubles("history", history_.size()));
    history = std::move(h);
  }
  count_ = count;
  std::copy(sta.begin(), sta.end(), sta_.begin());
  std::copy(lta.begin(), lta.end(), lta_.begin());
  for (std::size_t i = 0; i < history.size(); ++i)
    history_[i] = static_cast<float>(history[i]);
  return {};
}

std::string StaLta::config_yaml() const {
  return YamlFlowMap("stalta")
      .add("method", config_.method == Method::classic ? "classic" : "recursive")
      .add("sta", config_.sta_s)
      .add("lta", config_.lta_s)
      .str();
}

} // namespace dasflow::atoms
