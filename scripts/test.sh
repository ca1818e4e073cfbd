#!/usr/bin/env bash
# Builds everything and runs every test (unit, golden, property, e2e) with CTest: first the Release
# build, then the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --test-dir build --output-on-failure --parallel "$(nproc)" --timeout 600

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDASFLOW_SANITIZE=address,undefined \
      -DDASFLOW_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan --parallel "$(nproc)"
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure --parallel "$(nproc)" --timeout 900
