#pragma once
/// \file test_support.hpp
/// Helpers shared by the test suites: building pipelines from YAML text, running a stream through an
/// atom in a given partition, and the partitions the property tests use.

#include <cctype>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "dasflow/atoms/builtin.hpp"
#include "dasflow/core/atom.hpp"
#include "dasflow/core/registry.hpp"

namespace dasflow::test {

/// A stream of `n_channels` at `fs_hz`, channel numbers 0.., 1 m apart.
inline StreamInfo stream(double fs_hz, std::size_t n_channels) {
  StreamInfo s;
  s.fs_hz = fs_hz;
  s.n_channels = n_channels;
  return s;
}

/// A configured pipeline from YAML list text (`- {atom: ...}` lines or a flow list); fails the test on error.
inline std::unique_ptr<Sequential> pipeline(const std::string& yaml, const StreamInfo& in) {
  const Registry reg = atoms::builtin_registry();
  auto seq = reg.build_pipeline(YAML::Load(yaml));
  if (!seq.ok()) {
    ADD_FAILURE() << "pipeline rejected: " << seq.error().message << "\n" << yaml;
    return nullptr;
  }
  auto out = seq.value()->configure(in);
  if (!out.ok()) {
    ADD_FAILURE() << "configure failed: " << out.error().message << "\n" << yaml;
    return nullptr;
  }
  return std::move(seq).value();
}

/// A whole stream held in memory: time-major samples plus the events that came out with them.
struct Recording {
  std::vector<float> samples;
  std::vector<std::int64_t> first_indices; ///< first_index of every non-empty output chunk
  std::vector<Event> events;
  std::size_t n_rows = 0;
};

/// Feeds rows [begin, begin + sizes...) of `input` (n_channels wide, starting at absolute index
/// `first_index + begin`) through `atom`, chunk by chunk, appending to `rec`.
inline void run_chunks(Atom& atom, const std::vector<float>& input, std::size_t n_channels, std::int64_t first_index,
                       std::size_t begin, const std::vector<std::size_t>& sizes, Recording& rec) {
  Chunk out;
  std::size_t at = begin;
  for (std::size_t n : sizes) {
    ChunkView in;
    in.samples = std::span<const float>(input.data() + at * n_channels, n * n_channels);
    in.n_samples = n;
    in.n_channels = n_channels;
    in.first_index = first_index + static_cast<std::int64_t>(at);
    const auto r = atom.process(in, out);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_LE(out.n_samples, atom.max_output_samples(n));
    rec.samples.insert(rec.samples.end(), out.samples.begin(),
                       out.samples.begin() + static_cast<std::ptrdiff_t>(out.n_samples * out.n_channels));
    if (out.n_samples > 0) rec.first_indices.push_back(out.first_index);
    rec.events.insert(rec.events.end(), out.events.begin(), out.events.end());
    rec.n_rows += out.n_samples;
    at += n;
  }
}

/// Sizes summing to `total`, drawn by `kind`.
enum class Split { ones, primes, random, one_then_rest, with_empty };
inline std::vector<std::size_t> split(std::size_t total, Split kind, std::uint32_t seed = 1) {
  std::vector<std::size_t> sizes;
  std::mt19937 rng(seed);
  static constexpr std::size_t kPrimes[] = {2,  3,  5,  7,  11, 13, 17, 19,  23,  29,
                                            31, 37, 41, 43, 47, 53, 97, 101, 257, 1009};
  std::size_t left = total, i = 0;
  while (left > 0) {
    std::size_t n = 1;
    switch (kind) {
    case Split::ones: n = 1; break;
    case Split::primes: n = kPrimes[i % std::size(kPrimes)]; break;
    case Split::random: n = std::uniform_int_distribution<std::size_t>(1, 700)(rng); break;
    case Split::one_then_rest: n = i == 0 ? 1 : left; break;
    case Split::with_empty: n = (i % 3 == 1) ? 0 : std::uniform_int_distribution<std::size_t>(1, 64)(rng); break;
    }
    n = std::min(n, left);
    sizes.push_back(n);
    left -= n;
    ++i;
  }
  return sizes;
}

/// Deterministic float32 test input: noise plus a few spikes and a step, channel-dependent.
inline std::vector<float> noise(std::size_t n_rows, std::size_t n_channels, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> x(n_rows * n_channels);
  for (std::size_t t = 0; t < n_rows; ++t)
    for (std::size_t c = 0; c < n_channels; ++c) {
      float v = g(rng) * static_cast<float>(1 + c);
      if (t % 997 == c) v += 50.0f;
      if (t > n_rows / 2) v += 3.0f;
      x[t * n_channels + c] = v;
    }
  return x;
}

/// A GoogleTest parameter name from a case name: every character that is not a letter or digit
/// becomes '_'.
inline std::string param_name(std::string name) {
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

/// Bitwise equality of two float vectors with the first differing position in the message.
inline ::testing::AssertionResult bit_identical(const std::vector<float>& a, const std::vector<float>& b,
                                                std::size_t n_channels) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << "sizes differ: " << a.size() << " vs " << b.size();
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0)
      return ::testing::AssertionFailure() << "first difference at row " << i / n_channels << ", channel "
                                           << i % n_channels << ": " << a[i] << " vs " << b[i];
  return ::testing::AssertionSuccess();
}

} // namespace dasflow::test
