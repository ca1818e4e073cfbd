#pragma once
/// \file hdf5_util.hpp
/// HDF5 C-library plumbing shared by the readers and writers in io/ (internal header): the lock
/// guard, quiet error handling, HDF5's own reason for a failure, owned handles.

#include <string>
#include <string_view>
#include <utility>

#include <hdf5.h>

#include "dasflow/io/hdf5_lock.hpp"
#include "isolated_call.hpp"

namespace dasflow::io {

// H5S_ALL and H5T_VARIABLE are defined with C casts, which -Wold-style-cast rejects in our code.
constexpr hid_t kAllSpace = 0;                                      // H5S_ALL
constexpr std::size_t kVariableSize = static_cast<std::size_t>(-1); // H5T_VARIABLE

// ---------------------------------------------------------------------------------------------
// HDF5 plumbing: quiet errors, owned handles, HDF5's own reason for a failure.

/// Holds hdf5_mutex() for its lifetime, except in a child of run_isolated(): the child inherits the
/// mutex locked by the parent's thread, which it cannot own or unlock; it is single-threaded, so it
/// takes no lock.
class Hdf5Lock {
public:
  Hdf5Lock() : locked_(!in_isolated_child()) {
    if (locked_) hdf5_mutex().lock();
  }
  ~Hdf5Lock() {
    if (locked_) hdf5_mutex().unlock();
  }
  Hdf5Lock(const Hdf5Lock&) = delete;
  Hdf5Lock& operator=(const Hdf5Lock&) = delete;

private:
  bool locked_;
};

/// Turns HDF5's automatic error printing off for its lifetime and restores the previous handler.
/// The outermost one also clears the error stack on exit, so that nothing of ours is left for a
/// later HDF5 caller (an inner one must not: the outer code may still read the reason). Used with
/// hdf5_mutex() held, which also guards the nesting depth.
class QuietHdf5 {
public:
  QuietHdf5() {
    ++depth_;
    if (H5Eget_auto2(H5E_DEFAULT, &func_, &data_) < 0) {
      func_ = nullptr;
      data_ = nullptr;
    }
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietHdf5() {
    if (--depth_ == 0) H5Eclear2(H5E_DEFAULT);
    H5Eset_auto2(H5E_DEFAULT, func_, data_);
  }
  QuietHdf5(const QuietHdf5&) = delete;
  QuietHdf5& operator=(const QuietHdf5&) = delete;

private:
  static inline int depth_ = 0;
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

/// The most specific message on HDF5's error stack (e.g. "truncated file: eof = 1000, ..."), then
/// clears the stack. Empty when HDF5 recorded nothing.
inline std::string hdf5_reason() {
  std::string reason;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
        if (n == 0 && e != nullptr && e->desc != nullptr) *static_cast<std::string*>(out) = e->desc;
        return 0;
      },
      &reason);
  H5Eclear2(H5E_DEFAULT);
  return reason;
}

/// HDF5's messages for a failed system call read "file write failed: time = ..., filename = ...,
/// errno = 28, error message = 'No space left on device', buf = 0x..., ...": this keeps what failed
/// and why ("file write failed: No space left on device (errno 28)"). Other messages are returned
/// as they are, on one line.
inline std::string condense_hdf5_message(std::string desc) {
  const std::size_t errno_at = desc.find("errno = ");
  const std::size_t message_at = desc.find("error message = '");
  if (errno_at != std::string::npos && message_at != std::string::npos) {
    const std::size_t text_at = message_at + std::string_view("error message = '").size();
    const std::size_t text_end = desc.find('\'', text_at);
    const std::size_t errno_end = desc.find_first_not_of("0123456789", errno_at + 8);
    return desc.substr(0, desc.find(':')) + ": " + desc.substr(text_at, text_end - text_at) + " (errno " +
           desc.substr(errno_at + 8, errno_end - errno_at - 8) + ")";
  }
  for (char& c : desc)
    if (c == '\n') c = ' ';
  return desc;
}

/// An owned hid_t with the function that closes it (H5Fclose, H5Dclose, H5Sclose, ...).
class Handle {
public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), closer_(o.closer_) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      closer_ = o.closer_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  void reset() noexcept {
    if (id_ >= 0 && closer_ != nullptr) {
      const Hdf5Lock lock;
      const QuietHdf5 quiet;
      closer_(id_);
    }
    id_ = H5I_INVALID_HID;
  }
  hid_t get() const noexcept { return id_; }
  /// Gives up ownership (the caller closes it, e.g. to check H5Fclose's result).
  hid_t release() noexcept { return std::exchange(id_, H5I_INVALID_HID); }
  bool valid() const noexcept { return id_ >= 0; }

private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

} // namespace dasflow::io
