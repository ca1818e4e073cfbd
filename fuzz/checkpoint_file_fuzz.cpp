// libFuzzer target: a checkpoint file (io/checkpoint_store.hpp) as found on disk at start-up —
// torn, damaged, or written by something else. read_state_file() reads it in a forked child
// (HDF5 1.10 can crash on damaged metadata); this process must get a StateTree whose checksum
// matched, or an Error, for any bytes.

#include <cstddef>
#include <cstdint>

#include "dasflow/io/checkpoint_store.hpp"
#include "fuzz_check.hpp"
#include "fuzz_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static dasflow::fuzz::ScratchFile file("checkpoint-000000000001.h5");
  if (!file.write(data, size)) return 0;
  auto tree = dasflow::io::read_state_file(file.path());
  if (!tree.ok()) return 0;
  // An accepted file is self-consistent: written again, it reads back equal.
  static dasflow::fuzz::ScratchFile copy("checkpoint-000000000002.h5");
  FUZZ_CHECK(dasflow::io::write_state_file(copy.path(), *tree).ok());
  auto again = dasflow::io::read_state_file(copy.path());
  FUZZ_CHECK(again.ok() && *again == *tree);
  return 0;
}
