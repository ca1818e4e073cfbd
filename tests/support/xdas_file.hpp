#pragma once
/// \file xdas_file.hpp
/// Reads back what the xdas/CF output wrote (with netCDF-C, as any CF reader would).

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <netcdf.h>

namespace dasflow::test {

/// `__values__` of an xdas/CF file (time, distance) or, for a spectral product, (time, frequency,
/// distance), plus its time tie points and frequency coordinate.
struct XdasFile {
  std::vector<float> values;
  std::size_t n_time = 0, n_distance = 0;
  std::size_t n_frequency = 1;   ///< 1 for a time series
  std::vector<double> frequency; ///< the `frequency` coordinate (spectral products only)
  std::vector<long long> time_indices, time_values;
  std::string conventions;
};

inline XdasFile read_xdas(const std::filesystem::path& path) {
  XdasFile f;
  int nc = -1;
  if (nc_open(path.c_str(), NC_NOWRITE, &nc) != NC_NOERR) {
    ADD_FAILURE() << "netCDF cannot open " << path;
    return f;
  }
  int var = -1, rank = 0, dims[3] = {-1, -1, -1};
  EXPECT_EQ(nc_inq_varid(nc, "__values__", &var), NC_NOERR) << path;
  EXPECT_EQ(nc_inq_varndims(nc, var, &rank), NC_NOERR);
  EXPECT_TRUE(rank == 2 || rank == 3) << path << ": __values__ has rank " << rank;
  if (rank != 2 && rank != 3) rank = 2;
  EXPECT_EQ(nc_inq_vardimid(nc, var, dims), NC_NOERR);
  nc_inq_dimlen(nc, dims[0], &f.n_time);
  nc_inq_dimlen(nc, dims[rank - 1], &f.n_distance);
  if (rank == 3) {
    nc_inq_dimlen(nc, dims[1], &f.n_frequency);
    int fv = -1;
    f.frequency.resize(f.n_frequency);
    EXPECT_EQ(nc_inq_varid(nc, "frequency", &fv), NC_NOERR) << path;
    EXPECT_EQ(nc_get_var_double(nc, fv, f.frequency.data()), NC_NOERR) << path;
  }
  f.values.resize(f.n_time * f.n_frequency * f.n_distance);
  EXPECT_EQ(nc_get_var_float(nc, var, f.values.data()), NC_NOERR);
  for (auto [name, dst] : {std::pair{"time_indices", &f.time_indices}, std::pair{"time_values", &f.time_values}}) {
    int v = -1, d = -1;
    std::size_t n = 0;
    EXPECT_EQ(nc_inq_varid(nc, name, &v), NC_NOERR) << name;
    nc_inq_vardimid(nc, v, &d);
    nc_inq_dimlen(nc, d, &n);
    dst->resize(n);
    EXPECT_EQ(nc_get_var_longlong(nc, v, dst->data()), NC_NOERR) << name;
  }
  // A text attribute may be NC_CHAR or NC_STRING (what netCDF-4 "string" attributes are).
  nc_type type = NC_NAT;
  std::size_t len = 0;
  if (nc_inq_att(nc, NC_GLOBAL, "Conventions", &type, &len) == NC_NOERR) {
    if (type == NC_CHAR) {
      f.conventions.resize(len);
      nc_get_att_text(nc, NC_GLOBAL, "Conventions", f.conventions.data());
    } else if (type == NC_STRING && len == 1) {
      char* text = nullptr;
      nc_get_att_string(nc, NC_GLOBAL, "Conventions", &text);
      if (text) f.conventions = text;
      nc_free_string(1, &text);
    }
  }
  nc_close(nc);
  return f;
}

} // namespace dasflow::test
