#include "dasflow/atoms/spectrogram.hpp"

#include <cmath>

#include "dasflow/atoms/spectral_window.hpp"
#include "dasflow/core/yaml_writer.hpp"

namespace dasflow::atoms {

std::unique_ptr<Atom> Spectrogram::from_config(ConfigReader& r) {
  Config c;
  c.nperseg = r.integer("nperseg", 256, 2, 1 << 20);
  c.noverlap = r.integer("noverlap", -1, 0, (1 << 20) - 1);
  if (r.has("noverlap") && c.noverlap >= c.nperseg)
    r.error("noverlap",
            "must be less than nperseg (" + std::to_string(c.nperseg) + "), got " + std::to_string(c.noverlap));
  c.window = r.choice("window", "tukey", {"tukey", "hann", "hamming", "blackman", "boxcar"});
  const auto alpha = r.optional_number("alpha");
  if (alpha && c.window != "tukey") r.error("alpha", "applies only to the tukey window");
  if (alpha && !(*alpha >= 0.0 && *alpha <= 1.0))
    r.error("alpha", "must be between 0 and 1, got " + YamlFlowMap::format(*alpha));
  c.alpha = alpha.value_or(0.25);
  c.detrend = r.choice("detrend", "constant", {"constant", "none"});
  return std::make_unique<Spectrogram>(std::move(c));
}

Result<StreamInfo> Spectrogram::configure(const StreamInfo& in) {
  DASFLOW_TRY(require_time_series(in, "it transforms each channel's samples"));
  if (in.n_channels == 0) return origin_.error("", "needs at least one channel");
  const auto n = static_cast<std::size_t>(config_.nperseg);
  const std::size_t noverlap = config_.noverlap >= 0 ? static_cast<std::size_t>(config_.noverlap) : n / 8;
  auto window = periodic_window(config_.window, n, config_.alpha);
  if (!window.ok()) return origin_.error("window", window.error().message);
  SlidingSpectrum::Setup s;
  s.n_channels = in.n_channels;
  s.nperseg = n;
  s.hop = n - noverlap;
  s.window = std::move(window).value();
  s.detrend_constant = config_.detrend == "constant";
  s.fs_hz = in.fs_hz;
  engine_.configure(std::move(s));
  n_channels_ = in.n_channels;

  auto axis = std::make_shared<SpectralAxis>();
  axis->kind = SpectralAxis::Kind::frequencies;
  for (std::size_t f = 0; f < engine_.n_bins(); ++f) {
    axis->low_hz.push_back(engine_.bin_hz(f));
    axis->high_hz.push_back(engine_.bin_hz(f));
  }
  axis->window_name = config_.window == "tukey" ? "tukey(" + YamlFlowMap::format(config_.alpha) + ")" : config_.window;
  axis->unit = "unit^2/Hz";
  return engine_.output_stream(in, std::move(axis));
}

Result<void> Spectrogram::process(const ChunkView& in, Chunk& out) {
  const std::size_t bins = engine_.n_bins(), nch = n_channels_;
  engine_.process_into(in, out, bins * nch, [&](float* y, std::size_t c0, std::size_t nb, const double* psd) {
    for (std::size_t f = 0; f < bins; ++f)
      for (std::size_t j = 0; j < nb; ++j)
        y[f * nch + c0 + j] = static_cast<float>(psd[j * bins + f]);
  });
  pass_events(in, out);
  return {};
}

std::string Spectrogram::config_yaml() const {
  YamlFlowMap m("spectrogram");
  m.add("nperseg", config_.nperseg);
  if (config_.noverlap >= 0) m.add("noverlap", config_.noverlap);
  m.add("window", config_.window);
  if (config_.window == "tukey") m.add("alpha", config_.alpha);
  m.add("detrend", config_.detrend);
  return m.str();
}

} // namespace dasflow::atoms
