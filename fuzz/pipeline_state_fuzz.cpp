// libFuzzer target: a pipeline's saved state as it comes back from a checkpoint (StateTree's
// binary form, then restore_state). The checkpoint's CRC catches damage on disk, but not a state
// written by another dasflow version or build: restore_state() must refuse any tree that does not
// fit the configured pipeline (wrong kind, version, sizes, indices), and a state it accepts must
// process the next chunk without touching memory it does not own.
//
// Input: byte 0 picks the pipeline (fuzz_pipelines.hpp), the rest is StateTree::serialize() output.

#include <cstddef>
#include <cstdint>
#include <span>

#include "dasflow/core/state_tree.hpp"
#include "fuzz_check.hpp"
#include "fuzz_pipelines.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dasflow;
  if (size < 1) return 0;
  auto tree = StateTree::deserialize(std::span<const std::uint8_t>(data + 1, size - 1));
  if (!tree.ok()) return 0;
  // What deserialize accepts survives another round trip unchanged (bytes may differ from the
  // input: values are kept sorted by name, a repeated name keeps its last value).
  auto again = StateTree::deserialize(tree->serialize());
  FUZZ_CHECK(again.ok() && *again == *tree);
  auto pipeline = fuzz::make_pipeline(data[0]);
  FUZZ_CHECK(pipeline != nullptr);
  if (!pipeline->restore_state(*tree).ok()) return 0;
  // A restored pipeline continues from where the state says: feed it two chunks from there.
  Chunk out;
  std::int64_t next = fuzz::kSeedRows; // where the seed states were saved
  for (int i = 0; i < 2; ++i) {
    const Chunk in = fuzz::synthetic_chunk(next, 37);
    if (!pipeline->process(in.view(), out).ok()) return 0;
    next += 37;
  }
  return 0;
}
