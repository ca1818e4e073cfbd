#!/usr/bin/env bash
# Installs the Debian 12 packages dasflow builds and tests with, if any are missing. Only Debian
# packages: nothing is downloaded at build time.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config   # toolchain
  libyaml-cpp-dev                                # config (the only dependency of dasflow_atoms)
  libcli11-dev                                   # the dasflow tool's command line
  libgtest-dev libgmock-dev                      # tests
  libhdf5-dev                                    # tests that read real DAS recordings
  libbenchmark-dev                               # bench/
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
