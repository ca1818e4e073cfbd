#pragma once
/// \file envelope.hpp
/// `envelope`: the magnitude of the analytic signal, streaming (DESIGN.md §3; the reference is
/// abs(scipy.signal.hilbert(x)), which is FFT-based over a whole record and so not causal).
///
/// The imaginary part is an FIR Hilbert transformer of odd length M = numtaps (type III,
/// antisymmetric): the ideal response h[m] = 2 / (π m) for odd m, 0 for even m, m = −D..D,
/// D = (M − 1) / 2, times a Blackman window, shifted by D to be causal (Oppenheim & Schafer,
/// "Discrete-Time Signal Processing", §12.4.3). It is applied by FFT overlap-save (fft_convolver.hpp).
/// The real part is the input delayed by the same D samples, so
///
///     env[n] = sqrt(x[n − D]² + ((h * x)[n])²)        (in double, rounded to float32)
///
/// is the envelope of x at n − D: a fixed delay of D samples, not compensated (output row index =
/// input row index, as `firfilter`). On top of that the outputs leave in FFT blocks: up to L − 1
/// samples later than their input (L = FftConvolver::block_size()).
///
/// Accuracy: the windowed transformer is exact only inside its passband; with the default 255
/// taps the envelope of a signal within [0.04, 0.46]·fs is within 1e-3 of scipy's (measured by
/// tests/golden/golden_envelope.py). Type III is zero at 0 Hz and Nyquist: a DC offset is not
/// demodulated (its envelope ripples at the offset's level), as for any FIR Hilbert transformer.
///
/// `db: true` gives 20 log10(env / ref); where env / ref < 1e-10 (env = 0 included) it gives the
/// floor, −200 dB, instead of −inf.
///
/// State: FftConvolver's, (M − 1 + f) × n_channels floats with f < L pending rows.

#include "dasflow/atoms/fft_convolver.hpp"
#include "dasflow/core/atom.hpp"
#include "dasflow/core/config_reader.hpp"

namespace dasflow::atoms {

class Envelope final : public Atom {
public:
  enum class Scale { linear, db };
  struct Config {
    Scale scale = Scale::linear;
    double ref = 1.0;           ///< reference amplitude of 0 dB (db only), > 0
    std::int64_t numtaps = 255; ///< Hilbert transformer length, odd, >= 3
  };
  /// The dB value where env / ref falls below 1e-10 (env = 0 included).
  static constexpr double kFloorDb = -200.0;

  explicit Envelope(Config config) : config_(config) {}
  /// Keys: db (false), ref (1.0), numtaps (255, odd).
  static std::unique_ptr<Atom> from_config(ConfigReader& r);
  /// The causal Hilbert transformer: Blackman-windowed 2 / (π m) for odd m, index m + D.
  static std::vector<double> hilbert_taps(std::size_t numtaps);

  std::string_view kind() const noexcept override { return "envelope"; }
  Result<StreamInfo> configure(const StreamInfo& in) override;
  Result<void> process(const ChunkView& in, Chunk& out) override;
  std::size_t max_output_samples(std::size_t n_in) const noexcept override { return fft_.max_output_samples(n_in); }
  void reset() noexcept override { fft_.reset(); }
  std::unique_ptr<Atom> clone() const override { return std::make_unique<Envelope>(*this); }
  StateTree save_state() const override { return fft_.save("envelope"); }
  Result<void> restore_state(const StateTree& s) override { return fft_.restore(s, "envelope"); }
  std::string config_yaml() const override;

  /// D = (numtaps − 1) / 2: env[n] is the envelope at input index n − D.
  std::size_t delay() const noexcept { return static_cast<std::size_t>(config_.numtaps - 1) / 2; }
  std::size_t block_size() const noexcept { return fft_.block_size(); }

private:
  Config config_;
  FftConvolver fft_;
  Chunk quadrature_; ///< (h * x)[n] for the rows being emitted
  Chunk delayed_;    ///< x[n − D] for the same rows
};

} // namespace dasflow::atoms
