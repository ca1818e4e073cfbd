#include "dasflow/atoms/coincidence.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "dasflow/core/yaml_writer.hpp"

namespace dasflow::atoms {

namespace {

constexpr std::int64_t kStateVersion = 1;

/// ObsPy sorts (on, off, trace id, ...) tuples; the channel number plays the trace id.
bool earlier(const Event& a, const Event& b) {
  if (a.on_index != b.on_index) return a.on_index < b.on_index;
  if (a.off_index != b.off_index) return a.off_index < b.off_index;
  return a.channel < b.channel;
}

} // namespace

std::unique_ptr<Atom> Coincidence::from_config(ConfigReader& r) {
  Config c;
  c.min_channels = r.integer("min_channels", 2, 1, 10'000'000);
  if (!r.has("min_channels")) r.error("min_channels", "is required (how many channels must trigger together)");
  c.window_s = r.number("window", 0.0);
  if (c.window_s < 0) r.error("window", "must be >= 0 s");
  return std::make_unique<Coincidence>(c);
}

Result<StreamInfo> Coincidence::configure(const StreamInfo& in) {
  DASFLOW_TRY(require_time_series(in, "it groups events by fibre channel"));
  window_samples_ = config_.window_s * in.fs_hz;
  coords_ = *in.coords;
  member_stamp_.assign(in.n_channels, 0u);
  stamp_ = 0;
  reset();
  return in;
}

void Coincidence::reset() noexcept {
  pending_.clear();
  emitted_any_ = false;
  last_off_ = 0;
  last_decided_ = std::numeric_limits<std::int64_t>::min();
}

void Coincidence::decide(const ChunkView& in, std::vector<Event>& out) {
  const std::int64_t end = in.end_index();
  const std::int64_t chunk_watermark = in.event_watermark;
  while (!pending_.empty()) {
    const Event& first = pending_.front();
    Event group;
    group.kind = EventKind::coincidence;
    group.channel = first.channel;
    group.on_index = first.on_index;
    group.off_index = first.off_index;
    group.peak = first.peak;
    group.peak_index = first.peak_index;
    group.channels = {first.channel};
    // Membership by a per-column stamp: O(1) without hashing (groups span thousands of channels).
    if (++stamp_ == 0) std::fill(member_stamp_.begin(), member_stamp_.end(), 0u), stamp_ = 1;
    member_stamp_[column_of(first.channel)] = stamp_;
    for (std::size_t k = 1; k < pending_.size(); ++k) {
      const Event& e = pending_[k];
      std::uint32_t& mark = member_stamp_[column_of(e.channel)];
      if (mark == stamp_) continue;
      if (static_cast<double>(e.on_index) > static_cast<double>(group.off_index) + window_samples_) break;
      mark = stamp_;
      group.channels.push_back(e.channel);
      group.off_index = std::max(group.off_index, e.off_index);
      if (e.peak > group.peak) group.peak = e.peak, group.peak_index = e.peak_index;
    }
    // The group is final at the first sample j after which no event starting at or before
    // limit = off + window can still arrive: j + 1 > limit (later samples start later), every such
    // event delivered in this chunk was decided at or before j, and none is still open (the chunk's
    // watermark is past the limit, or j is before it). Groups are decided in order.
    const double limit = static_cast<double>(group.off_index) + window_samples_;
    std::int64_t j = std::max(in.first_index, last_decided_);
    j = std::max(j, static_cast<std::int64_t>(std::floor(limit))); // smallest j with j + 1 > limit
    for (const Event& e : in.events)
      if (e.kind == EventKind::trigger && static_cast<double>(e.on_index) <= limit) j = std::max(j, e.decided_index);
    const bool open_upstream = j >= chunk_watermark && !(static_cast<double>(chunk_watermark) > limit);
    if (j >= end || open_upstream) return;
    last_decided_ = j;
    pending_.pop_front();
    if (static_cast<std::int64_t>(group.channels.size()) < config_.min_channels) continue;
    if (emitted_any_ && group.off_index <= last_off_) continue; // a subset of the previous group
    emitted_any_ = true;
    last_off_ = group.off_index;
    group.decided_index = j;
    out.push_back(std::move(group));
  }
}

Result<void> Coincidence::process(const ChunkView& in, Chunk& out) {
  out.reshape(in.n_samples, in.n_channels);
  out.first_index = in.first_index;
  if (!in.samples.empty()) std::memcpy(out.samples.data(), in.samples.data(), in.samples.size() * sizeof(float));
  out.events.assign(in.events.begin(), in.events.end());
  for (const Event& e : in.events)
    if (e.kind == EventKind::trigger)
      pending_.insert(std::upper_bound(pending_.begin(), pending_.end(), e, earlier), e);
  decide(in, out.events);
  // Chunk events in decided order (stable: upstream events first on a tie).
  std::stable_sort(out.events.begin(), out.events.end(),
                   [](const Event& a, const Event& b) { return a.decided_index < b.decided_index; });
  out.event_watermark = pending_.empty() ? in.event_watermark : std::min(in.event_watermark, pending_.front().on_index);
  return {};
}

StateTree Coincidence::save_state() const {
  StateTree t("coincidence", kStateVersion);
  std::vector<std::int64_t> channel, on, off, peak_index;
  std::vector<double> peak;
  for (const Event& e : pending_) {
    channel.push_back(e.channel);
    on.push_back(e.on_index);
    off.push_back(e.off_index);
    peak_index.push_back(e.peak_index);
    peak.push_back(e.peak);
  }
  t.set("channel", channel);
  t.set("on_index", on);
  t.set("off_index", off);
  t.set("peak_index", peak_index);
  t.set("peak", peak);
  t.set("emitted_any", static_cast<std::int64_t>(emitted_any_));
  t.set("last_off", last_off_);
  t.set("last_decided", last_decided_);
  return t;
}

Result<void> Coincidence::restore_state(const StateTree& s) {
  DASFLOW_TRY(s.expect("coincidence", kStateVersion));
  DASFLOW_TRY_ASSIGN(channel, s.get_ints("channel"));
  DASFLOW_TRY_ASSIGN(on, s.get_ints("on_index"));
  DASFLOW_TRY_ASSIGN(off, s.get_ints("off_index"));
  DASFLOW_TRY_ASSIGN(peak_index, s.get_ints("peak_index"));
  DASFLOW_TRY_ASSIGN(peak, s.get_doubles("peak", channel.size()));
  DASFLOW_TRY_ASSIGN(emitted_any, s.get_int("emitted_any"));
  DASFLOW_TRY_ASSIGN(last_off, s.get_int("last_off"));
  DASFLOW_TRY_ASSIGN(last_decided, s.get_int("last_decided"));
  if (on.size() != channel.size() || off.size() != channel.size() || peak_index.size() != channel.size())
    return fail(Errc::state_mismatch, "coincidence state: pending event fields differ in length");
  std::deque<Event> pending(channel.size());
  for (std::size_t i = 0; i < pending.size(); ++i) {
    const std::int64_t col = (channel[i] - coords_.first) / coords_.step;
    if (col < 0 || col >= static_cast<std::int64_t>(member_stamp_.size()) ||
        coords_.number(static_cast<std::size_t>(col)) != channel[i])
      return fail(Errc::state_mismatch,
                  "coincidence state: channel " + std::to_string(channel[i]) + " is not a channel of this stream");
    pending[i].channel = channel[i];
    pending[i].on_index = on[i];
    pending[i].off_index = off[i];
    pending[i].peak_index = peak_index[i];
    pending[i].peak = peak[i];
  }
  if (!std::is_sorted(pending.begin(), pending.end(), earlier))
    return fail(Errc::state_mismatch, "coincidence state: pending events are not in order");
  pending_ = std::move(pending);
  emitted_any_ = emitted_any != 0;
  last_off_ = last_off;
  last_decided_ = last_decided;
  return {};
}

std::string Coincidence::config_yaml() const {
  return YamlFlowMap("coincidence").add("min_channels", config_.min_channels).add("window", config_.window_s).str();
}

} // namespace dasflow::atoms
