#pragma once
/// \file fir_filter.hpp
/// `firfilter`: taps from scipy.signal.firwin(numtaps, cutoff, window=window, pass_zero=btype, fs=fs)
/// at the input rate, applied causally as lfilter(taps, 1, x) (REFERENCE.md "Filters").
/// Delay (numtaps − 1)/2 samples, not compensated (as scipy). State: (numtaps − 1) × n_channels floats.

#include "dasflow/atoms/fir_design.hpp"
#include "dasflow/atoms/fir_kernel.hpp"
#include "dasflow/core/atom.hpp"
#include "dasflow/core/config_reader.hpp"

namespace dasflow::atoms {

class FirFilter final : public Atom {
public:
  struct Config {
    std::int64_t numtaps = 0;      ///< filter length
    std::vector<double> cutoff_hz; ///< band edges in Hz
    std::string btype = "lowpass"; ///< lowpass | highpass | bandpass | bandstop
    FirWindow window;              ///< hamming by default; kaiser takes `beta`
  };

  explicit FirFilter(Config config) : config_(std::move(config)) {}
  /// Keys: numtaps (required), cutoff (Hz, required), btype (lowpass), window (hamming), beta (kaiser).
  static std::unique_ptr<Atom> from_config(ConfigReader& r);

  std::string_view kind() const noexcept override { return "firfilter"; }
  Result<StreamInfo> configure(const StreamInfo& in) override;
  Result<void> process(const ChunkView& in, Chunk& out) override;
  std::size_t max_output_samples(std::size_t n_in) const noexcept override { return n_in; }
  void reset() noexcept override { kernel_.reset(); }
  std::unique_ptr<Atom> clone() const override { return std::make_unique<FirFilter>(*this); }
  StateTree save_state() const override { return kernel_.save("firfilter"); }
  Result<void> restore_state(const StateTree& s) override { return kernel_.restore(s, "firfilter"); }
  std::string config_yaml() const override;

  const std::vector<double>& taps() const noexcept { return kernel_.taps(); }

private:
  Config config_;
  FirKernel kernel_;
};

} // namespace dasflow::atoms
