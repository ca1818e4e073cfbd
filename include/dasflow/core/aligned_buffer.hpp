#pragma once
/// \file aligned_buffer.hpp
/// A growable buffer whose elements start on a 64-byte boundary (one cache line, one AVX-512
/// register). `alignas` on a std::vector member aligns the vector object, not its elements, hence
/// this type (STYLE.md §3).

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace dasflow {

/// Owning, 64-byte aligned, trivially-copyable elements. `resize` keeps the capacity when shrinking,
/// so a buffer reused chunk after chunk allocates only while it grows.
template <typename T> class AlignedBuffer {
  static_assert(std::is_trivially_copyable_v<T>);

public:
  static constexpr std::size_t kAlignment = 64;

  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t n) { resize(n); }
  AlignedBuffer(const AlignedBuffer& o) {
    resize(o.size_);
    if (size_ != 0) std::memcpy(data_, o.data_, size_ * sizeof(T));
  }
  AlignedBuffer(AlignedBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)),
        capacity_(std::exchange(o.capacity_, 0)) {}
  AlignedBuffer& operator=(AlignedBuffer o) noexcept {
    swap(o);
    return *this;
  }
  ~AlignedBuffer() { release(); }

  void swap(AlignedBuffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
  }

  /// Sets the size; new elements are zero. Reallocates only when n exceeds the capacity.
  void resize(std::size_t n) {
    if (n > capacity_) {
      const std::size_t bytes = (n * sizeof(T) + kAlignment - 1) / kAlignment * kAlignment;
      T* fresh = static_cast<T*>(::operator new[](bytes, std::align_val_t{kAlignment}));
      if (size_ != 0) std::memcpy(fresh, data_, size_ * sizeof(T));
      release();
      data_ = fresh;
      capacity_ = bytes / sizeof(T);
    }
    if (n > size_) std::memset(static_cast<void*>(data_ + size_), 0, (n - size_) * sizeof(T));
    size_ = n;
  }
  void assign_zero() noexcept {
    if (size_ != 0) std::memset(static_cast<void*>(data_), 0, size_ * sizeof(T));
  }

  T* data() noexcept { return data_; }
  const T* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  T* begin() noexcept { return data_; }
  T* end() noexcept { return data_ + size_; }
  const T* begin() const noexcept { return data_; }
  const T* end() const noexcept { return data_ + size_; }

private:
  void release() noexcept {
    if (data_ != nullptr) ::operator delete[](data_, std::align_val_t{kAlignment});
    data_ = nullptr;
    capacity_ = 0;
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

} // namespace dasflow
