// `fkfilter` (include/dasflow/atoms/fk_filter.hpp): the fan mask's gain, the block grid, the output
// indices and latency, configuration errors, and a physical check on two plane waves.

#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dasflow/atoms/fk_filter.hpp"
#include "dasflow/atoms/fk_mask.hpp"
#include "test_support.hpp"

namespace dasflow::test {
namespace {

using atoms::FkFan;
using atoms::FkMode;

StreamInfo fk_stream(double fs_hz, std::size_t n_channels, double dx_m) {
  StreamInfo s = stream(fs_hz, n_channels);
  s.coords = std::make_shared<const ChannelCoords>(ChannelCoords{0, 1, dx_m});
  return s;
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return a / b + (a % b > 0 ? 1 : 0); }

TEST(FkMask, GainIsOneInTheBandCosineOutsideAndZeroBeyond) {
  const FkFan fan{.vmin_mps = 1000.0, .vmax_mps = 5000.0, .taper = 0.2, .mode = FkMode::pass};
  EXPECT_EQ(atoms::fk_velocity_gain(fan, 1000.0), 1.0);
  EXPECT_EQ(atoms::fk_velocity_gain(fan, 3000.0), 1.0);
  EXPECT_EQ(atoms::fk_velocity_gain(fan, 5000.0), 1.0);
  EXPECT_NEAR(atoms::fk_velocity_gain(fan, 900.0), 0.5, 1e-12);  // middle of [800, 1000]
  EXPECT_NEAR(atoms::fk_velocity_gain(fan, 5500.0), 0.5, 1e-12); // middle of [5000, 6000]
  EXPECT_NEAR(atoms::fk_velocity_gain(fan, 850.0), 0.5 * (1 - std::cos(std::numbers::pi / 4)), 1e-12);
  EXPECT_EQ(atoms::fk_velocity_gain(fan, 800.0), 0.0);
  EXPECT_EQ(atoms::fk_velocity_gain(fan, 6000.0), 0.0);
  EXPECT_EQ(atoms::fk_velocity_gain(fan, 0.0), 0.0);
  EXPECT_EQ(atoms::fk_velocity_gain(fan, std::numeric_limits<double>::infinity()), 0.0);
  FkFan reject = fan;
  reject.mode = FkMode::reject;
  EXPECT_EQ(atoms::fk_velocity_gain(reject, 3000.0), 0.0);
  EXPECT_NEAR(atoms::fk_velocity_gain(reject, 850.0), 0.5 * (1 + std::cos(std::numbers::pi / 4)), 1e-12);
  const FkFan open{.vmin_mps = 1000.0, .taper = 0.0};
  EXPECT_EQ(atoms::fk_velocity_gain(open, std::numeric_limits<double>::infinity()), 1.0);
  EXPECT_EQ(atoms::fk_velocity_gain(open, 999.999), 0.0);
}

TEST(FkMask, GridDefinesTheZeroRowAndColumn) {
  // W = 8, Nk = 4, fs = 8 Hz, dx = 1 m: |f| = m Hz, |k| = j/4 cycles/m, v = 4m/j.
  const FkFan fan{.vmin_mps = 3.0, .vmax_mps = 10.0, .taper = 0.0};
  const auto m = atoms::fk_mask(fan, 8, 4, 8.0, 1.0, 1.0);
  ASSERT_EQ(m.size(), 5u * 3u);
  const float want[5][3] = {{0, 0, 0},  // f = 0 row, k = 0: v = ∞ > vmax; k ≠ 0: v = 0
                            {0, 1, 0},  // v = 4, 2
                            {0, 1, 1},  // v = 8, 4
                            {0, 0, 1},  // v = 12, 6
                            {0, 0, 1}}; // v = 16, 8
  for (std::size_t r = 0; r < 5; ++r)
    for (std::size_t j = 0; j < 3; ++j)
      EXPECT_EQ(m[r * 3 + j], want[r][j]) << "m " << r << " j " << j;
}

TEST(FkMask, WavenumberLengthIsSmooth) {
  EXPECT_EQ(atoms::fk_wavenumber_length(7, 1.0), 7u);
  EXPECT_EQ(atoms::fk_wavenumber_length(11, 1.0), 12u);
  EXPECT_EQ(atoms::fk_wavenumber_length(17, 1.0), 18u);
  EXPECT_EQ(atoms::fk_wavenumber_length(24, 2.0), 48u);
  EXPECT_EQ(atoms::fk_wavenumber_length(10'000, 2.0), 20'000u);
  EXPECT_EQ(atoms::fk_wavenumber_length(10, 1.5), 15u);
}

/// The all-pass fan (vmin 0, no vmax) leaves only the window sum: output row i must equal input row i
/// to float rounding, which pins down the block grid, the overlap-add and the output indices.
TEST(FkFilter, AllPassReturnsTheInputFromTheFirstFullyCoveredRow) {
  constexpr std::size_t kCh = 5, kRows = 200;
  const auto x = noise(kRows, kCh, 3);
  for (std::int64_t first : {std::int64_t{1'732'000'000'007}, std::int64_t{1'732'000'000'008}, std::int64_t{-13}}) {
    auto p = pipeline("[{atom: fkfilter, vmin: 0, window: 0.16, taper: 0}]", fk_stream(100.0, kCh, 3.0));
    ASSERT_NE(p, nullptr);
    constexpr std::int64_t kH = 8, kW = 16;
    Recording rec;
    run_chunks(*p, x, kCh, first, 0, split(kRows, Split::random, 4), rec);
    const std::int64_t b0 = ceil_div(first, kH);
    const std::int64_t first_out = (b0 + 1) * kH;
    const std::int64_t end = first + static_cast<std::int64_t>(kRows);
    const std::int64_t last_block = (end - kW) >= 0 ? (end - kW) / kH : -ceil_div(kW - end, kH); // floor
    ASSERT_FALSE(rec.first_indices.empty());
    EXPECT_EQ(rec.first_indices.front(), first_out);
    EXPECT_EQ(static_cast<std::int64_t>(rec.n_rows), (last_block + 1) * kH - first_out);
    for (std::size_t r = 0; r < rec.n_rows; ++r) {
      const auto in_row = static_cast<std::size_t>(first_out - first) + r;
      for (std::size_t c = 0; c < kCh; ++c)
        ASSERT_NEAR(rec.samples[r * kCh + c], x[in_row * kCh + c], 2e-6 * (1 + std::fabs(x[in_row * kCh + c])))
            << "first " << first << " row " << r << " channel " << c;
    }
  }
}

TEST(FkFilter, RejectingEverythingGivesZeros) {
  constexpr std::size_t kCh = 4, kRows = 100;
  const auto x = noise(kRows, kCh, 5);
  auto p = pipeline("[{atom: fkfilter, vmin: 0, window: 0.1, mode: reject}]", fk_stream(100.0, kCh, 1.0));
  ASSERT_NE(p, nullptr);
  Recording rec;
  run_chunks(*p, x, kCh, 0, 0, {kRows}, rec);
  ASSERT_EQ(rec.n_rows, 90u); // W = 10: blocks [0, 10) .. [90, 100), output rows [5, 95)
  for (float v : rec.samples)
    ASSERT_EQ(v, 0.0f);
}

/// Row i comes out with the input row floor(i/H)·H + W − 1, the last row of the later block covering it.
TEST(FkFilter, LatencyIsBetweenHalfAWindowAndAWindow) {
  constexpr std::size_t kCh = 3, kRows = 120;
  constexpr std::int64_t kFirst = 1'000'003, kH = 10, kW = 20;
  const auto x = noise(kRows, kCh, 6);
  auto p = pipeline("[{atom: fkfilter, vmin: 100, vmax: 1000, window: 0.2}]", fk_stream(100.0, kCh, 5.0));
  ASSERT_NE(p, nullptr);
  Chunk out;
  std::int64_t next_out = -1;
  for (std::size_t r = 0; r < kRows; ++r) {
    ChunkView in;
    in.samples = std::span<const float>(x.data() + r * kCh, kCh);
    in.n_samples = 1;
    in.n_channels = kCh;
    in.first_index = kFirst + static_cast<std::int64_t>(r);
    ASSERT_TRUE(p->process(in, out).ok());
    for (std::size_t k = 0; k < out.n_samples; ++k) {
      const std::int64_t i = out.first_index + static_cast<std::int64_t>(k);
      if (next_out >= 0) {
        EXPECT_EQ(i, next_out);
      }
      next_out = i + 1;
      const std::int64_t arrived = in.first_index;
      EXPECT_EQ(arrived, (i / kH) * kH + kW - 1) << "row " << i;
      EXPECT_GE(arrived - i, kH);
      EXPECT_LE(arrived - i, kW - 1);
    }
  }
  EXPECT_EQ(next_out, (kFirst + static_cast<std::int64_t>(kRows) - kW) / kH * kH + kH);
}

TEST(FkFilter, AGapRestartsTheGridAtTheNewIndex) {
  constexpr std::size_t kCh = 4, kRows = 300;
  const auto x = noise(kRows, kCh, 7);
  const std::string yaml = "[{atom: fkfilter, vmin: 50, vmax: 400, window: 0.1, taper: 0.2}]";
  auto gappy = pipeline(yaml, fk_stream(100.0, kCh, 2.0));
  auto fresh = pipeline(yaml, fk_stream(100.0, kCh, 2.0));
  ASSERT_NE(gappy, nullptr);
  ASSERT_NE(fresh, nullptr);
  Recording before, after, want;
  run_chunks(*gappy, x, kCh, 0, 0, {100}, before);
  // Rows 100.. arrive with indices shifted by 1001: a gap of 1001 samples.
  run_chunks(*gappy, x, kCh, 1001, 100, {37, 163}, after);
  run_chunks(*fresh, x, kCh, 1001, 100, {200}, want);
  EXPECT_TRUE(bit_identical(after.samples, want.samples, kCh));
  ASSERT_FALSE(after.first_indices.empty());
  EXPECT_EQ(after.first_indices.front(), want.first_indices.front());
}

TEST(FkFilter, ConfigRoundTripsAndOmitsAnInfiniteVmax) {
  auto p = pipeline("[{atom: fkfilter, vmin: 300, window: 0.5, taper: 0.05, mode: reject, pad: 1}]",
                    fk_stream(200.0, 8, 1.0));
  ASSERT_NE(p, nullptr);
  EXPECT_NE(p->config_yaml().find("{atom: fkfilter, vmin: 300, window: 0.5, taper: 0.050000000000000003, mode: reject, "
                                  "pad: 1}"),
            std::string::npos)
      << p->config_yaml();
  auto again = pipeline(p->config_yaml(), fk_stream(200.0, 8, 1.0));
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->config_yaml(), p->config_yaml());
}

struct Bad {
  std::string yaml, want;
  std::size_t n_channels = 8;
};

TEST(FkFilter, BadConfigsNameTheKey) {
  const std::vector<Bad> bad = {
      {"{atom: fkfilter, window: 1}", "pipeline[0].vmin: is required"},
      {"{atom: fkfilter, vmin: -1, window: 1}", "pipeline[0].vmin: must be >= 0"},
      {"{atom: fkfilter, vmin: 500, vmax: 500, window: 1}", "pipeline[0].vmax: must be greater than vmin (500)"},
      {"{atom: fkfilter, vmin: 500, vmax: .inf, window: 1}", "pipeline[0].vmax: must be a finite number"},
      {"{atom: fkfilter, vmin: 500}", "pipeline[0].window: is required"},
      {"{atom: fkfilter, vmin: 500, window: -1}", "pipeline[0].window: must be positive"},
      {"{atom: fkfilter, vmin: 500, window: 0.05}", "pipeline[0].window: must span at least 8 samples"},
      {"{atom: fkfilter, vmin: 500, window: 1, taper: 1}", "pipeline[0].taper: must be in [0, 1)"},
      {"{atom: fkfilter, vmin: 500, window: 1, pad: 0.5}", "pipeline[0].pad: must be between 1 and 8"},
      {"{atom: fkfilter, vmin: 500, window: 1, mode: bandpass}", "pipeline[0].mode: must be one of pass, reject"},
      {"{atom: fkfilter, vmin: 500, window: 1, vmn: 3}", "pipeline[0].vmn: unknown key"},
      {"{atom: fkfilter, vmin: 500, window: 1}", "at least 2 channels", 1},
  };
  const Registry reg = atoms::builtin_registry();
  for (const auto& b : bad) {
    std::string msg;
    auto seq = reg.build_pipeline(YAML::Load("[" + b.yaml + "]"));
    if (!seq.ok()) {
      msg = seq.error().message;
    } else {
      auto r = seq.value()->configure(fk_stream(100.0, b.n_channels, 1.0));
      if (!r.ok()) msg = r.error().message;
    }
    EXPECT_NE(msg.find(b.want), std::string::npos) << b.yaml << " gave: '" << msg << "'";
  }
}

/// Energy of the output rows at least 2 windows after the stream start, channels [c0, c1), relative
/// to the input's energy on the same rows and channels.
double energy_ratio(const Recording& out, const std::vector<float>& x, std::size_t n_ch, std::int64_t first,
                    std::int64_t from, std::size_t c0, std::size_t c1) {
  double eo = 0, ei = 0;
  for (std::size_t r = 0; r < out.n_rows; ++r) {
    const std::int64_t i = out.first_indices.front() + static_cast<std::int64_t>(r);
    if (i < from) continue;
    const auto in_row = static_cast<std::size_t>(i - first);
    for (std::size_t c = c0; c < c1; ++c) {
      eo += double(out.samples[r * n_ch + c]) * out.samples[r * n_ch + c];
      ei += double(x[in_row * n_ch + c]) * x[in_row * n_ch + c];
    }
  }
  return eo / ei;
}

/// Two 30 Hz plane waves on 400 channels 2 m apart at 1 kHz, one at 300 m/s and one at 3000 m/s,
/// through a fan keeping 1000–5000 m/s: the slow one is removed, the fast one kept, measured on
/// the 200 middle channels (away from the array ends, where the finite aperture spreads k).
TEST(FkFilter, KeepsTheFastPlaneWaveAndRemovesTheSlowOne) {
  constexpr std::size_t kCh = 400, kRows = 4096;
  constexpr double kFs = 1000.0, kDx = 2.0, kF0 = 30.0;
  constexpr std::int64_t kFirst = 1'732'000'000'000;
  const std::string yaml = "[{atom: fkfilter, vmin: 1000, vmax: 5000, window: 0.256, taper: 0.1}]";
  double ratio_db[2] = {0, 0};
  const double velocities[2] = {300.0, 3000.0};
  for (int k = 0; k < 2; ++k) {
    std::vector<float> x(kRows * kCh);
    for (std::size_t t = 0; t < kRows; ++t)
      for (std::size_t c = 0; c < kCh; ++c)
        x[t * kCh + c] =
            static_cast<float>(std::sin(2 * std::numbers::pi * kF0 *
                                        (static_cast<double>(t) / kFs - static_cast<double>(c) * kDx / velocities[k])));
    auto p = pipeline(yaml, fk_stream(kFs, kCh, kDx));
    ASSERT_NE(p, nullptr);
    Recording rec;
    run_chunks(*p, x, kCh, kFirst, 0, split(kRows, Split::random, 11), rec);
    ASSERT_GT(rec.n_rows, 3000u);
    ratio_db[k] = 10 * std::log10(energy_ratio(rec, x, kCh, kFirst, kFirst + 512, 100, 300));
  }
  std::printf("slow (300 m/s): %.1f dB, fast (3000 m/s): %+.3f dB\n", ratio_db[0], ratio_db[1]);
  EXPECT_LT(ratio_db[0], -40.0);
  EXPECT_NEAR(ratio_db[1], 0.0, 0.26); // amplitude within 3 %
}

} // namespace
} // namespace dasflow::test
