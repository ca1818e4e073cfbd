#pragma once
/// \file sequential.hpp
/// A pipeline of atoms that is itself an atom (xdas `Sequential`; SeisComP `ChainFilter`).

#include <memory>
#include <vector>

#include "dasflow/core/atom.hpp"

namespace dasflow {

/// Runs its children in order. configure() threads the StreamInfo through them, so an atom after a
/// decimator designs its filter at the lower rate. Intermediate results live in two ping-pong
/// chunks that grow to the largest chunk seen and are then reused. State tree:
/// `{kind: sequential, children: [state of each child, in order]}`.
class Sequential final : public Atom {
public:
  Sequential() = default;
  explicit Sequential(std::vector<std::unique_ptr<Atom>> children) : children_(std::move(children)) {}
  Sequential(const Sequential& o);
  Sequential& operator=(const Sequential&) = delete;

  void append(std::unique_ptr<Atom> child) { children_.push_back(std::move(child)); }
  std::size_t size() const noexcept { return children_.size(); }
  Atom& at(std::size_t i) { return *children_.at(i); }
  const Atom& at(std::size_t i) const { return *children_.at(i); }

  std::string_view kind() const noexcept override { return "sequential"; }
  Result<StreamInfo> configure(const StreamInfo& in) override;
  Result<void> process(const ChunkView& in, Chunk& out) override;
  std::size_t max_output_samples(std::size_t n_in) const noexcept override;
  void reset() noexcept override;
  std::unique_ptr<Atom> clone() const override { return std::make_unique<Sequential>(*this); }
  StateTree save_state() const override;
  Result<void> restore_state(const StateTree& state) override;
  /// A YAML list, one flow map per child.
  std::string config_yaml() const override;

  /// The stream each child receives (index i) and the pipeline's output (index size()).
  const std::vector<StreamInfo>& streams() const noexcept { return streams_; }

private:
  std::vector<std::unique_ptr<Atom>> children_;
  std::vector<StreamInfo> streams_;
  Chunk ping_, pong_;
};

} // namespace dasflow
