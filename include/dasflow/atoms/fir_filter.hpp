#pragma once
/// \file fir_filter.hpp
/// `firfilter`: taps from scipy.signal.firwin(numtaps, cutoff, window=window, pass_zero=btype, fs=fs)
/// at the input rate, applied causally as lfilter(taps, 1, x) (REFERENCE.md "Filters").
/// Delay (numtaps − 1)/2 samples, not compensated (as scipy).
///
/// `method` (fir_method.hpp): direct (FirKernel, lfilter's summation order; state (numtaps − 1) ×
/// n_channels floats), fft (FftConvolver overlap-save: outputs within float rounding of direct, but
/// emitted per absolute-index-aligned block of L = N − numtaps + 1 samples, so up to L − 1 samples
/// later; state up to (numtaps − 1 + L − 1) × n_channels floats), or auto (default): fft from
/// kFftMinTaps taps on. Output indices are the same with either method.

#include "dasflow/atoms/fft_convolver.hpp"
#include "dasflow/atoms/fir_design.hpp"
#include "dasflow/atoms/fir_kernel.hpp"
#include "dasflow/atoms/fir_method.hpp"
#include "dasflow/core/atom.hpp"
#include "dasflow/core/config_reader.hpp"

namespace dasflow::atoms {

class FirFilter final : public Atom {
public:
  struct Config {
    std::int64_t numtaps = 0;                ///< filter length
    std::vector<double> cutoff_hz;           ///< band edges in Hz
    std::string btype = "lowpass";           ///< lowpass | highpass | bandpass | bandstop
    FirWindow window;                        ///< hamming by default; kaiser takes `beta`
    FirMethod method = FirMethod::automatic; ///< direct | fft | auto (fft from kFftMinTaps taps)
  };

  explicit FirFilter(Config config) : config_(std::move(config)) {}
  /// Keys: numtaps (required), cutoff (Hz, required), btype (lowpass), window (hamming), beta (kaiser),
  /// method (auto).
  static std::unique_ptr<Atom> from_config(ConfigReader& r);

  std::string_view kind() const noexcept override { return "firfilter"; }
  Result<StreamInfo> configure(const StreamInfo& in) override;
  Result<void> process(const ChunkView& in, Chunk& out) override;
  std::size_t max_output_samples(std::size_t n_in) const noexcept override {
    return use_fft_ ? fft_.max_output_samples(n_in) : n_in;
  }
  void reset() noexcept override;
  /// The direct path runs by columns; the FFT path transforms whole blocks.
  bool column_separable() const noexcept override { return !use_fft_; }
  ChunkShape begin_columns(const ChunkView& in) override { return kernel_.begin(in); }
  std::size_t rows_out_through(std::size_t in_rows) const noexcept override {
    return kernel_.rows_out_through(in_rows);
  }
  void process_tile(const ColumnTile& t) noexcept override { kernel_.process_tile(t); }
  std::unique_ptr<Atom> clone() const override { return std::make_unique<FirFilter>(*this); }
  StateTree save_state() const override;
  Result<void> restore_state(const StateTree& s) override;
  std::string config_yaml() const override;

  const std::vector<double>& taps() const noexcept { return use_fft_ ? fft_.taps() : kernel_.taps(); }
  /// Whether configure() chose the FFT path (method fft, or auto at kFftMinTaps taps or more).
  bool uses_fft() const noexcept { return use_fft_; }
  /// Samples per FFT block (0 on the direct path): the latency is at most block_size() − 1.
  std::size_t block_size() const noexcept { return use_fft_ ? fft_.block_size() : 0; }

private:
  Config config_;
  bool use_fft_ = false;
  FirKernel kernel_; ///< direct path
  FftConvolver fft_; ///< FFT path
};

} // namespace dasflow::atoms
