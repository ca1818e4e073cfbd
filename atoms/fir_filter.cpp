#include "dasflow/atoms/fir_filter.hpp"

#include "dasflow/core/yaml_writer.hpp"

namespace dasflow::atoms {

namespace {

FirWindow read_window(ConfigReader& r) {
  FirWindow w;
  w.name =
      r.choice("window", "hamming",
               {"hamming", "hann", "hanning", "blackman", "boxcar", "rectangular", "bartlett", "triang", "kaiser"});
  const auto beta = r.optional_number("beta");
  if (w.name == "kaiser" && !beta) r.error("beta", "the kaiser window needs beta (e.g. 8.6)");
  if (w.name != "kaiser" && beta) r.error("beta", "applies only to the kaiser window");
  w.beta = beta.value_or(0.0);
  return w;
}

} // namespace

std::unique_ptr<Atom> FirFilter::from_config(ConfigReader& r) {
  Config c;
  c.numtaps = r.integer("numtaps", 0, 1, 100'000);
  if (!r.has("numtaps")) r.error("numtaps", "is required");
  c.cutoff_hz = r.numbers("cutoff", true);
  c.btype = r.choice("btype", "lowpass", {"lowpass", "highpass", "bandpass", "bandstop"});
  c.window = read_window(r);
  c.method = parse_fir_method(r.choice("method", "auto", {"auto", "direct", "fft"}));
  return std::make_unique<FirFilter>(std::move(c));
}

Result<StreamInfo> FirFilter::configure(const StreamInfo& in) {
  for (double f : config_.cutoff_hz)
    if (!(f > 0.0 && f < in.nyquist_hz()))
      return origin_.error("cutoff", "must be between 0 and the Nyquist frequency of the input (" +
                                         YamlFlowMap::format(in.nyquist_hz()) + " Hz at fs = " +
                                         YamlFlowMap::format(in.fs_hz) + " Hz), got " + YamlFlowMap::format(f));
  const bool pass_zero = config_.btype == "lowpass" || config_.btype == "bandstop";
  const bool two_edges = config_.btype == "bandpass" || config_.btype == "bandstop";
  if (two_edges != (config_.cutoff_hz.size() == 2))
    return origin_.error("cutoff",
                         config_.btype + (two_edges ? " needs [low, high] in Hz" : " needs one frequency in Hz"));
  auto taps = firwin(static_cast<std::size_t>(config_.numtaps), config_.cutoff_hz, config_.window, pass_zero, in.fs_hz);
  if (!taps.ok()) return origin_.error("", taps.error().message);
  use_fft_ = fir_uses_fft(config_.method, taps->size());
  if (use_fft_)
    fft_.configure(std::move(taps).value(), in.n_channels);
  else
    kernel_.configure(std::move(taps).value(), in.n_channels, 1);
  return in;
}

Result<void> FirFilter::process(const ChunkView& in, Chunk& out) {
  if (!use_fft_) {
    process_by_columns(in, out);
    return {};
  }
  fft_.process(in, out);
  pass_events(in, out);
  return {};
}

void FirFilter::reset() noexcept {
  if (use_fft_)
    fft_.reset();
  else
    kernel_.reset();
}

StateTree FirFilter::save_state() const { return use_fft_ ? fft_.save("firfilter") : kernel_.save("firfilter"); }

Result<void> FirFilter::restore_state(const StateTree& s) {
  return use_fft_ ? fft_.restore(s, "firfilter") : kernel_.restore(s, "firfilter");
}

std::string FirFilter::config_yaml() const {
  YamlFlowMap m("firfilter");
  m.add("numtaps", config_.numtaps).add("cutoff", config_.cutoff_hz).add("btype", config_.btype);
  m.add("window", config_.window.name);
  if (config_.window.name == "kaiser") m.add("beta", config_.window.beta);
  // Written only when not auto, so configs (and checkpoint hashes) from before the key stay equal.
  if (config_.method != FirMethod::automatic) m.add("method", fir_method_name(config_.method));
  return m.str();
}

} // namespace dasflow::atoms
