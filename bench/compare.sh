#!/usr/bin/env bash
# dasflow against numpy/scipy on the same chained pipeline, in one run:
#   bench/compare.sh [build dir]      (default: build; built first if the binaries are missing)
#
# 1. dasflowd writes a 10,000-channel float32 PRODML file (its synthetic interrogator: noise plus
#    wavefronts, 1 kHz, DURATION seconds, default 30), read back below by both sides.
# 2. `dasflow process` runs the chain on it: band-pass -> FIR decimation -> recursive STA/LTA,
#    writing PRODML (input read, pipeline, output written: wall time of the whole command).
# 3. bench/compare_numpy.py runs the same chain, read from the same pipeline YAML, the way a skilled
#    user would for a file this size: 1-s chunks through h5py, filter state carried (sosfilt zi,
#    lfilter zi), channel blocks spread over a ThreadPoolExecutor (2 threads, as xdas does; also 1),
#    output written with h5py. Whole process timed, as for dasflow. Then a variant whose
#    decimation FIR computes only the kept outputs (upfirdn), as a user chasing speed would.
# 4. The two outputs are compared (max relative error of the STA/LTA), and the ratio is printed.
#
# Environment: DURATION (s of data, default 30), CHANNELS (default 10000), DASFLOW_THREADS (the
# pipeline's `threads` for dasflow, default: the config default, one per core), DASFLOW_COMPRESSION
# (`lz4`: dasflow's output compressed, `dasflow process --compression`), PY_THREADS (default
# 2), SKIP_1THREAD=1 (no single-thread Python run), SKIP_UPFIRDN=1 (no run of the Python variant
# whose decimation FIR computes only the kept outputs, with scipy.signal.upfirdn), BENCH_DIR (keep
# the input file there between runs instead of a temporary directory). Needs Debian's python3-numpy, python3-scipy, python3-h5py
# and python3-yaml; they are installed with apt-get when missing (Debian packages only).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
duration=${DURATION:-30}
channels=${CHANNELS:-10000}
py_threads=${PY_THREADS:-2}
py=/usr/bin/python3

# --- prerequisites -------------------------------------------------------------------------------
if [ ! -x "$build/daemon/dasflow" ] || [ ! -x "$build/daemon/dasflowd" ]; then
  [ -f "$build/build.ninja" ] || [ -f "$build/Makefile" ] ||
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target dasflow dasflowd
fi
if ! "$py" -c 'import numpy, scipy.signal, h5py, yaml' 2>/dev/null; then
  echo "installing the Python side's Debian packages (python3-numpy python3-scipy python3-h5py python3-yaml)"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq python3-numpy python3-scipy python3-h5py python3-yaml >/dev/null
fi

if [ -n "${BENCH_DIR:-}" ]; then
  work=$BENCH_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

# timed NAME CMD...: runs CMD (its stdout to $work/NAME.out); "wall user+sys" seconds to $work/NAME.time.
# CPU seconds as well as wall time: on a shared machine the wall time also measures the neighbours.
timed() {
  local name=$1 TIMEFORMAT='%R %U %S'
  shift
  { time "$@" >"$work/$name.out" 2>&4; } 4>&2 2>"$work/$name.times"
  awk '{ printf "%.3f %.3f", $1, $2 + $3 }' "$work/$name.times" >"$work/$name.time"
}
wall() { cut -d' ' -f1 "$work/$1.time"; }
cpu() { cut -d' ' -f2 "$work/$1.time"; }

# --- the chain, one file for both sides ----------------------------------------------------------
cat >"$work/chain.yaml" <<'EOF'
# bench/compare.sh: the issue's reference chain (dasflow and bench/compare_numpy.py both read this)
- {atom: iirfilter, order: 4, cutoff: [1.0, 20.0], btype: bandpass}
- {atom: decimate, factor: 4, numtaps: 32}
- {atom: stalta, method: recursive, sta: 0.5, lta: 5.0}
EOF

# --- the input: dasflowd's synthetic interrogator as a PRODML file -------------------------------
# A fixed start (a multiple of 3600 s plus 840 s) makes the same file every time; one file, as
# file_duration covers the whole run.
input_dir="$work/input_${channels}ch_${duration}s"
if ! ls "$input_dir"/*.h5 >/dev/null 2>&1; then
  echo "generating the input: $channels channels x 1 kHz x $duration s (float32 PRODML) with dasflowd ..."
  rm -rf "$input_dir"
  cat >"$work/generate.yaml" <<EOF
source: {type: synthetic, channels: $channels, fs: 1000, chunk: 1.0, duration: $duration, realtime: false, start: 1700000040}
pipeline: [{atom: scale, factor: 1.0}]
outputs: [{type: hdf5, path: $input_dir, prefix: input, file_duration: 3600, format: prodml}]
logging: {level: warn}
EOF
  "$build/daemon/dasflowd" --config "$work/generate.yaml"
fi
input=$(ls "$input_dir"/*.h5 | head -1)
size_mb=$(du -m "$input" | cut -f1)
samples=$((channels * 1000 * duration))

# --- dasflow -------------------------------------------------------------------------------------
threads_opt=()
[ -n "${DASFLOW_THREADS:-}" ] && threads_opt=(--threads "$DASFLOW_THREADS")
[ -n "${DASFLOW_COMPRESSION:-}" ] && threads_opt+=(--compression "$DASFLOW_COMPRESSION")
rm -rf "$work/out_dasflow"
cat "$input" >/dev/null # both sides read it from the page cache
echo "dasflow process ..."
timed dasflow "$build/daemon/dasflow" process --pipeline "$work/chain.yaml" --input "$input" \
  --output "$work/out_dasflow" --format prodml --prefix cf --file-duration 3600 --progress-interval 0 "${threads_opt[@]}"
cat "$work/dasflow.out"

# --- numpy/scipy ---------------------------------------------------------------------------------
gil=$("$py" bench/compare_numpy.py --gil-check)
run_py() { # threads
  rm -f "$work/out_numpy_$1.h5"
  timed "numpy_$1" "$py" bench/compare_numpy.py "$input" --pipeline "$work/chain.yaml" \
    --output "$work/out_numpy_$1.h5" --threads "$1"
}
echo "numpy/scipy, $py_threads threads ..."
run_py "$py_threads"
one=""
if [ "${SKIP_1THREAD:-0}" != 1 ] && [ "$py_threads" != 1 ]; then
  echo "numpy/scipy, 1 thread ..."
  run_py 1
  one=1
fi
upfirdn=""
if [ "${SKIP_UPFIRDN:-0}" != 1 ]; then # the decimation FIR computing only the kept outputs
  echo "numpy/scipy, $py_threads threads, upfirdn FIR ..."
  rm -f "$work/out_numpy_upfirdn.h5"
  timed numpy_upfirdn "$py" bench/compare_numpy.py "$input" --pipeline "$work/chain.yaml" \
    --output "$work/out_numpy_upfirdn.h5" --threads "$py_threads" --fir upfirdn
  check_upfirdn=$("$py" bench/compare_numpy.py --check "$work/out_dasflow" --output "$work/out_numpy_upfirdn.h5") ||
    { echo "the upfirdn variant's output differs: $check_upfirdn"; exit 1; }
  upfirdn=1
fi
check=$("$py" bench/compare_numpy.py --check "$work/out_dasflow" --output "$work/out_numpy_$py_threads.h5") ||
  { echo "the outputs differ: $check"; exit 1; }

# --- report --------------------------------------------------------------------------------------
rate() { awk -v n="$samples" -v s="$1" 'BEGIN { printf "%.1f", n / s / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
line() { # label name note
  printf '%-14s %7.2f s wall %7s M channel-samples/s   %7.2f s CPU   (%s)\n' "$1" "$(wall "$2")" \
    "$(rate "$(wall "$2")")" "$(cpu "$2")" "$3"
}
cpu_model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo
echo "== dasflow vs numpy/scipy: iirfilter bandpass [1, 20] Hz order 4 -> decimate 4 (FIR, 32 taps) -> stalta recursive 0.5/5 s"
echo "machine:       $(nproc) CPUs, $cpu_model; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "input:         $channels channels x $((1000 * duration)) samples (1 kHz, $duration s), float32 PRODML, $size_mb MB (page cache)"
line "dasflow:" dasflow "dasflow process${DASFLOW_THREADS:+ --threads $DASFLOW_THREADS}"
line "numpy/scipy:" "numpy_$py_threads" "$py_threads threads"
[ -n "$one" ] && line "numpy/scipy:" numpy_1 "1 thread"
[ -n "$upfirdn" ] && line "numpy/scipy:" numpy_upfirdn "$py_threads threads, FIR by upfirdn: kept outputs only"
echo "ratio:         $(ratio "$(wall "numpy_$py_threads")" "$(wall dasflow)") x wall, $(ratio "$(cpu "numpy_$py_threads")" "$(cpu dasflow)") x CPU  (numpy/scipy on $py_threads threads / dasflow)"
[ -n "$one" ] && echo "               $(ratio "$(wall numpy_1)" "$(wall dasflow)") x wall, $(ratio "$(cpu numpy_1)" "$(cpu dasflow)") x CPU  (numpy/scipy on 1 thread / dasflow)"
[ -n "$upfirdn" ] && echo "               $(ratio "$(wall numpy_upfirdn)" "$(wall dasflow)") x wall, $(ratio "$(cpu numpy_upfirdn)" "$(cpu dasflow)") x CPU  (numpy/scipy with the upfirdn FIR / dasflow)"
echo "agreement:     $check"
echo "GIL:           $gil"
