#pragma once
/// \file decimate.hpp
/// `decimate`: anti-alias filter, then keep the samples whose absolute index is a multiple of q
/// (REFERENCE.md "decimate"). For a stream starting at a multiple of q this is exactly
/// scipy.signal.decimate(x, q, ftype, zero_phase=False). Output rate fs/q, output index i/q.
///
/// - ftype fir (default): taps firwin(numtaps, 1/q, window="hamming"), numtaps = 20 q + 1 unless
///   given; only the kept outputs are computed. Delay (numtaps − 1)/2 input samples (as scipy).
///   State: (numtaps − 1) × n_channels floats.
/// - ftype iir: lfilter(*cheby1(8, 0.05, 0.8/q), x) on every input sample (scipy's own IIR
///   decimator, in its b/a form). State: 8 × n_channels doubles.

#include <memory>

#include "dasflow/atoms/fir_kernel.hpp"
#include "dasflow/atoms/lfilter.hpp"
#include "dasflow/core/atom.hpp"
#include "dasflow/core/config_reader.hpp"

namespace dasflow::atoms {

class Decimate final : public Atom {
public:
  struct Config {
    std::int64_t factor = 2;   ///< q >= 2
    std::string ftype = "fir"; ///< fir | iir
    std::int64_t numtaps = 0;  ///< fir only; 0 = 20 q + 1
  };

  explicit Decimate(Config config) : config_(std::move(config)) {}
  Decimate(const Decimate& o);
  Decimate& operator=(const Decimate&) = delete;
  /// Keys: factor (required), ftype (fir), numtaps (fir only).
  static std::unique_ptr<Atom> from_config(ConfigReader& r);

  std::string_view kind() const noexcept override { return "decimate"; }
  Result<StreamInfo> configure(const StreamInfo& in) override;
  Result<void> process(const ChunkView& in, Chunk& out) override;
  std::size_t max_output_samples(std::size_t n_in) const noexcept override;
  void reset() noexcept override;
  std::unique_ptr<Atom> clone() const override { return std::make_unique<Decimate>(*this); }
  StateTree save_state() const override;
  Result<void> restore_state(const StateTree& s) override;
  std::string config_yaml() const override;

  const std::vector<double>& fir_taps() const noexcept { return fir_.taps(); }

private:
  Config config_;
  FirKernel fir_;                ///< ftype fir
  std::unique_ptr<LFilter> iir_; ///< ftype iir: the full-rate filter
  Chunk filtered_;               ///< ftype iir: full-rate output before keeping every q-th row
};

} // namespace dasflow::atoms
