#pragma once
/// \file decimate.hpp
/// `decimate`: anti-alias filter, then keep the samples whose absolute index is a multiple of q
/// (REFERENCE.md "decimate"). For a stream starting at a multiple of q this is exactly
/// scipy.signal.decimate(x, q, ftype, zero_phase=False). Output rate fs/q, output index i/q.
///
/// - ftype fir (default): taps firwin(numtaps, 1/q, window="hamming"), numtaps = 20 q + 1 unless
///   given; only the kept outputs are computed. Delay (numtaps − 1)/2 input samples (as scipy).
///   State: (numtaps − 1) × n_channels floats.
///   `method` (fir_method.hpp; fir only): direct as above, fft (FftConvolver overlap-save on every
///   input sample, then the same keeping rule: the same output rows and indices as direct, values
///   within float rounding, emitted up to L − 1 input samples later, L = the FFT block length, see
///   fft_convolver.hpp), or auto (default): fft from numtaps >= kFftMinTaps · q on.
/// - ftype iir: lfilter(*cheby1(8, 0.05, 0.8/q), x) on every input sample (scipy's own IIR
///   decimator, in its b/a form). State: 8 × n_channels doubles.

#include <memory>

#include "dasflow/atoms/fft_convolver.hpp"
#include "dasflow/atoms/fir_kernel.hpp"
#include "dasflow/atoms/fir_method.hpp"
#include "dasflow/atoms/lfilter.hpp"
#include "dasflow/core/atom.hpp"
#include "dasflow/core/config_reader.hpp"

namespace dasflow::atoms {

class Decimate final : public Atom {
public:
  struct Config {
    std::int64_t factor = 2;                 ///< q >= 2
    std::string ftype = "fir";               ///< fir | iir
    std::int64_t numtaps = 0;                ///< fir only; 0 = 20 q + 1
    FirMethod method = FirMethod::automatic; ///< fir only: direct | fft | auto
  };

  explicit Decimate(Config config) : config_(std::move(config)) {}
  Decimate(const Decimate& o);
  Decimate& operator=(const Decimate&) = delete;
  /// Keys: factor (required), ftype (fir), numtaps (fir only), method (auto; fir only).
  static std::unique_ptr<Atom> from_config(ConfigReader& r);

  std::string_view kind() const noexcept override { return "decimate"; }
  Result<StreamInfo> configure(const StreamInfo& in) override;
  Result<void> process(const ChunkView& in, Chunk& out) override;
  std::size_t max_output_samples(std::size_t n_in) const noexcept override;
  void reset() noexcept override;
  /// FIR, direct: by columns, computing only the kept rows. IIR and FFT filter whole chunks.
  bool column_separable() const noexcept override { return !iir_ && !use_fft_; }
  ChunkShape begin_columns(const ChunkView& in) override { return fir_.begin(in); }
  std::size_t rows_out_through(std::size_t in_rows) const noexcept override { return fir_.rows_out_through(in_rows); }
  void process_tile(const ColumnTile& t) noexcept override { fir_.process_tile(t); }
  std::unique_ptr<Atom> clone() const override { return std::make_unique<Decimate>(*this); }
  StateTree save_state() const override;
  Result<void> restore_state(const StateTree& s) override;
  std::string config_yaml() const override;

  const std::vector<double>& fir_taps() const noexcept { return use_fft_ ? fft_.taps() : fir_.taps(); }
  /// Whether configure() chose the FFT path (ftype fir with method fft, or auto above the threshold).
  bool uses_fft() const noexcept { return use_fft_; }
  /// Input samples per FFT block (0 on the direct path): the added latency is at most block_size() − 1.
  std::size_t block_size() const noexcept { return use_fft_ ? fft_.block_size() : 0; }

private:
  Config config_;
  bool use_fft_ = false;         ///< ftype fir on the FFT path
  FirKernel fir_;                ///< ftype fir, direct
  FftConvolver fft_;             ///< ftype fir, FFT: the full-rate filter
  std::unique_ptr<LFilter> iir_; ///< ftype iir: the full-rate filter
  Chunk filtered_;               ///< ftype iir or fft: full-rate output before keeping every q-th row
};

} // namespace dasflow::atoms
