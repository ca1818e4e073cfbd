#pragma once
/// \file real_data.hpp
/// Reads the real files of ../shared/data/real for tests: plain ASCII columns and HDF5 datasets
/// (read with the HDF5 C library directly; the replay source of the daemon is tested elsewhere).

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <hdf5.h>

namespace dasflow::test {

inline std::string real_data_dir() { return DASFLOW_REAL_DATA_DIR; }

/// A time-major float matrix read from a real file.
struct RealArray {
  std::vector<float> samples;
  std::size_t n_rows = 0, n_channels = 0;
};

/// One number per line (ObsPy's ASCII test traces): a single channel.
inline RealArray read_ascii_column(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot open " + path);
  RealArray a;
  a.n_channels = 1;
  double v = 0;
  while (f >> v)
    a.samples.push_back(static_cast<float>(v));
  a.n_rows = a.samples.size();
  return a;
}

/// A 2-D (time, channel) dataset converted to float32 by HDF5.
inline RealArray read_hdf5_2d(const std::string& path, const std::string& dataset) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) throw std::runtime_error("cannot open HDF5 file " + path);
  const hid_t ds = H5Dopen2(file, dataset.c_str(), H5P_DEFAULT);
  if (ds < 0) {
    H5Fclose(file);
    throw std::runtime_error("no dataset " + dataset + " in " + path);
  }
  const hid_t space = H5Dget_space(ds);
  hsize_t dims[2] = {0, 0};
  const int rank = H5Sget_simple_extent_dims(space, dims, nullptr);
  RealArray a;
  if (rank == 2) {
    a.n_rows = dims[0];
    a.n_channels = dims[1];
    a.samples.resize(a.n_rows * a.n_channels);
    if (H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.samples.data()) < 0) a.samples.clear();
  }
  H5Sclose(space);
  H5Dclose(ds);
  H5Fclose(file);
  if (rank != 2 || a.samples.empty()) throw std::runtime_error("cannot read 2-D float data " + dataset + " of " + path);
  return a;
}

/// "shared:<path under data/real>" or "shared:<file>#<dataset>" as written by generate.py.
inline RealArray read_shared(const std::string& spec) {
  const std::string rel = spec.substr(spec.find(':') + 1);
  const auto hash = rel.find('#');
  if (hash == std::string::npos) return read_ascii_column(real_data_dir() + "/" + rel);
  return read_hdf5_2d(real_data_dir() + "/" + rel.substr(0, hash), rel.substr(hash + 1));
}

} // namespace dasflow::test
