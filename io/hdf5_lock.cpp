#include "dasflow/io/hdf5_lock.hpp"

namespace dasflow::io {

std::recursive_mutex& hdf5_mutex() {
  static std::recursive_mutex m;
  return m;
}

} // namespace dasflow::io
