#pragma once
/// \file trigger.hpp
/// `trigger`: ObsPy 1.5 `trigger_onset(cf, on, off, max_len)` as a streaming per-channel state
/// machine (REFERENCE.md "Trigger"). Data passes through unchanged; each event is emitted with
/// the chunk in which it closes. An event still open is state (checkpointed, not emitted).
///
/// trigger_onset's rules, restated for a stream:
/// - an event turns on at a rising edge of cf >= on_threshold (the first such sample of the
///   stream counts) that comes after the previous event's off index;
/// - it ends at the last sample of the run with cf >= off_threshold that it is in;
/// - with max_length, an event longer than max_len samples ends at on + max_len, and the next one
///   needs a new rising edge.
/// State per channel: previous-sample and active flags, on index, peak value and index: O(n_channels).

#include <mutex>
#include <utility>
#include <vector>

#include "dasflow/core/aligned_buffer.hpp"
#include "dasflow/core/atom.hpp"
#include "dasflow/core/config_reader.hpp"

namespace dasflow::atoms {

class Trigger final : public Atom {
public:
  struct Config {
    double on_threshold = 3.5;
    double off_threshold = 1.5;
    double max_length_s = 0.0; ///< 0 = unlimited
  };

  explicit Trigger(Config config) : config_(config) {}
  /// Keys: on_threshold, off_threshold (both required; off <= on), max_length (s, optional).
  static std::unique_ptr<Atom> from_config(ConfigReader& r);

  std::string_view kind() const noexcept override { return "trigger"; }
  Result<StreamInfo> configure(const StreamInfo& in) override;
  Result<void> process(const ChunkView& in, Chunk& out) override;
  std::size_t max_output_samples(std::size_t n_in) const noexcept override { return n_in; }
  bool column_separable() const noexcept override { return true; }
  void process_tile(const ColumnTile& tile) noexcept override;
  void end_columns(const ChunkView& in, Chunk& out) override;
  void reset() noexcept override;
  std::unique_ptr<Atom> clone() const override { return std::make_unique<Trigger>(*this); }
  StateTree save_state() const override;
  Result<void> restore_state(const StateTree& s) override;
  std::string config_yaml() const override;

  /// Samples of the max_length cap (0 = none).
  std::int64_t max_len() const noexcept { return max_len_; }

private:
  Config config_;
  StreamInfo in_;
  std::int64_t max_len_ = 0;
  // Per channel; flags are 0/1 integers so the state saves as plain arrays.
  std::vector<std::int64_t> above_on_; ///< previous sample had cf >= on (for rising edges)
  std::vector<std::int64_t> active_;   ///< an event is open
  std::vector<std::int64_t> on_index_, peak_index_;
  std::vector<double> peak_;
  /// Events closed by the tiles of the chunk in progress, with each tile's first column; merged in
  /// end_columns. Not state: empty between chunks (a copy starts empty).
  struct PendingEvents {
    std::mutex mutex;
    std::vector<std::pair<std::size_t, std::vector<Event>>> by_tile;
    PendingEvents() = default;
    PendingEvents(const PendingEvents&) {}
    PendingEvents& operator=(const PendingEvents&) { return *this; }
  } pending_;
};

} // namespace dasflow::atoms
