#pragma once
/// \file sequential.hpp
/// A pipeline of atoms that is itself an atom (xdas `Sequential`; SeisComP `ChainFilter`).

#include <memory>
#include <vector>

#include "dasflow/core/aligned_buffer.hpp"
#include "dasflow/core/atom.hpp"
#include "dasflow/core/worker_pool.hpp"

namespace dasflow {

/// Runs its children in order. configure() threads the StreamInfo through them, so an atom after a
/// decimator designs its filter at the lower rate. Intermediate results live in two ping-pong
/// chunks that grow to the largest chunk seen and are then reused. State tree:
/// `{kind: sequential, children: [state of each child, in order]}`.
///
/// Consecutive column-separable children (Atom::column_separable) run as one fused stage: the
/// chunk is cut into tiles of `tile_columns` channels, each tile goes through every atom of the
/// stage `tile_rows` input rows at a time through two small per-thread buffers, and the tiles are
/// shared among `threads` threads (docs/performance.md). Output and state do not depend on the
/// tiling or the thread count.
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

  /// Threads that share a chunk's channel tiles, the caller's included (>= 1; default 1).
  void set_threads(std::size_t threads);
  std::size_t threads() const noexcept { return threads_; }
  /// Tile size of fused stages (rows of the stage's input × channels); both >= 1.
  void set_tiling(std::size_t tile_rows, std::size_t tile_columns);

  static constexpr std::size_t kDefaultTileRows = 128;
  static constexpr std::size_t kDefaultTileColumns = 256;

private:
  /// Children [first, last) as one fused stage: `in` to `out`.
  void process_fused(std::size_t first, std::size_t last, const ChunkView& in, Chunk& out);

  std::vector<std::unique_ptr<Atom>> children_;
  std::vector<StreamInfo> streams_;
  /// stage_end_[i]: one past the last child of the stage that starts at child i.
  std::vector<std::size_t> stage_end_;
  Chunk ping_, pong_;

  std::size_t threads_ = 1;
  std::size_t tile_rows_ = kDefaultTileRows, tile_columns_ = kDefaultTileColumns;
  std::unique_ptr<WorkerPool> pool_;             ///< made on first use; not copied
  std::vector<AlignedBuffer<float>> scratch_;    ///< two tile buffers per thread
  std::vector<Chunk> stage_outputs_;             ///< events and shape of a fused stage's inner outputs
  std::vector<ChunkView> stage_views_;           ///< the inputs of a fused stage's atoms
  std::vector<std::vector<std::size_t>> bounds_; ///< [level][row block]: first row of each block
};

} // namespace dasflow
