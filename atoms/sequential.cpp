#include "dasflow/core/sequential.hpp"

namespace dasflow {

Sequential::Sequential(const Sequential& o) : Atom(o), streams_(o.streams_) {
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
  return streams_.back();
}

Result<void> Sequential::process(const ChunkView& in, Chunk& out) {
  if (children_.empty()) {
    out.reshape(in.n_samples, in.n_channels);
    std::copy(in.samples.begin(), in.samples.end(), out.samples.begin());
    out.first_index = in.first_index;
    pass_events(in, out);
    return {};
  }
  // Child k reads what child k-1 wrote; the last child writes straight into `out`.
  ChunkView view = in;
  Chunk* buffers[2] = {&ping_, &pong_};
  for (std::size_t k = 0; k < children_.size(); ++k) {
    Chunk& dst = k + 1 == children_.size() ? out : *buffers[k % 2];
    DASFLOW_TRY(children_[k]->process(view, dst));
    view = dst.view();
  }
  return {};
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
