#include "dasflow/atoms/fft_plan.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

namespace dasflow::atoms {

namespace {

/// FFTW's planner (and fftwf_destroy_plan) share global tables: one lock for the whole process.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

/// FFTW_ESTIMATE (deterministic by construction) unless use_fft_wisdom() was called.
unsigned planner_flags = FFTW_ESTIMATE;

} // namespace

bool use_fft_wisdom(const std::string& path) {
  std::lock_guard lock(planner_mutex());
  planner_flags = FFTW_MEASURE;
  if (FILE* f = std::fopen(path.c_str(), "r")) {
    std::fclose(f);
    return fftwf_import_wisdom_from_filename(path.c_str()) != 0;
  }
  return true;
}

bool export_fft_wisdom(const std::string& path) {
  std::lock_guard lock(planner_mutex());
  const std::string tmp = path + ".tmp";
  if (fftwf_export_wisdom_to_filename(tmp.c_str()) == 0) return false;
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

FftPlan::FftPlan(const FftPlan& o)
    : direction_(o.direction_), dims_(o.dims_), howmany_(o.howmany_), real_size_(o.real_size_),
      complex_size_(o.complex_size_), real_(o.real_), complex_(o.complex_) {
  if (o.plan_ != nullptr) make_plan();
}

FftPlan::FftPlan(FftPlan&& o) noexcept
    : direction_(o.direction_), dims_(std::move(o.dims_)), howmany_(o.howmany_), real_size_(o.real_size_),
      complex_size_(o.complex_size_), real_(std::move(o.real_)), complex_(std::move(o.complex_)),
      plan_(std::exchange(o.plan_, nullptr)) {}

FftPlan& FftPlan::operator=(FftPlan&& o) noexcept {
  if (this != &o) {
    destroy();
    direction_ = o.direction_;
    dims_ = std::move(o.dims_);
    howmany_ = o.howmany_;
    real_size_ = o.real_size_;
    complex_size_ = o.complex_size_;
    real_ = std::move(o.real_);
    complex_ = std::move(o.complex_);
    plan_ = std::exchange(o.plan_, nullptr);
  }
  return *this;
}

FftPlan::~FftPlan() { destroy(); }

void FftPlan::destroy() noexcept {
  if (plan_ == nullptr) return;
  std::lock_guard lock(planner_mutex());
  fftwf_destroy_plan(static_cast<fftwf_plan>(plan_));
  plan_ = nullptr;
}

void FftPlan::configure(Direction direction, std::vector<int> dims, std::size_t howmany) {
  destroy();
  if (dims.empty() || howmany == 0) throw std::invalid_argument("FftPlan: empty shape");
  direction_ = direction;
  dims_ = std::move(dims);
  howmany_ = howmany;
  real_size_ = 1;
  complex_size_ = 1;
  for (std::size_t i = 0; i < dims_.size(); ++i) {
    if (dims_[i] < 1) throw std::invalid_argument("FftPlan: non-positive dimension");
    real_size_ *= static_cast<std::size_t>(dims_[i]);
    complex_size_ *=
        i + 1 < dims_.size() ? static_cast<std::size_t>(dims_[i]) : static_cast<std::size_t>(dims_[i] / 2 + 1);
  }
  real_.resize(0);
  real_.resize(real_size_ * howmany_);
  complex_.resize(0);
  complex_.resize(2 * complex_size_ * howmany_);
  make_plan();
}

void FftPlan::make_plan() {
  std::lock_guard lock(planner_mutex());
  const int rank = static_cast<int>(dims_.size());
  const int n = static_cast<int>(howmany_);
  auto* c = reinterpret_cast<fftwf_complex*>(complex_.data());
  const int rdist = static_cast<int>(real_size_), cdist = static_cast<int>(complex_size_);
  // FFTW_MEASURE overwrites the arrays while it times candidates: keep their contents (a clone's).
  const bool measure = planner_flags != FFTW_ESTIMATE;
  AlignedBuffer<float> keep_real, keep_complex;
  if (measure) {
    keep_real = real_;
    keep_complex = complex_;
  }
  fftwf_plan p = direction_ == Direction::real_to_complex
                     ? fftwf_plan_many_dft_r2c(rank, dims_.data(), n, real_.data(), nullptr, 1, rdist, c, nullptr, 1,
                                               cdist, planner_flags)
                     : fftwf_plan_many_dft_c2r(rank, dims_.data(), n, c, nullptr, 1, cdist, real_.data(), nullptr, 1,
                                               rdist, planner_flags);
  if (measure) { // copied back into the same memory: the plan is bound to these addresses
    std::copy(keep_real.begin(), keep_real.end(), real_.begin());
    std::copy(keep_complex.begin(), keep_complex.end(), complex_.begin());
  }
  if (p == nullptr)
    throw std::runtime_error("FFTW could not plan a transform of " + std::to_string(real_size_) + " × " +
                             std::to_string(howmany_) + " points");
  plan_ = p;
}

void FftPlan::execute() noexcept { fftwf_execute(static_cast<fftwf_plan>(plan_)); }

} // namespace dasflow::atoms
