#!/usr/bin/env bash
# Instructions the URB engine executes per request, counted by callgrind (valgrind): the same
# figure on every run of the same build, whatever the machine is doing, where wall-clock times
# under emulation move by half (docs/performance.md). The engine serves a simulated device over
# a socketpair (bench/engine_requests.cpp); a short run is subtracted from a long one, so that
# start-up and tear-down cancel out. Only the engine's thread is counted, the device included
# (a simulated one: a real device adds libusb's and the kernel's share, which this leaves out).
#
#   bench/engine-cost.sh        uses the build in build/ (or $BUILD_DIR)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
program=$build/bench/engine-requests
short=${BENCH_SHORT:-200}
long=${BENCH_LONG:-1200}

[ -x "$program" ] || {
  echo "engine-cost: $program is missing: build first (scripts/build.sh)" >&2
  exit 1
}
command -v valgrind >/dev/null || {
  echo "engine-cost: valgrind is needed (apt-get install valgrind)" >&2
  exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# engine_instructions KIND COUNT: the instructions of the thread that ran the engine (the
# second thread callgrind saw; the first is the client).
engine_instructions() {
  valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$work/$1.$2.%p" \
    "$program" "$1" "$2" 2>/dev/null
  awk '/^summary:/ { print $2; exit }' "$work/$1.$2."*-02
}

printf '%-44s %12s\n' "request, served by the engine (sim device)" "instructions"
for kind in control bulk; do
  few=$(engine_instructions "$kind" "$short")
  many=$(engine_instructions "$kind" "$long")
  case "$kind" in
    control) label="GET_DESCRIPTOR to sim:hid, one at a time" ;;
    bulk) label="512-byte OUT + IN through sim:cdc's echo" ;;
  esac
  printf '%-44s %12d\n' "$label" $(((many - few) / (long - short)))
done
