#pragma once
/// \file isolated_call.hpp
/// Runs a function in a forked child process (internal header of io/).
///
/// HDF5 1.10 trusts sizes and addresses in a file's metadata: damaged metadata can make it read out
/// of bounds and die with SIGSEGV (found by overwriting 64 bytes of the ASN sample's metadata). A
/// daemon that crashes on a file at start-up restarts, reads the same file and crashes again. So
/// code that opens a file it did not just write (a vendor file, a checkpoint) first does the risky
/// part in a child: a crash there is an Error here.

#include <chrono>
#include <functional>
#include <string>

#include "dasflow/core/result.hpp"

namespace dasflow::io {

/// True in a child of run_isolated() (it is single-threaded; see Hdf5Lock in hdf5_util.hpp).
bool& in_isolated_child() noexcept;

/// Forks (with hdf5_mutex() held, so no other thread is inside HDF5), runs `work` in the child
/// with stdout/stderr sent to /dev/null, and returns the child's result: its bytes, its Error, or
/// an Error saying it crashed ("<what>: ... crashed (signal 11) ...") or did not finish within
/// `timeout` (it is killed). When fork() is impossible, `work` runs in this process. Call only
/// before the daemon's threads start or with no other thread touching what the child inherits.
///
/// The child dies with this process (PR_SET_PDEATHSIG): a child looping in HDF5 never outlives a
/// daemon that was killed meanwhile. It takes the default action on crash signals, so a crash
/// handler installed here (a fuzzer's, a sanitizer's) does not run in it. The environment variable
/// DASFLOW_ISOLATED_TIMEOUT (seconds) caps `timeout`, for tests and fuzzers that feed files on
/// which HDF5 loops forever (seen: a damaged global heap under a variable-length string).
Result<std::string> run_isolated(const std::string& what, const std::function<Result<std::string>()>& work,
                                 std::chrono::seconds timeout);

} // namespace dasflow::io
