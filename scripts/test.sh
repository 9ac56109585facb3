#!/usr/bin/env bash
# Builds with warnings as errors and runs every test: unit and component tests, then the
# scenarios in the test VM (a real Linux kernel under QEMU). One ctest run, one summary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/build.sh"
cd "$build"
ctest --output-on-failure "$@"
