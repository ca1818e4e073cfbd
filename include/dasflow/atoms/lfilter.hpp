#pragma once
/// \file lfilter.hpp
/// `lfilter`: a direct rational transfer function b(z)/a(z), as scipy.signal.lfilter from zero state
/// (transposed direct form II, `b` and `a` normalised by a[0]; REFERENCE.md "Filters").
/// State: (max(len b, len a) - 1) × n_channels doubles.

#include <vector>

#include "dasflow/core/aligned_buffer.hpp"
#include "dasflow/core/atom.hpp"
#include "dasflow/core/config_reader.hpp"

namespace dasflow::atoms {

class LFilter final : public Atom {
public:
  struct Config {
    std::vector<double> b; ///< numerator, highest power of z first (scipy order)
    std::vector<double> a; ///< denominator, a[0] != 0
  };

  explicit LFilter(Config config) : config_(std::move(config)) {}
  /// Keys: b (required), a (default [1]).
  static std::unique_ptr<Atom> from_config(ConfigReader& r);

  std::string_view kind() const noexcept override { return "lfilter"; }
  Result<StreamInfo> configure(const StreamInfo& in) override;
  Result<void> process(const ChunkView& in, Chunk& out) override;
  std::size_t max_output_samples(std::size_t n_in) const noexcept override { return n_in; }
  void reset() noexcept override { z_.assign_zero(); }
  std::unique_ptr<Atom> clone() const override { return std::make_unique<LFilter>(*this); }
  StateTree save_state() const override;
  Result<void> restore_state(const StateTree& s) override;
  std::string config_yaml() const override;

private:
  Config config_;
  std::vector<double> b_, a_; ///< derived: normalised by a[0] and zero-padded to one length
  std::size_t n_channels_ = 0;
  AlignedBuffer<double> z_;    ///< [delay][channel], channels innermost
  AlignedBuffer<double> work_; ///< inputs of one row block, in double
  AlignedBuffer<double> out_;  ///< outputs of one row block, in double
};

} // namespace dasflow::atoms
