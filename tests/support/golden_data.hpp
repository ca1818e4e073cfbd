#pragma once
/// \file golden_data.hpp
/// Reads tests/golden/data (written by tests/golden/generate.py): the manifest and raw
/// little-endian float64 files.

#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
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

} // namespace dasflow::test
