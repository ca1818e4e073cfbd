#!/usr/bin/env bash
# Builds everything and runs every test (unit, golden, property, e2e) with CTest: first the Release
# build; then the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer; then the
# multi-threaded parts (daemon, control server, ZeroMQ, end-to-end runs) under ThreadSanitizer;
# then a short run of every libFuzzer target (scripts/fuzz.sh; FUZZ_SECONDS each, default 15).
set -euo pipefail
cd "$(dirname "$0")/.."
# The golden, vendor-reader and end-to-end tests, and the example configs, read the real
# recordings in shared/data/real beside the checkout: without them, say so now rather than after
# half an hour of failures.
if [ ! -f ../shared/data/real/das/decimated_optodas.hdf5 ]; then
  echo "scripts/test.sh: no real DAS recordings at $(cd .. && pwd)/shared/data/real;" \
       "check the repository out beside shared/ (its data is not in the repository)" >&2
  exit 2
fi
scripts/build.sh
ctest --test-dir build --output-on-failure --parallel "$(nproc)" --timeout 600

# Sanitizer builds at -O1 -g1 (what the sanitizers' docs suggest): half the compile time of -O2 -g
# (measured 39 s -> 17 s for daemon/service.cpp under ASan), with line numbers in every report.
sanitizer_build=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
                 "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DDASFLOW_BUILD_BENCH=OFF)
cmake -S . -B build-asan -G Ninja "${sanitizer_build[@]}" -DDASFLOW_SANITIZE=address,undefined >/dev/null
cmake --build build-asan --parallel "$(nproc)"
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure --parallel "$(nproc)" --timeout 900

# ThreadSanitizer: the binaries and the tests whose code runs on several threads. Tests of
# executables not built here (registered as *_NOT_BUILT, or a one-entry suite) are left out.
cmake -S . -B build-tsan -G Ninja "${sanitizer_build[@]}" -DDASFLOW_SANITIZE=thread >/dev/null
cmake --build build-tsan --parallel "$(nproc)" --target dasflowd dasflow dasflow_unit_atoms_test dasflow_unit_daemon_parts_test \
      dasflow_unit_control_server_test dasflow_unit_zmq_output_test dasflow_e2e_daemon_test \
      dasflow_e2e_service_test dasflow_e2e_zmq_test dasflow_e2e_resume_test dasflow_e2e_fault_test \
      dasflow_e2e_process_test
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan.supp" \
  ctest --test-dir build-tsan --output-on-failure --parallel "$(nproc)" --timeout 900 -E '_NOT_BUILT$|^dasflow_golden_filters_test$'

scripts/fuzz.sh "${FUZZ_SECONDS:-15}"
