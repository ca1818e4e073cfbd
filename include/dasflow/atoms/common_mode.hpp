#pragma once
/// \file common_mode.hpp
/// `common_mode`: subtract, from every sample, the median (or mean) over the channels of its time
/// sample: the seed notebook's `median_subtract`, which removes laser-phase and other noise common
/// to the whole fibre (REFERENCE.md "Common-mode removal"). Computed in double, rounded once;
/// the median of an even count is the mean of the two middle values (numpy.median). Stateless.

#include "dasflow/core/aligned_buffer.hpp"
#include "dasflow/core/atom.hpp"
#include "dasflow/core/config_reader.hpp"

namespace dasflow::atoms {

class CommonMode final : public Atom {
public:
  enum class Method { median, mean };
  struct Config {
    Method method = Method::median;
  };

  explicit CommonMode(Config config) : config_(config) {}
  /// Keys: method (median | mean, default median).
  static std::unique_ptr<Atom> from_config(ConfigReader& r);

  std::string_view kind() const noexcept override { return "common_mode"; }
  Result<StreamInfo> configure(const StreamInfo& in) override;
  Result<void> process(const ChunkView& in, Chunk& out) override;
  std::size_t max_output_samples(std::size_t n_in) const noexcept override { return n_in; }
  void reset() noexcept override {}
  std::unique_ptr<Atom> clone() const override { return std::make_unique<CommonMode>(*this); }
  StateTree save_state() const override { return StateTree("common_mode", 1); }
  Result<void> restore_state(const StateTree& s) override { return s.expect("common_mode", 1); }
  std::string config_yaml() const override;

private:
  Config config_;
  AlignedBuffer<float> scratch_; ///< one row, partially sorted for the median
};

} // namespace dasflow::atoms
