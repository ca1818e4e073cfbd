#pragma once
/// \file pointwise.hpp
/// `abs`, `square`, `scale`: sample-by-sample maps (computed in double, rounded once). Stateless.

#include "dasflow/core/atom.hpp"
#include "dasflow/core/config_reader.hpp"

namespace dasflow::atoms {

class Pointwise final : public Atom {
public:
  enum class Op { abs, square, scale };
  struct Config {
    Op op = Op::abs;
    double factor = 1.0; ///< scale only
  };

  explicit Pointwise(Config config) : config_(config) {}
  static std::unique_ptr<Atom> abs_from_config(ConfigReader& r);
  static std::unique_ptr<Atom> square_from_config(ConfigReader& r);
  /// Keys: factor (required).
  static std::unique_ptr<Atom> scale_from_config(ConfigReader& r);

  std::string_view kind() const noexcept override;
  Result<StreamInfo> configure(const StreamInfo& in) override { return in; }
  Result<void> process(const ChunkView& in, Chunk& out) override;
  std::size_t max_output_samples(std::size_t n_in) const noexcept override { return n_in; }
  bool column_separable() const noexcept override { return true; }
  void process_tile(const ColumnTile& t) noexcept override;
  void reset() noexcept override {}
  std::unique_ptr<Atom> clone() const override { return std::make_unique<Pointwise>(*this); }
  StateTree save_state() const override { return StateTree(std::string(kind()), 1); }
  Result<void> restore_state(const StateTree& s) override { return s.expect(kind(), 1); }
  std::string config_yaml() const override;

private:
  Config config_;
};

} // namespace dasflow::atoms
