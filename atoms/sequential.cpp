#include "dasflow/core/sequential.hpp"

#include <algorithm>
#include <cstring>

namespace dasflow {

Sequential::Sequential(const Sequential& o)
    : Atom(o), streams_(o.streams_), stage_end_(o.stage_end_), threads_(o.threads_), tile_rows_(o.tile_rows_),
      tile_columns_(o.tile_columns_) {
  children_.reserve(o.children_.size());
  for (const auto& c : o.children_)
    children_.push_back(c->clone());
}

Result<StreamInfo> Sequential::configure(const StreamInfo& in) {
  streams_.clear();
  streams_.push_back(in);
  for (auto& c : children_) {
    DASFLOW_TRY_ASSIGN(next, c->configure(streams_.back()));
    streams_.push_back(std::move(next));
  }
  // Stages: runs of column-separable children (which keep the channel count) fuse; any other
  // child is a stage of its own.
  const std::size_t n = children_.size();
  const auto fusable = [&](std::size_t i) {
    return children_[i]->column_separable() && streams_[i + 1].n_channels == streams_[i].n_channels;
  };
  stage_end_.assign(n, 0);
  for (std::size_t i = n; i-- > 0;)
    stage_end_[i] = fusable(i) && i + 1 < n && fusable(i + 1) ? stage_end_[i + 1] : i + 1;
  return streams_.back();
}

void Sequential::set_threads(std::size_t threads) {
  threads_ = std::max<std::size_t>(1, threads);
  pool_.reset();
}

void Sequential::set_tiling(std::size_t tile_rows, std::size_t tile_columns) {
  tile_rows_ = std::max<std::size_t>(1, tile_rows);
  tile_columns_ = std::max<std::size_t>(1, tile_columns);
}

Result<void> Sequential::process(const ChunkView& in, Chunk& out) {
  if (children_.empty()) {
    out.reshape(in.n_samples, in.n_channels);
    std::copy(in.samples.begin(), in.samples.end(), out.samples.begin());
    out.first_index = in.first_index;
    pass_events(in, out);
    return {};
  }
  // Stage s reads what stage s-1 wrote; the last stage writes straight into `out`.
  ChunkView view = in;
  Chunk* buffers[2] = {&ping_, &pong_};
  std::size_t stage = 0;
  for (std::size_t k = 0; k < children_.size(); k = stage_end_[k], ++stage) {
    Chunk& dst = stage_end_[k] == children_.size() ? out : *buffers[stage % 2];
    if (children_[k]->column_separable() && streams_[k + 1].n_channels == streams_[k].n_channels)
      process_fused(k, stage_end_[k], view, dst);
    else
      DASFLOW_TRY(children_[k]->process(view, dst));
    view = dst.view();
  }
  return {};
}

void Sequential::process_fused(std::size_t first, std::size_t last, const ChunkView& in, Chunk& out) {
  const std::size_t m = last - first;
  const std::size_t n_channels = in.n_channels;
  // Shapes first: each atom's output shape follows from its input's shape, not from samples.
  stage_outputs_.resize(std::max(stage_outputs_.size(), m));
  stage_views_.resize(m + 1);
  stage_views_[0] = in;
  for (std::size_t j = 0; j < m; ++j) {
    const ChunkShape shape = children_[first + j]->begin_columns(stage_views_[j]);
    Chunk& o = j + 1 == m ? out : stage_outputs_[j];
    if (j + 1 == m)
      o.reshape(shape.n_samples, n_channels);
    else
      o.n_samples = shape.n_samples, o.n_channels = n_channels;
    o.first_index = shape.first_index;
    stage_views_[j + 1] = ChunkView{{}, shape.n_samples, n_channels, shape.first_index, {}, kNoPendingEvents};
  }
  // Row blocks of the stage input, and where each block's rows start at every later level.
  const std::size_t n_blocks = (in.n_samples + tile_rows_ - 1) / tile_rows_;
  bounds_.resize(m + 1);
  bounds_[0].resize(n_blocks + 1);
  for (std::size_t b = 0; b <= n_blocks; ++b)
    bounds_[0][b] = std::min(b * tile_rows_, in.n_samples);
  for (std::size_t j = 0; j < m; ++j) {
    bounds_[j + 1].resize(n_blocks + 1);
    for (std::size_t b = 0; b <= n_blocks; ++b)
      bounds_[j + 1][b] = children_[first + j]->rows_out_through(bounds_[j][b]);
  }

  if (!pool_) pool_ = std::make_unique<WorkerPool>(threads_);
  const std::size_t tile_size = tile_rows_ * tile_columns_;
  scratch_.resize(2 * pool_->size());
  for (auto& buf : scratch_)
    buf.resize(std::max(buf.size(), tile_size));

  const std::size_t n_tiles = (n_channels + tile_columns_ - 1) / tile_columns_;
  pool_->run(n_tiles, [&](std::size_t tile, std::size_t slot) {
    const std::size_t c0 = tile * tile_columns_;
    const std::size_t width = std::min(tile_columns_, n_channels - c0);
    float* const buf[2] = {scratch_[2 * slot].data(), scratch_[2 * slot + 1].data()};
    const std::size_t bytes = width * sizeof(float);
    for (std::size_t b = 0; b < n_blocks; ++b) {
      // The tile's input rows into a compact buffer first, and the last atom's rows out of one at
      // the end: whole row segments that the hardware prefetcher streams, where the kernels'
      // register-blocked column groups would walk down the chunk's long row stride line by line.
      const float* in_rows = in.samples.data() + bounds_[0][b] * n_channels + c0;
      for (std::size_t r = 0; r < bounds_[0][b + 1] - bounds_[0][b]; ++r)
        std::memcpy(buf[0] + r * width, in_rows + r * n_channels, bytes);
      std::size_t cur = 0;
      for (std::size_t j = 0; j < m; ++j) {
        ColumnTile t;
        t.c0 = c0;
        t.width = width;
        t.in_first_index = stage_views_[j].first_index + static_cast<std::int64_t>(bounds_[j][b]);
        t.in_rows = bounds_[j][b + 1] - bounds_[j][b];
        if (t.in_rows == 0) break; // nothing reaches the later atoms from this block
        t.in = buf[cur];
        t.in_stride = width;
        t.out_rows = bounds_[j + 1][b + 1] - bounds_[j + 1][b];
        t.out = buf[1 - cur];
        t.out_stride = width;
        children_[first + j]->process_tile(t);
        cur = 1 - cur;
      }
      float* const out_rows = out.samples.data() + bounds_[m][b] * n_channels + c0;
      for (std::size_t r = 0; r < bounds_[m][b + 1] - bounds_[m][b]; ++r)
        std::memcpy(out_rows + r * n_channels, buf[cur] + r * width, bytes);
    }
  });

  // Events and shared state, in pipeline order: each atom's events feed the next one's.
  for (std::size_t j = 0; j < m; ++j) {
    Chunk& o = j + 1 == m ? out : stage_outputs_[j];
    children_[first + j]->end_columns(stage_views_[j], o);
    if (j + 1 < m) {
      stage_views_[j + 1].events = std::span<const Event>(o.events);
      stage_views_[j + 1].event_watermark = o.event_watermark;
    }
  }
}

std::size_t Sequential::max_output_samples(std::size_t n_in) const noexcept {
  for (const auto& c : children_)
    n_in = c->max_output_samples(n_in);
  return n_in;
}

void Sequential::reset() noexcept {
  for (auto& c : children_)
    c->reset();
}

StateTree Sequential::save_state() const {
  StateTree t("sequential", 1);
  for (const auto& c : children_)
    t.add_child(c->save_state());
  return t;
}

Result<void> Sequential::restore_state(const StateTree& state) {
  DASFLOW_TRY(state.expect("sequential", 1));
  if (state.children().size() != children_.size())
    return fail(Errc::state_mismatch, "state holds " + std::to_string(state.children().size()) +
                                          " atoms, the pipeline has " + std::to_string(children_.size()));
  // Restore into copies first so that a mismatch in a later child leaves every child untouched.
  std::vector<std::unique_ptr<Atom>> restored;
  restored.reserve(children_.size());
  for (std::size_t i = 0; i < children_.size(); ++i) {
    auto copy = children_[i]->clone();
    if (auto r = copy->restore_state(state.children()[i]); !r.ok()) {
      const std::string where = children_[i]->origin().path.empty()
                                    ? "atom " + std::to_string(i) + " (" + std::string(children_[i]->kind()) + ")"
                                    : children_[i]->origin().path;
      return fail(Errc::state_mismatch, where + ": " + r.error().message);
    }
    restored.push_back(std::move(copy));
  }
  children_ = std::move(restored);
  return {};
}

std::string Sequential::config_yaml() const {
  std::string s;
  for (const auto& c : children_)
    s += "- " + c->config_yaml() + "\n";
  return s;
}

} // namespace dasflow
