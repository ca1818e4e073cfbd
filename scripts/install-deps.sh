#!/usr/bin/env bash
# Installs the Debian 12 packages dasflow builds and tests with, if any are missing. Only Debian
# packages: nothing is downloaded at build time.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config   # toolchain
  libyaml-cpp-dev                                # config (dasflow_atoms' only dependency besides FFTW)
  libfftw3-dev                                   # FFTs of the spectral atoms (fbe, spectrogram, envelope, fkfilter)
  libcli11-dev                                   # the dasflow tool's command line
  libgtest-dev libgmock-dev                      # tests
  libhdf5-dev libnetcdf-dev hdf5-tools           # vendor files, output files (xdas/CF via netCDF-C), h5dump
  hdf5-filter-plugin hdf5-filter-plugin-blosc-serial libblosc-dev  # the hdf5 output's `compression:`
  libspdlog-dev libboost-dev nlohmann-json3-dev  # the daemon: logging, Asio/Beast, JSON events and /status
  zlib1g-dev                                     # CRC-32 of checkpoints
  libzmq3-dev cppzmq-dev                         # ZeroMQ ingest and publishing
  libbenchmark-dev                               # bench/
  libsystemd-dev systemd                         # sd_notify; systemd-analyze checks the unit
  clang libclang-rt-dev                          # libFuzzer and the sanitizer build (fuzz/)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "dasflow: installing missing Debian packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
