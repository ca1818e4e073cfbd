#pragma once
/// \file golden_data.hpp
/// Reads tests/golden/data (written by tests/golden/generate.py): the manifest and raw
/// little-endian float64 files.

#include <cstdint>
#include <cstring>
#include <fstream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace dasflow::test {

inline std::string golden_dir() { return DASFLOW_GOLDEN_DIR; }

inline YAML::Node golden_manifest() { return YAML::LoadFile(golden_dir() + "/cases.yaml"); }

/// The whole file as doubles (this project only builds on little-endian machines, checked in CMake).
inline std::vector<double> read_f64(const std::string& name) {
  std::ifstream f(golden_dir() + "/" + name, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open golden file " + name);
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<double> v(bytes.size() / sizeof(double));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(double));
  return v;
}

/// One entry of the manifest's `spectral:` list (tests/golden/golden_*.py, issue 8): a pipeline,
/// its float32-valued input and scipy/numpy's float64 output, plus the module's extra keys in `node`.
struct SpectralCase {
  std::string name;
  std::string pipeline; ///< a YAML flow list of atoms
  double fs = 0.0;
  std::int64_t first_index = 0;
  std::size_t n_channels = 0, n_samples = 0, n_out = 0, out_channels = 0;
  std::vector<double> input, output; ///< time-major, n_samples × n_channels and n_out × out_channels
  YAML::Node node;                   ///< the whole entry, for module-specific keys (tolerances...)
};

/// Printed by GoogleTest instead of the struct's bytes.
inline void PrintTo(const SpectralCase& c, std::ostream* os) { *os << c.name; }

/// The spectral cases whose name starts with `prefix`, in manifest order.
inline std::vector<SpectralCase> spectral_cases(std::string_view prefix) {
  std::vector<SpectralCase> out;
  const YAML::Node list = golden_manifest()["spectral"];
  if (!list || !list.IsSequence()) return out;
  for (const YAML::Node& n : list) {
    const auto name = n["name"].as<std::string>();
    if (name.rfind(prefix, 0) != 0) continue;
    SpectralCase c;
    c.name = name;
    c.pipeline = n["pipeline"].as<std::string>();
    c.fs = n["fs"].as<double>();
    c.first_index = n["first_index"].as<std::int64_t>();
    c.n_channels = n["n_channels"].as<std::size_t>();
    c.n_samples = n["n_samples"].as<std::size_t>();
    c.n_out = n["n_out"].as<std::size_t>();
    c.out_channels = n["out_channels"].as<std::size_t>();
    c.input = read_f64(n["input"].as<std::string>());
    c.output = read_f64(n["output"].as<std::string>());
    c.node = n;
    out.push_back(std::move(c));
  }
  return out;
}

} // namespace dasflow::test
