#pragma once
/// \file fbe.hpp
/// `fbe`: frequency-band energy per channel, the PRODML "Fbe" processed product used for well and
/// pipeline monitoring. For window k (input samples [k·hop, k·hop + n), n = round(window · fs),
/// hop = n − round(overlap · n)), with P the one-sided PSD of the Hann-windowed segment
/// (scipy.signal.spectrogram(x, fs, window="hann", nperseg=n, noverlap=n − hop, detrend=False or
/// "constant", mode="psd"), see sliding_spectrum.hpp):
///
///   E_b = Σ_{f : f1 ≤ f·fs/n < f2} P[f] · fs/n        (the Nyquist bin counts when f2 = fs/2)
///
/// i.e. the signal's mean square within [f1, f2) (Parseval: the sum over all bands from 0 to fs/2 is
/// the windowed segment's mean square, Hann-normalised), in input unit². Every band must hold at
/// least one bin (a band narrower than fs/n is a config error that says so).
///
/// Output: a spectral stream (SpectralAxis kind bands) at fs / hop, n_bands × n_channels columns
/// (band-major: the PRODML writer stores block b as FbeData[b]); row k is window k, stamped at its
/// centre. Latency: window seconds.

#include "dasflow/atoms/sliding_spectrum.hpp"
#include "dasflow/core/atom.hpp"
#include "dasflow/core/config_reader.hpp"

namespace dasflow::atoms {

class Fbe final : public Atom {
public:
  struct Config {
    double window_s = 1.0;
    double overlap = 0.5; ///< fraction of the window shared by consecutive windows, [0, 1)
    std::vector<std::vector<double>> bands;
    std::string detrend = "none";
  };

  explicit Fbe(Config config) : config_(std::move(config)) {}
  /// Keys: window (s, required), overlap (0.5), bands ([[f1, f2], ...] Hz, required),
  /// detrend (none | constant).
  static std::unique_ptr<Atom> from_config(ConfigReader& r);

  std::string_view kind() const noexcept override { return "fbe"; }
  Result<StreamInfo> configure(const StreamInfo& in) override;
  Result<void> process(const ChunkView& in, Chunk& out) override;
  std::size_t max_output_samples(std::size_t n_in) const noexcept override { return engine_.max_segments(n_in); }
  void reset() noexcept override { engine_.reset(); }
  std::unique_ptr<Atom> clone() const override { return std::make_unique<Fbe>(*this); }
  StateTree save_state() const override { return engine_.save("fbe"); }
  Result<void> restore_state(const StateTree& s) override { return engine_.restore(s, "fbe"); }
  std::string config_yaml() const override;

private:
  Config config_;
  SlidingSpectrum engine_;
  std::size_t n_channels_ = 0;
  std::vector<std::size_t> first_bin_, end_bin_; ///< per band: bins [first, end)
  double bin_width_hz_ = 1.0;
};

} // namespace dasflow::atoms
