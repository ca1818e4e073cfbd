#pragma once
/// \file fs_util.hpp
/// Durability on POSIX file systems (internal header of io/): what the file writers and the
/// checkpoint store need for "written, then renamed, and still there after a power cut".

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include "dasflow/core/result.hpp"

namespace dasflow::io {

/// fsync of a path opened read-only: a file (all its dirty pages, whoever wrote them), or a
/// directory with O_DIRECTORY (after a rename or unlink in it, so the new name is durable).
inline Result<void> fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
  if (fd < 0) return fail(Errc::io, path + ": open: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return fail(Errc::io, path + ": fsync: " + std::strerror(err));
  return {};
}

} // namespace dasflow::io
