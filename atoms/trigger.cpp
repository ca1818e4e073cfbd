#include "dasflow/atoms/trigger.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "dasflow/core/yaml_writer.hpp"

namespace dasflow::atoms {

namespace {
constexpr std::int64_t kStateVersion = 1;
} // namespace

std::unique_ptr<Atom> Trigger::from_config(ConfigReader& r) {
  Config c;
  const auto on = r.optional_number("on_threshold");
  const auto off = r.optional_number("off_threshold");
  if (!on) r.error("on_threshold", "is required");
  if (!off) r.error("off_threshold", "is required");
  // trigger_onset with off > on pairs on-times with unrelated off-runs; refuse it.
  if (on && off && *off > *on)
    r.error("off_threshold",
            "must not exceed on_threshold (" + YamlFlowMap::format(*on) + "), got " + YamlFlowMap::format(*off));
  c.on_threshold = on.value_or(c.on_threshold);
  c.off_threshold = off.value_or(c.off_threshold);
  c.max_length_s = r.number("max_length", 0.0);
  if (c.max_length_s < 0) r.error("max_length", "must be >= 0 s (0 = unlimited)");
  return std::make_unique<Trigger>(c);
}

Result<StreamInfo> Trigger::configure(const StreamInfo& in) {
  DASFLOW_TRY(require_time_series(in, "its events name fibre channels"));
  in_ = in;
  // As ObsPy's coincidence_trigger converts max_trigger_length: int(seconds * fs + 0.5).
  max_len_ = config_.max_length_s > 0 ? static_cast<std::int64_t>(config_.max_length_s * in.fs_hz + 0.5) : 0;
  if (config_.max_length_s > 0 && max_len_ < 1)
    return origin_.error("max_length", "is shorter than one sample at the input rate");
  const std::size_t n = in.n_channels;
  above_on_.assign(n, 0);
  active_.assign(n, 0);
  on_index_.assign(n, 0);
  peak_index_.assign(n, 0);
  peak_.assign(n, 0.0);
  return in;
}

void Trigger::reset() noexcept {
  std::fill(above_on_.begin(), above_on_.end(), 0);
  std::fill(active_.begin(), active_.end(), 0);
  std::fill(on_index_.begin(), on_index_.end(), 0);
  std::fill(peak_index_.begin(), peak_index_.end(), 0);
  std::fill(peak_.begin(), peak_.end(), 0.0);
}

Result<void> Trigger::process(const ChunkView& in, Chunk& out) {
  process_by_columns(in, out);
  return {};
}

void Trigger::process_tile(const ColumnTile& tile) noexcept {
  const double on = config_.on_threshold, off = config_.off_threshold;
  std::vector<Event> closed;
  for (std::size_t t = 0; t < tile.in_rows; ++t) {
    const float* row = tile.in + t * tile.in_stride;
    std::memcpy(tile.out + t * tile.out_stride, row, tile.width * sizeof(float));
    const std::int64_t i = tile.in_first_index + static_cast<std::int64_t>(t);
    for (std::size_t k = 0; k < tile.width; ++k) {
      const std::size_t c = tile.c0 + k;
      // Fast path for the common case, 8 channels at a time: none has an open event and none is
      // at or above on_threshold, so the only change is above_on_ = 0 (what the loop below does).
      if (k % 8 == 0 && k + 8 <= tile.width) {
        bool quiet = true;
        for (std::size_t j = 0; j < 8; ++j)
          quiet = quiet & (active_[c + j] == 0) & (static_cast<double>(row[k + j]) < on);
        if (quiet) {
          for (std::size_t j = 0; j < 8; ++j)
            above_on_[c + j] = 0;
          k += 7;
          continue;
        }
      }
      const double v = row[k];
      const bool now_on = v >= on;
      if (active_[c]) {
        const bool capped = max_len_ > 0 && i == on_index_[c] + max_len_;
        // Since off <= on, an open event is always inside its cf >= off run: it closes on the
        // previous sample when the run ends, or on this one at the cap.
        if (v >= off && v > peak_[c]) peak_[c] = v, peak_index_[c] = i;
        std::int64_t close_at = -1;
        if (v < off)
          close_at = i - 1;
        else if (capped)
          close_at = i;
        if (close_at >= 0) {
          Event e;
          e.kind = EventKind::trigger;
          e.channel = in_.coords->number(c);
          e.on_index = on_index_[c];
          e.off_index = close_at;
          e.peak = peak_[c];
          e.peak_index = peak_index_[c];
          e.decided_index = i;
          closed.push_back(std::move(e));
          active_[c] = 0;
        }
      } else if (now_on && !above_on_[c]) {
        active_[c] = 1;
        on_index_[c] = i;
        peak_[c] = v;
        peak_index_[c] = i;
      }
      above_on_[c] = now_on;
    }
  }
  if (closed.empty()) return;
  const std::lock_guard lock(pending_.mutex);
  pending_.by_tile.emplace_back(tile.c0, std::move(closed));
}

void Trigger::end_columns(const ChunkView& in, Chunk& out) {
  out.events.assign(in.events.begin(), in.events.end());
  // Each tile's events are in (sample, channel) order; tiles are disjoint column ranges. Tiles in
  // column order, then a stable sort by decided index, give (sample, channel) order over all
  // channels: the order of one pass over the whole chunk, whatever the tiling.
  auto& tiles = pending_.by_tile;
  std::sort(tiles.begin(), tiles.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  const auto own_begin = static_cast<std::ptrdiff_t>(out.events.size());
  for (auto& [c0, events] : tiles)
    out.events.insert(out.events.end(), std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
  const bool several_tiles = tiles.size() > 1;
  tiles.clear();
  const auto by_decided = [](const Event& a, const Event& b) { return a.decided_index < b.decided_index; };
  if (several_tiles) std::stable_sort(out.events.begin() + own_begin, out.events.end(), by_decided);
  // Merge with upstream events by decided index (stable: upstream first on a tie) so the event
  // stream does not depend on chunking.
  if (!in.events.empty()) std::stable_sort(out.events.begin(), out.events.end(), by_decided);

  // Every future event starts at a later sample, or is open now: nothing before the earliest open
  // on-index is still to come.
  std::int64_t watermark = in.end_index();
  for (std::size_t c = 0; c < in.n_channels; ++c)
    if (active_[c]) watermark = std::min(watermark, on_index_[c]);
  out.event_watermark = std::min(in.event_watermark, watermark);
}

StateTree Trigger::save_state() const {
  StateTree t("trigger", kStateVersion);
  t.set("n_channels", static_cast<std::int64_t>(above_on_.size()));
  t.set("above_on", above_on_);
  t.set("active", active_);
  t.set("on_index", on_index_);
  t.set("peak_index", peak_index_);
  t.set("peak", peak_);
  return t;
}

Result<void> Trigger::restore_state(const StateTree& s) {
  DASFLOW_TRY(s.expect("trigger", kStateVersion));
  DASFLOW_TRY_ASSIGN(n_channels, s.get_int("n_channels"));
  const std::size_t n = above_on_.size();
  if (n_channels != static_cast<std::int64_t>(n))
    return fail(Errc::state_mismatch, "trigger state is for " + std::to_string(n_channels) +
                                          " channels, the pipeline has " + std::to_string(n));
  std::vector<std::vector<std::int64_t>> ints;
  for (const char* name : {"above_on", "active", "on_index", "peak_index"}) {
    DASFLOW_TRY_ASSIGN(v, s.get_ints(name));
    if (v.size() != n)
      return fail(Errc::state_mismatch, std::string("trigger state field '") + name + "' has " +
                                            std::to_string(v.size()) + " values, the pipeline needs " +
                                            std::to_string(n));
    ints.push_back(std::move(v));
  }
  DASFLOW_TRY_ASSIGN(peak, s.get_doubles("peak", n));
  // A state from elsewhere (another build, a hand-edited file) must not drive process() into
  // overflow: on_index + max_len is computed for every open event (found by fuzzing restore).
  // Stream indices count samples since the epoch: ±2^62 is ~14,000 years at 10 MHz.
  constexpr std::int64_t kMaxIndex = std::int64_t{1} << 62;
  for (std::size_t c = 0; c < n; ++c) {
    const bool flags_ok = (ints[0][c] == 0 || ints[0][c] == 1) && (ints[1][c] == 0 || ints[1][c] == 1);
    const bool indices_ok =
        ints[2][c] >= -kMaxIndex && ints[2][c] <= kMaxIndex && ints[3][c] >= ints[2][c] && ints[3][c] <= kMaxIndex;
    if (!flags_ok || (ints[1][c] == 1 && !indices_ok))
      return fail(Errc::state_mismatch, "trigger state of channel " + std::to_string(c) +
                                            " is inconsistent (above_on " + std::to_string(ints[0][c]) + ", active " +
                                            std::to_string(ints[1][c]) + ", on_index " + std::to_string(ints[2][c]) +
                                            ", peak_index " + std::to_string(ints[3][c]) + ")");
  }
  above_on_ = std::move(ints[0]);
  active_ = std::move(ints[1]);
  on_index_ = std::move(ints[2]);
  peak_index_ = std::move(ints[3]);
  peak_ = std::move(peak);
  return {};
}

std::string Trigger::config_yaml() const {
  YamlFlowMap m("trigger");
  m.add("on_threshold", config_.on_threshold).add("off_threshold", config_.off_threshold);
  if (config_.max_length_s > 0) m.add("max_length", config_.max_length_s);
  return m.str();
}

} // namespace dasflow::atoms
