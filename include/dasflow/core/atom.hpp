#pragma once
/// \file atom.hpp
/// The interface every processing step implements (DESIGN.md §3, STYLE.md §4).

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "dasflow/core/chunk.hpp"
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
