#!/usr/bin/env bash
# Builds dasflow and runs the demo: dasflowd on its built-in synthetic interrogator with
# config/demo.yaml (60 s of a 1000-channel stream in real time). It logs progress and detections;
# HDF5 files and events.jsonl appear in ./dasflow-demo-out/. Ctrl-C drains and exits cleanly.
# Extra arguments go to dasflowd (e.g. --log-level debug).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
exec build/daemon/dasflowd --config config/demo.yaml "$@"
