#!/usr/bin/env bash
# Runs every libFuzzer target of fuzz/ for SECONDS each (default 60), two at a time, from a seed
# corpus made fresh by dasflow_fuzz_seeds plus whatever earlier runs added (BUILD/fuzz-corpus/).
# BUILD (default build-fuzz) is configured with clang, ASan+UBSan and DASFLOW_FUZZ=ON if it is not
# already. Prints executions and edge coverage per target; exits non-zero if any target found a
# crash, leak, timeout or out-of-memory (its reproducer is in BUILD/fuzz-artifacts/).
#   scripts/fuzz.sh [SECONDS] [BUILD]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${2:-build-fuzz}
scripts/install-deps.sh
if [ ! -f "$build/CMakeCache.txt" ] || ! grep -q '^DASFLOW_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  # -O1 -g1 as libFuzzer's docs build targets: half the compile time of -O2 -g, line numbers kept.
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDASFLOW_FUZZ=ON \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
    -DDASFLOW_SANITIZE=address,undefined -DDASFLOW_BUILD_BENCH=OFF >/dev/null
fi
targets=(asn_header asn_data dasflow_data dasflow_events config vendor_file checkpoint_file pipeline_state)
cmake --build "$build" --parallel "$(nproc)" --target dasflow_fuzz_seeds "${targets[@]/#/fuzz_}"

seeds="$build/fuzz-seeds" corpus="$build/fuzz-corpus" artifacts="$build/fuzz-artifacts" logs="$build/fuzz-logs"
rm -rf "$seeds" "$logs"
mkdir -p "$corpus" "$artifacts" "$logs"
"$build/fuzz/dasflow_fuzz_seeds" "$seeds" . ../shared/data/real

run_one() {
  local t=$1 extra=()
  mkdir -p "$corpus/$t"
  case $t in
    asn_header | dasflow_data | dasflow_events) extra=(-dict=fuzz/json.dict) ;;
    config) extra=(-dict=fuzz/yaml.dict) ;;
    # Whole real recordings. HDF5 reads them in a child process (io/isolated_call.hpp), where
    # damaged metadata asks for absurd allocations: let those fail there (malloc returns null, or the
    # child dies, which is an Error here) instead of libFuzzer's malloc limit calling them an OOM.
    vendor_file | checkpoint_file) extra=(-max_len=4000000 -malloc_limit_mb=4194304) ;;
  esac
  # DASFLOW_ISOLATED_TIMEOUT: HDF5 loops forever on some damaged files; the readers' children are
  # killed after 5 s instead of 60-120 s (still an Error, just sooner).
  DASFLOW_ISOLATED_TIMEOUT=5 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    "$build/fuzz/fuzz_$t" "$corpus/$t" "$seeds/$t" "${extra[@]}" -max_total_time="$seconds" -timeout=30 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$artifacts/$t-" >"$logs/$t.log" 2>&1
}
export -f run_one
export build seconds seeds corpus artifacts logs
status=0
printf '%s\n' "${targets[@]}" | xargs -P "$(nproc)" -I{} bash -c 'run_one {}' || status=1

printf '%-16s %12s %8s %8s %s\n' target executions exec/s edges result
for t in "${targets[@]}"; do
  log="$logs/$t.log"
  [ -f "$log" ] || { printf "%-16s did not run\n" "$t"; status=1; continue; }
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  result=ok
  if grep -q 'ERROR: \|SUMMARY: \|runtime error\|FUZZ_CHECK failed' "$log"; then result="FAILED: see $log"; status=1; fi
  printf '%-16s %12s %8s %8s %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$result"
done
exit $status
