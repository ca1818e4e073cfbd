#pragma once
/// \file sta_lta.hpp
/// `stalta`: the short-term / long-term average ratio of ObsPy 1.5's C implementations, continuous
/// over the stream (REFERENCE.md "STA/LTA"): the warm-up zeros belong to the start of the stream,
/// not of each chunk. nsta = int(sta · fs), nlta = int(lta · fs) (truncation, as ObsPy callers do).
///
/// - classic (`stalta.c`, OPTIMIZED_VERSION): running sums of squares.
///   State: sta, lta and the last nlta inputs per channel (float32; their squares are exact in
///   double), plus the sample count: nlta × n_channels floats + 2 × n_channels doubles.
/// - recursive (`recstalta.c`): exponential averages. State: sta, lta per channel + count.
///
/// Where lta == 0 the output is 0 (ObsPy gives NaN or inf there).

#include "dasflow/core/aligned_buffer.hpp"
#include "dasflow/core/atom.hpp"
#include "dasflow/core/config_reader.hpp"

namespace dasflow::atoms {

class StaLta final : public Atom {
public:
  enum class Method { classic, recursive };
  struct Config {
    Method method = Method::classic;
    double sta_s = 0.5;  ///< short window, seconds
    double lta_s = 10.0; ///< long window, seconds (> sta_s)
  };

  explicit StaLta(Config config) : config_(config) {}
  /// Keys: method (classic), sta (s, required), lta (s, required, > sta).
  static std::unique_ptr<Atom> from_config(ConfigReader& r);

  std::string_view kind() const noexcept override { return "stalta"; }
  Result<StreamInfo> configure(const StreamInfo& in) override;
  Result<void> process(const ChunkView& in, Chunk& out) override;
  std::size_t max_output_samples(std::size_t n_in) const noexcept override { return n_in; }
  bool column_separable() const noexcept override { return true; }
  ChunkShape begin_columns(const ChunkView& in) override;
  void process_tile(const ColumnTile& tile) noexcept override;
  void end_columns(const ChunkView& in, Chunk& out) override;
  void reset() noexcept override;
  std::unique_ptr<Atom> clone() const override { return std::make_unique<StaLta>(*this); }
  StateTree save_state() const override;
  Result<void> restore_state(const StateTree& s) override;
  std::string config_yaml() const override;

  std::int64_t nsta() const noexcept { return nsta_; }
  std::int64_t nlta() const noexcept { return nlta_; }

private:
  Config config_;
  std::int64_t nsta_ = 0, nlta_ = 0; ///< derived from the input rate
  std::size_t n_channels_ = 0;
  std::int64_t count_ = 0;             ///< samples seen since the start of the stream, before this chunk
  std::int64_t chunk_first_index_ = 0; ///< first index of the chunk being processed (begin_columns)
  AlignedBuffer<double> sta_, lta_;    ///< per channel
  AlignedBuffer<float> history_;       ///< classic: ring [nlta][channel] of the last inputs
};

} // namespace dasflow::atoms
