#pragma once
/// \file iir_filter.hpp
/// `iirfilter`: a Butterworth / Chebyshev I / Chebyshev II / elliptic design made at the input rate
/// exactly as scipy.signal.iirfilter(..., output="sos", fs=fs), then filtered as sosfilt from zero
/// state (REFERENCE.md "Filters"). State: 2 × n_sections × n_channels doubles.

#include "dasflow/atoms/iir_design.hpp"
#include "dasflow/atoms/sos_cascade.hpp"
#include "dasflow/core/atom.hpp"
#include "dasflow/core/config_reader.hpp"

namespace dasflow::atoms {

class IirFilter final : public Atom {
public:
  using Config = IirDesign; ///< order, cutoff_hz, btype, ftype, rp_db, rs_db

  explicit IirFilter(Config config) : config_(std::move(config)) {}
  /// Keys: order (default 4), cutoff (Hz, one value or [low, high]), btype (default bandpass),
  /// ftype (default butter), rp (dB; cheby1, ellip), rs (dB; cheby2, ellip).
  static std::unique_ptr<Atom> from_config(ConfigReader& r);

  std::string_view kind() const noexcept override { return "iirfilter"; }
  /// Designs the sections at `in.fs_hz`; a cutoff at or above Nyquist is an error naming `cutoff`.
  Result<StreamInfo> configure(const StreamInfo& in) override;
  Result<void> process(const ChunkView& in, Chunk& out) override;
  std::size_t max_output_samples(std::size_t n_in) const noexcept override { return n_in; }
  bool column_separable() const noexcept override { return true; }
  void process_tile(const ColumnTile& t) noexcept override { cascade_.process_tile(t); }
  void reset() noexcept override { cascade_.reset(); }
  std::unique_ptr<Atom> clone() const override { return std::make_unique<IirFilter>(*this); }
  StateTree save_state() const override { return cascade_.save("iirfilter"); }
  Result<void> restore_state(const StateTree& s) override { return cascade_.restore(s, "iirfilter"); }
  std::string config_yaml() const override;

  /// The sections designed by configure().
  const std::vector<SosRow>& sections() const noexcept { return cascade_.sections(); }

private:
  Config config_;
  SosCascade cascade_;
};

} // namespace dasflow::atoms
