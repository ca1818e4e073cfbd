#!/usr/bin/env bash
# Memory of dasflowd over a long run: the built-in synthetic interrogator (as fast as possible,
# realtime: false) through the reference detection chain to every output a deployment has
# (rotating HDF5 files, events JSONL, a zmq output with one `dasflow sub` subscriber, checkpoints
# every 10 s). The daemon's VmRSS is sampled from /proc every --interval seconds against the
# position in the stream; printed: RSS at 10 %, 50 % and 100 % of the simulated duration, the
# largest sample and the kernel's peak (VmHWM). A resident set that is bounded and independent of run
# length shows as the same figure at 10 %, 50 % and 100 %.
#
# Completed HDF5 files are deleted as they appear (the run would otherwise leave ~10 MB per second
# of data at 10,000 channels); the file being written and the checkpoints stay.
#
# Usage: bench/memory.sh [options] [build dir (default build)]
#   --channels N   (10000)   --fs HZ (1000)   --duration S of data (3600)   --chunk S (1.0)
#   --interval S   seconds between RSS samples (2)
#   --keep DIR     keep the config, logs and the RSS trace in DIR (default: a temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."

CHANNELS=${CHANNELS:-10000}
FS=${FS:-1000}
DURATION=${DURATION:-3600}
CHUNK=${CHUNK:-1.0}
INTERVAL=${INTERVAL:-2}
KEEP=""
build=build
while [ $# -gt 0 ]; do
  case $1 in
  --channels) CHANNELS=$2; shift 2 ;;
  --fs) FS=$2; shift 2 ;;
  --duration) DURATION=$2; shift 2 ;;
  --chunk) CHUNK=$2; shift 2 ;;
  --interval) INTERVAL=$2; shift 2 ;;
  --keep) KEEP=$2; shift 2 ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  -*) echo "memory.sh: unknown option $1" >&2; exit 2 ;;
  *) build=$1; shift ;;
  esac
done
. bench/bench_lib.sh
bench_prepare memory.sh

out=$(free_port)
ctl=$(free_port)
cat > "$work/dasflowd.yaml" << EOF
name: memory-bench
source: {type: synthetic, channels: $CHANNELS, fs: $FS, chunk: $CHUNK, duration: $DURATION, realtime: false}
pipeline:
  - {atom: iirfilter, order: 4, cutoff: [1.0, 20.0], btype: bandpass}
  - {atom: decimate, factor: 4, numtaps: 32}
  - {atom: stalta, method: recursive, sta: 0.5, lta: 5.0}
  - {atom: trigger, on_threshold: 4.0, off_threshold: 1.5}
outputs:
  - {type: hdf5, path: $work/out, prefix: das, file_duration: 60, format: xdas}
  - {type: events, path: $work/out/events.jsonl}
  - {type: zmq, address: "tcp://127.0.0.1:$out", hwm: 100}
checkpoint: {path: $work/checkpoint, interval: 10}
control: {listen: "127.0.0.1:$ctl"}
logging: {level: info, stats_interval: 60}
EOF
total=$(awk -v c="$CHANNELS" -v f="$FS" -v d="$DURATION" 'BEGIN { printf "%.0f", c * f * d }')
echo "memory benchmark: $build, $CHANNELS channels x $FS Hz, $DURATION s of data ($(awk -v t="$total" 'BEGIN { printf "%.3g", t }') channel-samples) as fast as possible"
echo "outputs: xdas HDF5 (60-s files), events, zmq (1 subscriber), checkpoints every 10 s; RSS every $INTERVAL s"
echo "machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"

"$tool" sub "tcp://127.0.0.1:$out" --stats 60 > "$work/sub.log" 2>&1 &
sub_pid=$!
pids+=("$sub_pid")
t0=$(date +%s.%N)
"$daemon" --config "$work/dasflowd.yaml" --fresh > "$work/dasflowd.log" 2>&1 &
d_pid=$!
pids+=("$d_pid")
cpu_snapshot "$work/cpu0"

# elapsed_s  fraction_of_the_data  vmrss_kb  vmhwm_kb
trace=$work/rss.txt
: > "$trace"
hwm=0
last_report=0
while kill -0 "$d_pid" 2> /dev/null; do
  rss=$(rss_kb "$d_pid")
  h=$(awk '/^VmHWM/ {print $2}' "/proc/$d_pid/status" 2> /dev/null || true)
  [ -n "$h" ] && hwm=$h
  n=$(metric "$ctl" 'dasflow_samples_total{stage="in"}' || true)
  now=$(date +%s.%N)
  if [ -n "$n" ] && [ "$rss" -gt 0 ]; then
    awk -v t="$now" -v t0="$t0" -v n="$n" -v tot="$total" -v r="$rss" -v h="$hwm" \
      'BEGIN { printf "%.1f %.4f %d %d\n", t - t0, n / tot, r, h }' >> "$trace"
    cpu_snapshot "$work/cpu1" # the last one before the end (threads: gone by then)
  fi
  find "$work/out" -maxdepth 1 -name '*.h5' -delete 2> /dev/null || true
  e=$(awk -v t="$now" -v t0="$t0" 'BEGIN { printf "%d", t - t0 }')
  if [ $((e - last_report)) -ge 60 ]; then
    last_report=$e
    tail -1 "$trace" | awk '{ printf "  %6.0f s: %5.1f %% of the data, RSS %d MB\n", $1, $2 * 100, $3 / 1024 }'
  fi
  sleep "$INTERVAL"
done
set +e
wait "$d_pid"
status=$?
set -e
t1=$(date +%s.%N)
kill -INT "$sub_pid" 2> /dev/null || true
wait "$sub_pid" || true
pids=()

echo
echo "dasflowd exited with status $status after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }') s ($(awk -v a="$t0" -v b="$t1" -v n="$total" 'BEGIN { printf "%.1f", n / (b - a) / 1e6 }') M channel-samples/s, $(awk -v a="$t0" -v b="$t1" -v d="$DURATION" 'BEGIN { printf "%.1f", d / (b - a) }') x real time)"
grep -E "reader done|processed|error|warn" "$work/dasflowd.log" | tail -4 | sed 's/^/  log: /'
cpu_report "$work/cpu0" "$work/cpu1" "$d_pid" "" "$sub_pid" | sed 's/^/  /'
awk '
  { t[NR] = $1; f[NR] = $2; r[NR] = $3; if ($3 > max) { max = $3; at = $2 } }
  END {
    if (NR == 0) { print "no samples"; exit 1 }
    split("0.10 0.50 1.00", want, " ")
    for (k = 1; k <= 3; k++) {
      j = NR
      for (i = 1; i <= NR; i++) if (f[i] >= want[k] - 1e-9) { j = i; break }
      printf "RSS at %3.0f %% of the data (%.1f%% read, %4.0f s): %7.1f MB\n", want[k] * 100, f[j] * 100, t[j], r[j] / 1024
    }
    printf "largest sample: %.1f MB (at %.1f %% of the data); %d samples\n", max / 1024, at * 100, NR
  }' "$trace"
echo "peak resident set (VmHWM): $((hwm / 1024)) MB"
grep '^stats final:' "$work/sub.log" | tr ' ' '\n' | grep -E '^(messages|lost_messages|mb_per_s)=' | tr '\n' ' ' | sed 's/^/subscriber: /; s/$/\n/'
[ -z "$KEEP" ] || echo "config, logs and the RSS trace (elapsed_s fraction rss_kb hwm_kb): $work"
