#!/usr/bin/env bash
# End-to-end throughput of dasflowd (reader -> pipeline -> HDF5/events writer), in channel-samples
# per second of input, for (1) the replay of the real decimated_optodas.hdf5 and (2) a 10,000-channel
# synthetic stream generated as fast as possible. Usage: bench/daemon_throughput.sh [build dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chain='  - {atom: iirfilter, order: 4, cutoff: [1.0, 20.0], btype: bandpass}
  - {atom: decimate, factor: 4}
  - {atom: stalta, method: recursive, sta: 0.5, lta: 5.0}
  - {atom: trigger, on_threshold: 4.0, off_threshold: 1.5}
  - {atom: coincidence, min_channels: 50, window: 0.5}'

run() { # name, channel-samples, config text
  printf '%s\n' "$3" > "$work/$1.yaml"
  local t0 t1
  t0=$(date +%s.%N)
  "$build/daemon/dasflowd" --config "$work/$1.yaml" --log-level warn
  t1=$(date +%s.%N)
  awk -v n="$2" -v a="$t0" -v b="$t1" -v name="$1" \
    'BEGIN { printf "%-28s %12.0f channel-samples in %6.2f s: %8.1f M channel-samples/s\n", name, n, b - a, n / (b - a) / 1e6 }'
}

run optodas_replay $((5000 * 51)) "source: {type: hdf5, path: $PWD/../shared/data/real/das/decimated_optodas.hdf5}
pipeline:
$chain
outputs: [{type: hdf5, path: $work/out1, prefix: r}, {type: events, path: $work/out1/events.jsonl}]"

run synthetic_10000ch_1kHz_20s $((10000 * 1000 * 20)) "source: {type: synthetic, channels: 10000, fs: 1000, chunk: 1.0, duration: 20, realtime: false}
pipeline:
$chain
outputs: [{type: hdf5, path: $work/out2, prefix: s}, {type: events, path: $work/out2/events.jsonl}]
queue_depth: 2"

run synthetic_10000ch_no_output $((10000 * 1000 * 20)) "source: {type: synthetic, channels: 10000, fs: 1000, chunk: 1.0, duration: 20, realtime: false}
pipeline:
$chain
queue_depth: 2"
