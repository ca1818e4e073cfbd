#!/usr/bin/env bash
# Builds dasflow and runs the demo: the built-in synthetic interrogator through config/demo.yaml,
# printing one line per chunk. Extra arguments go to `dasflow demo` (e.g. --seconds 20 --fast).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
exec build/daemon/dasflow demo --config config/demo.yaml "$@"
