#!/usr/bin/env bash
# Same-VM, same-run comparison of USB throughput and control latency: the gadgets used
# directly, through the kernel's usbip-host, and through the project's usbip-host. Prints
# figures, ratios to direct access and project / kernel, and the peak resident memory of the
# project's worker per export; asserts nothing; not run by ctest. Under software emulation the
# absolute figures are small; the ratios are the point (docs/performance.md).
#
#   bench/run.sh            uses the build in build/ (or $BUILD_DIR) for the VM's tools
#
# Sizes can be changed with BENCH_BULK_ITERATIONS (x 512 KiB per bulk direction, default 16),
# BENCH_CONTROL_ITERATIONS (default 20) and BENCH_DISK_MIB (default 16); each figure is the
# median of BENCH_REPEATS interleaved rounds (default 5), each measuring every column once.
# VM_PROJECT_HOST_ARGS adds options to the project's usbip-host (--no-usbfs-memory, say).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export BUILD_DIR=${BUILD_DIR:-$root/build}
export VM_PASS_ENV="BENCH_BULK_ITERATIONS BENCH_CONTROL_ITERATIONS BENCH_DISK_MIB BENCH_REPEATS VM_PROJECT_HOST_ARGS"
export VM_TIMEOUT=${VM_TIMEOUT:-1500}

[ -x "$BUILD_DIR/tests/vm/tools/usbtest-runner" ] || {
  echo "bench: $BUILD_DIR/tests/vm/tools/usbtest-runner is missing: build first (scripts/build.sh)" >&2
  exit 1
}
# The table on stdout; the guest's progress lines on stderr; the rest stays in the serial log.
"$root/tests/vm/run.sh" "$root/bench/vm-bench.sh" | awk '
  /^BENCH / { sub(/^BENCH /, ""); print; fflush(); next }
  /^\[ *[0-9]+\.[0-9][0-9]\] / { print > "/dev/stderr" }'
exit "${PIPESTATUS[0]}"
