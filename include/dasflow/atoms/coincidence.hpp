#pragma once
/// \file coincidence.hpp
/// `coincidence`: the DAS detector: a group of trigger events from at least `min_channels` distinct
/// channels (REFERENCE.md "Coincidence", after ObsPy `coincidence_trigger` with unit weights).
///
/// ObsPy's rule, over trigger events sorted by (on, off, channel): take the first event; every later
/// event from a channel not yet in the group whose on index is not after the group's off + window
/// joins, extending off to the latest off; stop at the first that starts later. A group with at
/// least min_channels channels whose off is after the previous emitted group's off is emitted. The
/// first event is then dropped and the rule repeats.
///
/// Streaming: a group is decided at the first sample after which no event that could still join it
/// is pending upstream: the per-sample event watermark (the earliest on index of an open trigger)
/// has passed its off + window. That sample is reconstructed from the events' decided indices and
/// the chunk's watermark, so groups are decided at the same sample whatever the chunking.
/// Undecided trigger events are state.
/// Trigger events pass through; coincidence events are added. Place it right after `trigger`
/// (event indices are at the trigger's rate).

#include <deque>
#include <limits>
#include <vector>

#include "dasflow/core/atom.hpp"
#include "dasflow/core/config_reader.hpp"

namespace dasflow::atoms {

class Coincidence final : public Atom {
public:
  struct Config {
    std::int64_t min_channels = 2;
    double window_s = 0.0; ///< extra time after a group's off in which a start still joins
  };

  explicit Coincidence(Config config) : config_(config) {}
  /// Keys: min_channels (required, >= 1), window (s, default 0).
  static std::unique_ptr<Atom> from_config(ConfigReader& r);

  std::string_view kind() const noexcept override { return "coincidence"; }
  Result<StreamInfo> configure(const StreamInfo& in) override;
  Result<void> process(const ChunkView& in, Chunk& out) override;
  std::size_t max_output_samples(std::size_t n_in) const noexcept override { return n_in; }
  void reset() noexcept override;
  std::unique_ptr<Atom> clone() const override { return std::make_unique<Coincidence>(*this); }
  StateTree save_state() const override;
  Result<void> restore_state(const StateTree& s) override;
  std::string config_yaml() const override;

private:
  /// Decides, in order, the groups that became final while `in` was produced; appends them to `out`.
  void decide(const ChunkView& in, std::vector<Event>& out);

  Config config_;
  double window_samples_ = 0.0;
  ChannelCoords coords_;                    ///< channel number -> column, for the member stamps
  std::vector<std::uint32_t> member_stamp_; ///< per column: == stamp_ while in the group being built
  std::uint32_t stamp_ = 0;
  std::size_t column_of(std::int64_t channel) const noexcept {
    return static_cast<std::size_t>((channel - coords_.first) / coords_.step);
  }
  std::deque<Event> pending_; ///< trigger events not yet decided, sorted by (on, off, channel)
  bool emitted_any_ = false;  ///< ObsPy's last_off_time exists
  std::int64_t last_off_ = 0; ///< off of the last emitted group
  std::int64_t last_decided_ = std::numeric_limits<std::int64_t>::min(); ///< groups are decided in order
};

} // namespace dasflow::atoms
