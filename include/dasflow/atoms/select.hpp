#pragma once
/// \file select.hpp
/// `select`: a channel subset `channels: [start, stop, step]` (column positions in the input, stop
/// exclusive, as a Python slice), updating the channel coordinates so numbers and distances stay
/// true. Lets several daemons share one interrogator feed, each taking a range. Stateless.

#include "dasflow/core/atom.hpp"
#include "dasflow/core/config_reader.hpp"

namespace dasflow::atoms {

class Select final : public Atom {
public:
  struct Config {
    std::int64_t start = 0, stop = 0, step = 1;
  };

  explicit Select(Config config) : config_(config) {}
  /// Keys: channels ([start, stop] or [start, stop, step]; required).
  static std::unique_ptr<Atom> from_config(ConfigReader& r);

  std::string_view kind() const noexcept override { return "select"; }
  /// stop must not exceed the input's channel count.
  Result<StreamInfo> configure(const StreamInfo& in) override;
  Result<void> process(const ChunkView& in, Chunk& out) override;
  std::size_t max_output_samples(std::size_t n_in) const noexcept override { return n_in; }
  void reset() noexcept override {}
  std::unique_ptr<Atom> clone() const override { return std::make_unique<Select>(*this); }
  StateTree save_state() const override { return StateTree("select", 1); }
  Result<void> restore_state(const StateTree& s) override { return s.expect("select", 1); }
  std::string config_yaml() const override;

private:
  Config config_;
  std::size_t n_out_ = 0;
};

} // namespace dasflow::atoms
