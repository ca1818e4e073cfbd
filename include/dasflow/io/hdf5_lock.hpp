#pragma once
/// \file hdf5_lock.hpp
/// Debian's libhdf5 is built without thread safety, and netCDF-C calls into it too: the whole
/// process must enter HDF5 from one thread at a time. Every HDF5 or netCDF user in dasflow (the
/// replay reader on the reader thread, the file writers on the writer thread, later the checkpoint
/// store) holds this lock around its calls.

#include <mutex>

namespace dasflow::io {

/// The process-wide HDF5 lock (recursive: a locked caller may call another locked helper).
std::recursive_mutex& hdf5_mutex();

} // namespace dasflow::io
