#pragma once
/// \file sos_filter.hpp
/// `sosfilter`: user-given second-order sections, as scipy.signal.sosfilt from zero state
/// (REFERENCE.md "Filters"). State: 2 × n_sections × n_channels doubles.

#include <array>
#include <vector>

#include "dasflow/atoms/sos_cascade.hpp"
#include "dasflow/core/atom.hpp"
#include "dasflow/core/config_reader.hpp"

namespace dasflow::atoms {

class SosFilter final : public Atom {
public:
  struct Config {
    std::vector<std::array<double, 6>> sos; ///< rows b0 b1 b2 a0 a1 a2, a0 == 1 (scipy's rule)
  };

  explicit SosFilter(Config config) : config_(std::move(config)) {}
  /// Reads `sos:`; a0 != 1, non-finite or empty rows are errors.
  static std::unique_ptr<Atom> from_config(ConfigReader& r);

  std::string_view kind() const noexcept override { return "sosfilter"; }
  Result<StreamInfo> configure(const StreamInfo& in) override;
  Result<void> process(const ChunkView& in, Chunk& out) override;
  std::size_t max_output_samples(std::size_t n_in) const noexcept override { return n_in; }
  bool column_separable() const noexcept override { return true; }
  void process_tile(const ColumnTile& t) noexcept override { cascade_.process_tile(t); }
  void reset() noexcept override { cascade_.reset(); }
  std::unique_ptr<Atom> clone() const override { return std::make_unique<SosFilter>(*this); }
  StateTree save_state() const override { return cascade_.save("sosfilter"); }
  Result<void> restore_state(const StateTree& s) override { return cascade_.restore(s, "sosfilter"); }
  std::string config_yaml() const override;

private:
  Config config_;
  SosCascade cascade_;
};

} // namespace dasflow::atoms
