#!/usr/bin/env bash
# Builds everything and runs every test (unit, golden, property, e2e) with CTest: first the Release
# build; then the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer; then the
# multi-threaded parts (daemon, control server, ZeroMQ, end-to-end runs) under ThreadSanitizer;
# then a short run of every libFuzzer target (scripts/fuzz.sh; FUZZ_SECONDS each, default 15).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --test-dir build --output-on-failure --parallel "$(nproc)" --timeout 600

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDASFLOW_SANITIZE=address,undefined \
      -DDASFLOW_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan --parallel "$(nproc)"
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure --parallel "$(nproc)" --timeout 900

# ThreadSanitizer: the binaries and the tests whose code runs on several threads. Tests of
# executables not built here (registered as *_NOT_BUILT, or a one-entry suite) are left out.
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDASFLOW_SANITIZE=thread \
      -DDASFLOW_BUILD_BENCH=OFF >/dev/null
cmake --build build-tsan --parallel "$(nproc)" --target dasflowd dasflow dasflow_unit_daemon_parts_test \
      dasflow_unit_control_server_test dasflow_unit_zmq_output_test dasflow_e2e_daemon_test \
      dasflow_e2e_service_test dasflow_e2e_zmq_test dasflow_e2e_resume_test dasflow_e2e_fault_test
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan.supp" \
  ctest --test-dir build-tsan --output-on-failure --parallel "$(nproc)" --timeout 900 -E '_NOT_BUILT$|^dasflow_golden_filters_test$'

scripts/fuzz.sh "${FUZZ_SECONDS:-15}"
