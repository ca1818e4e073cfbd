#pragma once
/// \file atom.hpp
/// The interface every processing step implements (DESIGN.md §3, STYLE.md §4).

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "dasflow/core/chunk.hpp"
#include "dasflow/core/column_tile.hpp"
#include "dasflow/core/config_origin.hpp"
#include "dasflow/core/result.hpp"
#include "dasflow/core/state_tree.hpp"
#include "dasflow/core/stream.hpp"

namespace dasflow {

/// A stateful stream processor. Chunk boundaries are invisible: any split of a stream into chunks
/// gives bit-identical output to one call on the whole stream, and save_state() → restore_state()
/// into a freshly configured atom → continue gives bit-identical output too.
///
/// Life cycle: construct from a config → configure(input stream) once → process() chunk after
/// chunk. Reconfiguring means building a new atom (no setters).
class Atom {
public:
  virtual ~Atom() = default;

  /// Registry key, e.g. "sosfilter".
  virtual std::string_view kind() const noexcept = 0;

  /// Validates the config against the input stream (e.g. cutoff below its Nyquist), designs
  /// coefficients, sizes the state (zeroed) and returns the output stream. Errors name the YAML path.
  virtual Result<StreamInfo> configure(const StreamInfo& in) = 0;

  /// Hot path. `in` continues the stream (the caller checks continuity). Reshapes `out` to at most
  /// max_output_samples(in.n_samples) rows, sets its first_index, and passes on `in.events` plus
  /// any events this atom closes. Allocates only while `out` grows.
  virtual Result<void> process(const ChunkView& in, Chunk& out) = 0;

  /// Upper bound of output rows for an input of n_in rows, whatever the current state.
  virtual std::size_t max_output_samples(std::size_t n_in) const noexcept = 0;

  /// Returns the state to what configure() left: a reset atom equals a freshly configured one.
  virtual void reset() noexcept = 0;

  /// Deep copy including configuration and state (a fresh instance is clone() + reset()).
  virtual std::unique_ptr<Atom> clone() const = 0;

  /// The state only (never config or derived values), losslessly.
  virtual StateTree save_state() const = 0;

  /// Restores save_state() output into a configured atom; checks kind, version and shapes against
  /// the configured stream and leaves the state untouched on error.
  virtual Result<void> restore_state(const StateTree& state) = 0;

  /// The atom's configuration as canonical flow-style YAML (`{atom: sosfilter, sos: [...]}`, numbers
  /// round-trippable): logged at start-up and hashed into checkpoints.
  virtual std::string config_yaml() const = 0;

  // Channel-parallel execution (docs/performance.md). An atom whose output column c depends only on
  // input column c and on channel c's own state says so with column_separable(); Sequential then
  // runs a chain of such atoms tile by tile (channel ranges on worker threads, a few rows at a
  // time so intermediates stay in cache) instead of chunk by chunk. The state, and so the result,
  // is the same whatever the tiling: each channel still sees its samples in order.
  //
  // Per chunk: begin_columns() once, serially; process_tile() on disjoint column ranges, for each
  // range on consecutive row ranges in order, from any thread; end_columns() once, serially.

  /// True if the three calls below are implemented; such an atom keeps the channel count.
  virtual bool column_separable() const noexcept { return false; }
  /// The output shape for `in` (only its shape, index and events are read: no samples). Changes no
  /// state that process_tile() reads.
  virtual ChunkShape begin_columns(const ChunkView& in) { return {in.n_samples, in.first_index}; }
  /// Output rows that the first `in_rows` input rows of the current chunk produce (monotone; all of
  /// the chunk's rows give begin_columns()'s n_samples).
  virtual std::size_t rows_out_through(std::size_t in_rows) const noexcept { return in_rows; }
  /// Computes one tile and advances the state of its channels. Thread-safe across disjoint ranges.
  virtual void process_tile(const ColumnTile&) noexcept {}
  /// After every tile: events, watermark and the state shared by all channels. `out` has the shape
  /// begin_columns() gave; only its events and watermark may be written (its samples may be
  /// elsewhere).
  virtual void end_columns(const ChunkView& in, Chunk& out) { pass_events(in, out); }

  const ConfigOrigin& origin() const noexcept { return origin_; }
  void set_origin(ConfigOrigin origin) { origin_ = std::move(origin); }

protected:
  Atom() = default;
  Atom(const Atom&) = default;
  Atom& operator=(const Atom&) = default;

  /// Copies the incoming events and their watermark to `out`: what every atom that neither produces
  /// nor consumes events does.
  static void pass_events(const ChunkView& in, Chunk& out) {
    out.events.assign(in.events.begin(), in.events.end());
    out.event_watermark = in.event_watermark;
  }

  /// process() of a column-separable atom: the chunk in tiles of `tile_columns` channels ×
  /// `tile_rows` rows (cache-sized; any tiling gives the same result), on the calling thread.
  void process_by_columns(const ChunkView& in, Chunk& out, std::size_t tile_rows = 128, std::size_t tile_columns = 256) {
    const ChunkShape shape = begin_columns(in);
    out.reshape(shape.n_samples, in.n_channels);
    out.first_index = shape.first_index;
    const std::size_t n = in.n_channels;
    for (std::size_t c0 = 0; c0 < n; c0 += tile_columns) {
      ColumnTile t;
      t.c0 = c0;
      t.width = std::min(tile_columns, n - c0);
      t.in_stride = t.out_stride = n;
      for (std::size_t r0 = 0; r0 < in.n_samples; r0 += tile_rows) {
        const std::size_t r1 = std::min(r0 + tile_rows, in.n_samples);
        const std::size_t o0 = rows_out_through(r0), o1 = rows_out_through(r1);
        t.in_first_index = in.first_index + static_cast<std::int64_t>(r0);
        t.in_rows = r1 - r0;
        t.in = in.samples.data() + r0 * n + c0;
        t.out_rows = o1 - o0;
        t.out = out.samples.data() + o0 * n + c0;
        process_tile(t);
      }
    }
    end_columns(in, out);
  }

  /// For atoms that read columns as fibre channels: a spectral product's columns are (band or
  /// frequency, channel) pairs (StreamInfo::spectral), so such an input is a config error that says
  /// `why` the atom needs channels.
  Result<void> require_time_series(const StreamInfo& in, std::string_view why) const {
    if (!in.spectral) return {};
    return origin_.error("", "needs a time series per channel (" + std::string(why) +
                                 "); its input is a spectral product (fbe or spectrogram)");
  }

  ConfigOrigin origin_;
};

} // namespace dasflow
