#!/usr/bin/env bash
# The end-to-end live benchmark: `dasflow simulate` (an ASN OptoDAS interrogator on ZeroMQ, paced at
# the system clock) -> `dasflowd` (asn source, the reference detection chain, a zmq output in the
# dasflow protocol) -> `dasflow sub --stats`, at increasing channels x rate. Each step runs for
# --warmup + --duration seconds of stream and passes when nothing was lost anywhere:
#   simulate   messages ZeroMQ refused (HWM), and the daemon must have read every message sent;
#   dasflowd   /metrics: chunks dropped (processor behind), gaps and overlaps of the input index,
#              malformed messages, reconnects;
#   sub        seq jumps, gaps and overlaps of the index, gap_before flags, the daemon's own send
#              drops (status heartbeat), and its last seq must be the daemon's last message.
# Latency, per message the subscriber receives: its arrival (wall clock) minus the time of its last
# sample (origin_ns + index * 1e9 / fs), p50/p99 after the warm-up; also from its first sample.
# Climbing stops after the first failing step; the largest load that passed is printed last.
#
# Usage: bench/live.sh [options] [build dir (default build)]
#   --duration S      measured seconds per step (60)             env DURATION
#   --warmup S        seconds of stream before the window (5)     env WARMUP
#   --loads "L ..."   the ladder, CHANNELSxHZ                     env LOADS
#                     (2000x1000 10000x1000 20000x1000 20000x2500 20000x5000 20000x10000)
#   --outputs O       zmq (default): the zmq output only; zmq+hdf5: as a deployment runs, HDF5
#                     files (60-s, xdas), then zmq, then events JSONL, checkpoints every 10 s  env OUTPUTS
#   --chunk S         seconds of data per interrogator message (0.1)  env CHUNK
#   --cycle S         simulate --cycle: generate S s once and repeat them, so the simulator costs
#                     little beside the daemon (1; 0 = generate every sample)  env CYCLE
#   --threads N       the daemon's `threads:` (pipeline threads; default: the daemon's, auto)  env THREADS
#   --tunables T      the daemon's GLIBC_TUNABLES, as systemd/dasflow.service sets them
#                     (glibc.malloc.hugetlb=1; "" = glibc's defaults)  env DAEMON_TUNABLES
#   --all             run every step, even after one failed
#   --keep DIR        keep configs and logs in DIR (default: a temporary directory, removed)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-60}
WARMUP=${WARMUP:-5}
LOADS=${LOADS:-"2000x1000 10000x1000 20000x1000 20000x2500 20000x5000 20000x10000"}
OUTPUTS=${OUTPUTS:-zmq}
CHUNK=${CHUNK:-0.1}
CYCLE=${CYCLE:-1}
THREADS=${THREADS:-}
DAEMON_TUNABLES=${DAEMON_TUNABLES-glibc.malloc.hugetlb=1}
ALL=0
KEEP=""
build=build
while [ $# -gt 0 ]; do
  case $1 in
  --duration) DURATION=$2; shift 2 ;;
  --warmup) WARMUP=$2; shift 2 ;;
  --loads) LOADS=$2; shift 2 ;;
  --outputs) OUTPUTS=$2; shift 2 ;;
  --chunk) CHUNK=$2; shift 2 ;;
  --cycle) CYCLE=$2; shift 2 ;;
  --threads) THREADS=$2; shift 2 ;;
  --tunables) DAEMON_TUNABLES=$2; shift 2 ;;
  --all) ALL=1; shift ;;
  --keep) KEEP=$2; shift 2 ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  -*) echo "live.sh: unknown option $1" >&2; exit 2 ;;
  *) build=$1; shift ;;
  esac
done
[[ $DURATION =~ ^[0-9]+$ && $WARMUP =~ ^[0-9]+$ ]] || { echo "live.sh: --duration and --warmup are whole seconds" >&2; exit 2; }
case $OUTPUTS in zmq | zmq+hdf5) ;; *) echo "live.sh: --outputs is zmq or zmq+hdf5" >&2; exit 2 ;; esac
. bench/bench_lib.sh
bench_prepare live.sh

# The daemon's config: the reference detection chain (DESIGN.md §4) on the simulator's feed.
write_config() { # file feed_port out_port ctl_port dir
  cat > "$1" <<EOF
name: live-bench
source: {type: asn, address: "tcp://127.0.0.1:$2", timeout: 60}
pipeline:
  - {atom: iirfilter, order: 4, cutoff: [1.0, 20.0], btype: bandpass}
  - {atom: decimate, factor: 4, numtaps: 32}
  - {atom: stalta, method: recursive, sta: 0.5, lta: 5.0}
  - {atom: trigger, on_threshold: 4.0, off_threshold: 1.5}
outputs:
EOF
  if [ "$OUTPUTS" = zmq+hdf5 ]; then # in DESIGN.md §4's order: each chunk is in its file before it is published
    cat >> "$1" <<EOF
  - {type: hdf5, path: $5/out, prefix: das, file_duration: 60, format: xdas}
  - {type: zmq, address: "tcp://127.0.0.1:$3", hwm: 100}
  - {type: events, path: $5/out/events.jsonl}
checkpoint: {path: $5/checkpoint, interval: 10}
EOF
  else
    echo "  - {type: zmq, address: \"tcp://127.0.0.1:$3\", hwm: 100}" >> "$1"
  fi
  [ -z "$THREADS" ] || echo "threads: $THREADS" >> "$1"
  cat >> "$1" <<EOF
control: {listen: "127.0.0.1:$4"}
logging: {level: info, stats_interval: 10}
EOF
}

summary=()
declare -A busy
best=""
echo "live benchmark: $build, outputs $OUTPUTS, $CHUNK-s messages, ${WARMUP}+${DURATION} s per step, cycle $CYCLE s, threads ${THREADS:-(default)}"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo); load average $(cut -d' ' -f1-3 /proc/loadavg)"
for load in $LOADS; do
  channels=${load%x*}
  fs=${load#*x}
  step=$work/$load
  mkdir -p "$step"
  feed=$(free_port)
  out=$(free_port)
  ctl=$(free_port)
  write_config "$step/dasflowd.yaml" "$feed" "$out" "$ctl" "$step"
  mbps=$(awk -v c="$channels" -v f="$fs" 'BEGIN { printf "%.0f", c * f * 4 / 1e6 }')
  stream_s=$(awk -v w="$WARMUP" -v d="$DURATION" 'BEGIN { print w + d + 2 }')
  echo
  echo "== $channels channels x $fs Hz float32 = $mbps MB/s, $stream_s s of stream"

  "$tool" simulate --publish "tcp://127.0.0.1:$feed" --channels "$channels" --fs "$fs" --chunk "$CHUNK" \
    --duration "$stream_s" --cycle "$CYCLE" --wait-subscribers 1 > "$step/simulate.log" 2>&1 &
  sim_pid=$!
  pids+=("$sim_pid")
  # As systemd/dasflow.service runs it (huge pages for large ZeroMQ messages).
  GLIBC_TUNABLES=$DAEMON_TUNABLES "$daemon" --config "$step/dasflowd.yaml" > "$step/dasflowd.log" 2>&1 &
  d_pid=$!
  pids+=("$d_pid")
  "$tool" sub "tcp://127.0.0.1:$out" --stats 10 --warmup "$WARMUP" > "$step/sub.log" 2>&1 &
  sub_pid=$!
  pids+=("$sub_pid")

  # The window opens WARMUP s after the daemon read its first chunk.
  started=0
  for _ in $(seq 1 1200); do # generating the cycle of a large load takes a few seconds
    if [ "$(metric "$ctl" 'dasflow_chunks_total{stage="read"}')" -gt 0 ] 2>/dev/null; then
      started=1
      break
    fi
    kill -0 "$d_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ $started = 0 ]; then
    echo "   the daemon never received the stream; logs in $step" >&2
    tail -5 "$step/dasflowd.log" "$step/simulate.log" >&2
    summary+=("$(printf '%-12s %6s  %-6s %s' "$load" "$mbps" FAIL "the daemon never received the stream")")
    break
  fi
  sleep "$WARMUP"
  http_get "$ctl" /metrics > "$step/metrics0.txt" || true
  cpu_snapshot "$step/cpu0" "$d_pid"
  rss_max=0
  for ((i = 0; i < DURATION; i++)); do # the daemon's RSS once a second
    r=$(rss_kb "$d_pid")
    [ "$r" -gt "$rss_max" ] && rss_max=$r
    sleep 1
  done
  cpu_snapshot "$step/cpu1" "$d_pid"
  http_get "$ctl" /metrics > "$step/metrics1.txt" || true
  rss_end=$(rss_kb "$d_pid")
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$d_pid/status" 2>/dev/null || echo 0)

  # The stream ends by itself; then let the last messages through and stop the rest.
  wait "$sim_pid" || true
  sleep 1.5
  metrics=$(http_get "$ctl" /metrics || true)
  printf '%s\n' "$metrics" > "$step/metrics.txt"
  kill -INT "$sub_pid" 2>/dev/null || true
  wait "$sub_pid" || true
  kill -TERM "$d_pid" 2>/dev/null || true
  wait "$d_pid" || true
  pids=()

  m() { awk -v k="$1" '$1 == k {print $2; exit}' "$step/metrics.txt"; }
  s() { grep '^stats final:' "$step/sub.log" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }
  sim_sent=$(sed -n 's/^done: \([0-9]*\) data messages.*/\1/p' "$step/simulate.log")
  sim_hwm=$(sed -n 's/^done: .*, \([0-9]*\) messages dropped.*/\1/p' "$step/simulate.log")
  sim_late=$(sed -n 's/^done: .*, \([0-9]*\) late (max \([0-9.]*\) ms).*/\1 (max \2 ms)/p' "$step/simulate.log")
  read_chunks=$(m 'dasflow_chunks_total{stage="read"}')
  written=$(m 'dasflow_chunks_total{stage="written"}')
  dropped=$(m 'dasflow_chunks_total{stage="dropped"}')
  gaps=$(m dasflow_gaps_total)
  gap_samples=$(m dasflow_gap_samples_total)
  overlaps=$(m dasflow_overlaps_total)
  malformed=$(m 'dasflow_source_total{what="malformed"}')
  reconnects=$(m 'dasflow_source_total{what="reconnects"}')
  unread=$((${sim_sent:-0} - ${read_chunks:-0}))
  last_seq=$(s last_seq)
  tail_lost=$((${written:-0} - 1 - ${last_seq:-0}))
  [ "$last_seq" = null ] && tail_lost=${written:-0}
  losses="sim_hwm=${sim_hwm:-?} unread=$unread dropped=${dropped:-?} gaps=${gaps:-?} gap_samples=${gap_samples:-?} overlaps=${overlaps:-?} malformed=${malformed:-?} reconnects=${reconnects:-?} sub_lost=$(s lost_messages) sub_gaps=$(s gaps) sub_overlaps=$(s overlaps) sub_gap_flags=$(s gap_flags) publisher_drops=$(s publisher_drops) tail_lost=$tail_lost"
  # Every counter must be a number, and zero.
  nonzero=$(printf '%s\n' "$losses" | tr ' ' '\n' | awk -F= '$2 !~ /^-?[0-9]+$/ || $2 != 0 {printf "%s%s", (n++ ? " " : ""), $0}')
  ok=FAIL
  [ -z "$nonzero" ] && ok=pass
  p50=$(s latency_p50_ms)
  p99=$(s latency_p99_ms)
  f99=$(s first_sample_p99_ms)
  target=$(awk -v p="$p99" -v c="$CHUNK" 'BEGIN { print (p != "null" && p + 0 < c * 1000 + 50) ? "yes" : "no" }')
  window=$(cpu_report "$step/cpu0" "$step/cpu1" "$d_pid" "$sim_pid" "$sub_pid")
  echo "   losses: $losses"
  echo "   simulate: $sim_sent messages sent, late by > 1 ms: ${sim_late:-?}; dasflowd read $read_chunks, wrote $written; sub received $(s messages)"
  echo "   latency (arrival - last sample): p50 $p50 ms, p99 $p99 ms, max $(s latency_max_ms) ms over $(s latency_n) messages; from the first sample: p50 $(s first_sample_p50_ms) ms, p99 $f99 ms; p99 < chunk + 50 ms: $target"
  printf '%s\n' "$window" | sed 's/^/   /'
  # How much of the window each stage spent working (wall clock, preemption included).
  for stage in process write; do
    k="dasflow_stage_busy_seconds_total{stage=\"$stage\"}"
    b0=$(awk -v k="$k" '$1 == k {print $2}' "$step/metrics0.txt")
    b1=$(awk -v k="$k" '$1 == k {print $2}' "$step/metrics1.txt")
    busy[$stage]=$(awk -v a="${b0:-0}" -v b="${b1:-0}" -v d="$DURATION" 'BEGIN { printf "%.0f", (b - a) / d * 100 }')
  done
  echo "   busy (wall clock) in the window: processor ${busy[process]}%, writer ${busy[write]}%"
  echo "   dasflowd RSS: $((rss_end / 1024)) MB at the end, max sampled $((rss_max / 1024)) MB, peak (VmHWM) $((hwm / 1024)) MB"
  if [ "$OUTPUTS" = zmq+hdf5 ]; then # GBs at the larger loads: counted, then deleted
    echo "   outputs wrote $(awk '$1 == "dasflow_output_bytes_total" {printf "%.0f", $2 / 1e6}' "$step/metrics.txt") MB (files deleted after the step), $(m dasflow_checkpoints_total) checkpoints"
    rm -rf "$step/out" "$step/checkpoint"
  fi
  echo "   => $ok"
  dcpu=$(printf '%s\n' "$window" | sed -n 's/^dasflowd: \([0-9.]*\)%.*/\1/p')
  summary+=("$(printf '%-12s %6s  %-6s %8s %8s %10s %8s %7s  %s' "$load" "$mbps" "$ok" "$p50" "$p99" "$f99" "${dcpu:-?}" "$((hwm / 1024))" "${nonzero:-none}")")
  if [ $ok = pass ]; then
    best="$channels channels x $fs Hz ($mbps MB/s)"
  elif [ $ALL = 0 ]; then
    break
  fi
done

echo
printf '%-12s %6s  %-6s %8s %8s %10s %8s %7s  %s\n' load MB/s result "p50 ms" "p99 ms" "p99 first" "CPU %" "RSS MB" \
  "losses (latency: arrival - last sample; first: - first sample; dasflowd CPU and peak RSS)"
printf '%s\n' "${summary[@]}"
echo "largest load sustained for ${DURATION} s with zero drops: ${best:-none}"
[ -z "$KEEP" ] || echo "configs and logs: $work"
