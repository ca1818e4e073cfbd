#pragma once
/// \file failpoint.hpp
/// Fault injection for the end-to-end tests that prove exact resume (DESIGN.md §5): the daemon
/// must survive being killed at any instruction, and the tests need to kill it at the worst ones —
/// in the middle of a checkpoint save, between closing and renaming a file — deterministically.
///
/// `DASFLOW_FAILPOINT="name:N[:kill|term][,name:N...]"` in the environment makes the Nth pass
/// (1-based) through `failpoint("name")` raise SIGKILL (default) or SIGTERM in this process. Unset,
/// a failpoint costs one branch on a value read once. The names in use are listed where they are
/// placed: checkpoint.written, checkpoint.renamed (checkpoint_store.cpp), hdf5.closed,
/// hdf5.renamed, hdf5.rebuild (hdf5_output.cpp), writer.chunk, writer.checkpoint (runtime.cpp).

#include <string_view>

namespace dasflow::io {

void failpoint(std::string_view name) noexcept;

} // namespace dasflow::io
