#!/usr/bin/env bash
# Builds with warnings as errors and runs every test: unit and component tests, then the
# scenarios in the test VM (a real Linux kernel under QEMU). One ctest run, one summary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/build.sh"
cd "$build"
ctest --output-on-failure "$@"

# Sanitizers and fuzzing; USBIP_SANITIZERS=0 skips them. Each has its own build directory.
[ "${USBIP_SANITIZERS:-1}" = 0 ] && exit 0
# ASan and UBSan: every unit and component test again (the VM scenarios run in the main build
# only). -O1 -g1 keeps the reports' line numbers at well under half the compile time of -O2 -g.
# GCC's maybe-uninitialized analysis misfires on sanitizer-instrumented code (in kj::Maybe, for
# one); the main build still has it.
BUILD_DIR=$root/build-asan "$root/scripts/build.sh" -DUSBIP_SANITIZE=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DCMAKE_CXX_FLAGS=-Wno-maybe-uninitialized
ctest --test-dir "$root/build-asan" -LE vm --output-on-failure
# No TSan configuration: see "Sanitizers" in fuzz/README.md for why.
# libFuzzer (fuzz/README.md): each target briefly, and every seed and past crash replayed.
"$root/scripts/fuzz.sh" --build-only
ctest --test-dir "$root/build-fuzz" -L fuzz --output-on-failure --parallel "$(nproc)"
