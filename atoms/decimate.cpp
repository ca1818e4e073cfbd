#include "dasflow/atoms/decimate.hpp"

#include <cstring>

#include "dasflow/atoms/decimation_phase.hpp"
#include "dasflow/atoms/fir_design.hpp"
#include "dasflow/atoms/iir_design.hpp"
#include "dasflow/core/yaml_writer.hpp"

namespace dasflow::atoms {

Decimate::Decimate(const Decimate& o) : Atom(o), config_(o.config_), use_fft_(o.use_fft_), fir_(o.fir_), fft_(o.fft_) {
  if (o.iir_) iir_ = std::make_unique<LFilter>(*o.iir_);
}

std::unique_ptr<Atom> Decimate::from_config(ConfigReader& r) {
  Config c;
  c.factor = r.integer("factor", 2, 2, 10'000);
  if (!r.has("factor")) r.error("factor", "is required (an integer >= 2)");
  c.ftype = r.choice("ftype", "fir", {"fir", "iir"});
  c.numtaps = r.integer("numtaps", 0, 1, 100'000);
  if (c.ftype == "iir" && r.has("numtaps")) r.error("numtaps", "applies only to ftype fir");
  c.method = parse_fir_method(r.choice("method", "auto", {"auto", "direct", "fft"}));
  if (c.ftype == "iir" && r.has("method")) r.error("method", "applies only to ftype fir");
  return std::make_unique<Decimate>(std::move(c));
}

Result<StreamInfo> Decimate::configure(const StreamInfo& in) {
  StreamInfo out = in;
  out.fs_hz = in.fs_hz / static_cast<double>(config_.factor);
  const double q = static_cast<double>(config_.factor);
  if (config_.ftype == "fir") {
    // scipy.signal.decimate: firwin(n + 1, 1/q, window="hamming") with the cutoff relative to
    // Nyquist; fs = 2 expresses that exactly.
    const std::size_t numtaps = config_.numtaps > 0 ? static_cast<std::size_t>(config_.numtaps)
                                                    : static_cast<std::size_t>(20 * config_.factor + 1);
    auto taps = firwin(numtaps, {1.0 / q}, FirWindow{}, true, 2.0);
    if (!taps.ok()) return origin_.error("numtaps", taps.error().message);
    use_fft_ = fir_uses_fft(config_.method, numtaps, static_cast<std::size_t>(config_.factor));
    if (use_fft_)
      fft_.configure(std::move(taps).value(), in.n_channels);
    else
      fir_.configure(std::move(taps).value(), in.n_channels, config_.factor);
    iir_.reset();
    return out;
  }
  // scipy.signal.decimate(ftype="iir"): cheby1(8, 0.05, 0.8/q) as b, a, run by lfilter.
  IirDesign d;
  d.order = 8;
  d.cutoff_hz = {0.8 / q};
  d.btype = BandType::lowpass;
  d.ftype = FilterFamily::cheby1;
  d.rp_db = 0.05;
  auto zpk = design_iir_zpk(d, 2.0);
  if (!zpk.ok()) return origin_.error("factor", zpk.error().message);
  const TransferFunction tf = zpk_to_tf(*zpk);
  iir_ = std::make_unique<LFilter>(LFilter::Config{tf.b, tf.a});
  DASFLOW_TRY(iir_->configure(in));
  return out;
}

std::size_t Decimate::max_output_samples(std::size_t n_in) const noexcept {
  const auto q = static_cast<std::size_t>(config_.factor);
  const std::size_t n_full = use_fft_ ? fft_.max_output_samples(n_in) : n_in;
  return (n_full + q - 1) / q;
}

Result<void> Decimate::process(const ChunkView& in, Chunk& out) {
  if (column_separable()) {
    process_by_columns(in, out);
    return {};
  }
  // Full-rate filter, then keep the rows whose absolute index is a multiple of q. The FFT path's
  // rows lag the input by up to a block: index them by the filtered chunk's own first_index.
  if (use_fft_)
    fft_.process(in, filtered_);
  else
    DASFLOW_TRY(iir_->process(in, filtered_));
  const KeptRows kept = kept_rows(filtered_.first_index, filtered_.n_samples, config_.factor);
  out.reshape(kept.count, in.n_channels);
  out.first_index = kept.first_index / config_.factor;
  for (std::size_t j = 0; j < kept.count; ++j)
    std::memcpy(out.row(j), filtered_.row(kept.first_row + j * static_cast<std::size_t>(config_.factor)),
                in.n_channels * sizeof(float));
  pass_events(in, out);
  return {};
}

void Decimate::reset() noexcept {
  fir_.reset();
  fft_.reset();
  if (iir_) iir_->reset();
}

StateTree Decimate::save_state() const {
  if (iir_) {
    StateTree t("decimate", 1);
    t.set("ftype", std::string("iir"));
    t.add_child(iir_->save_state());
    return t;
  }
  StateTree t = use_fft_ ? fft_.save("decimate") : fir_.save("decimate");
  t.set("ftype", std::string("fir"));
  return t;
}

Result<void> Decimate::restore_state(const StateTree& s) {
  if (use_fft_) {
    DASFLOW_TRY_ASSIGN(ftype, s.get_string("ftype"));
    if (ftype != "fir")
      return fail(Errc::state_mismatch, "decimate state is for ftype " + ftype + ", the pipeline has fir");
    return fft_.restore(s, "decimate");
  }
  DASFLOW_TRY(s.expect("decimate", 1));
  DASFLOW_TRY_ASSIGN(ftype, s.get_string("ftype"));
  if (ftype != config_.ftype)
    return fail(Errc::state_mismatch, "decimate state is for ftype " + ftype + ", the pipeline has " + config_.ftype);
  if (!iir_) return fir_.restore(s, "decimate");
  if (s.children().size() != 1) return fail(Errc::state_mismatch, "decimate iir state has no filter state");
  return iir_->restore_state(s.children()[0]);
}

std::string Decimate::config_yaml() const {
  YamlFlowMap m("decimate");
  m.add("factor", config_.factor).add("ftype", config_.ftype);
  if (config_.ftype == "fir" && config_.numtaps > 0) m.add("numtaps", config_.numtaps);
  // Written only when not auto, so configs (and checkpoint hashes) from before the key stay equal.
  if (config_.method != FirMethod::automatic) m.add("method", fir_method_name(config_.method));
  return m.str();
}

} // namespace dasflow::atoms
