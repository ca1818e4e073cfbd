#pragma once
/// \file fft_plan.hpp
/// FFTW3 single-precision plans for the spectral atoms (fbe, spectrogram, envelope, fkfilter, the
/// FFT path of firfilter/decimate): a batch of `howmany` real ↔ half-complex transforms of one
/// shape, each on its own contiguous row of an owned, 64-byte aligned buffer.
///
/// Plans are made once, at configure time, with FFTW_ESTIMATE: FFTW's choice of algorithm then
/// depends only on the shape and the CPU's instruction set, never on timings, so a pipeline rebuilt
/// after a restart runs the very same arithmetic and resumed == uninterrupted bit for bit
/// (FFTW_MEASURE times candidates and may pick differently in each process). The buffers are
/// always the plan's own (never FFTW's new-array execute), so alignment never changes the codelets.
/// FFTW's planner is not thread-safe; every plan is created and destroyed under one process-wide
/// lock, and execution (thread-safe in FFTW) takes no lock.
///
/// Optional wisdom (the daemon's `fft: {wisdom: FILE}`): use_wisdom() imports FFTW wisdom and
/// switches planning to FFTW_MEASURE, which takes the plan from wisdom when it is there and
/// measures (then remembers) it otherwise; export_wisdom() saves what was learnt. The first start
/// with a new file measures; every later start, resumes included, reads the same plans back, so
/// resumed == uninterrupted holds as long as the file is kept. Measured plans are 1.1–1.9× faster
/// than estimated ones for the sizes of docs/spectral.md.

#include <complex>
#include <cstddef>
#include <string>
#include <vector>

#include "dasflow/core/aligned_buffer.hpp"

namespace dasflow::atoms {

/// Imports FFTW wisdom from `path` (a missing file is not an error: there is nothing to reuse yet)
/// and makes every later plan use FFTW_MEASURE. Returns false if the file exists but is not FFTW
/// wisdom. Process-wide; call before pipelines are configured.
bool use_fft_wisdom(const std::string& path);
/// Writes the wisdom accumulated so far to `path` (atomically: temp file, rename). False on error.
bool export_fft_wisdom(const std::string& path);

class FftPlan {
public:
  enum class Direction {
    real_to_complex, ///< forward, unnormalised: X[k] = Σ x[n] e^{-2πi kn/N}
    complex_to_real  ///< backward, unnormalised (a round trip scales by the product of dims)
  };

  FftPlan() = default;
  /// A fresh plan on fresh buffers of the same shape (buffer contents are copied too).
  FftPlan(const FftPlan& o);
  FftPlan& operator=(const FftPlan&) = delete;
  FftPlan(FftPlan&& o) noexcept;
  FftPlan& operator=(FftPlan&& o) noexcept;
  ~FftPlan();

  /// `dims` is the real shape in row-major order (one entry for a 1-D transform, two for a 2-D
  /// one); the half-complex side has dims[0..r-2] × (dims[r-1]/2 + 1) elements. Throws
  /// std::runtime_error if FFTW cannot plan (it only fails for absurd sizes).
  void configure(Direction direction, std::vector<int> dims, std::size_t howmany);
  bool configured() const noexcept { return plan_ != nullptr; }

  std::size_t real_size() const noexcept { return real_size_; }       ///< floats per transform
  std::size_t complex_size() const noexcept { return complex_size_; } ///< complex values per transform
  std::size_t howmany() const noexcept { return howmany_; }

  float* real(std::size_t j) noexcept { return real_.data() + j * real_size_; }
  std::complex<float>* complex(std::size_t j) noexcept {
    return reinterpret_cast<std::complex<float>*>(complex_.data()) + j * complex_size_;
  }

  /// Transforms every row: real → complex for real_to_complex, complex → real otherwise (the
  /// complex input is destroyed, as FFTW's multi-dimensional c2r does).
  void execute() noexcept;

private:
  void destroy() noexcept;
  void make_plan();

  Direction direction_ = Direction::real_to_complex;
  std::vector<int> dims_;
  std::size_t howmany_ = 0;
  std::size_t real_size_ = 0;
  std::size_t complex_size_ = 0;
  AlignedBuffer<float> real_;
  AlignedBuffer<float> complex_; ///< interleaved re, im (std::complex<float> layout = fftwf_complex)
  void* plan_ = nullptr;         ///< fftwf_plan (kept opaque: fftw3.h stays out of our headers)
};

} // namespace dasflow::atoms
