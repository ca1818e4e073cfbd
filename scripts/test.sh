#!/usr/bin/env bash
# Builds everything and runs every test (unit, golden, property, e2e) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --test-dir build --output-on-failure --parallel "$(nproc)" --timeout 600
