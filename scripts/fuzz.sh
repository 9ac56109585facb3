#!/usr/bin/env bash
# Builds the fuzz configuration (build-fuzz/, clang, -DUSBIP_FUZZ=ON), fuzzes every target (or
# the ones named) for SECONDS each (default 60), then replays the checked-in corpora and
# regressions. Prints libFuzzer's final numbers per target. See fuzz/README.md.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#   scripts/fuzz.sh --build-only      (what scripts/test.sh uses before the fuzz ctest tests)
# FUZZ_CI_SECONDS sets how long each fuzz_TARGET_run ctest test fuzzes (default 20).
# The build honours CMAKE_BUILD_PARALLEL_LEVEL, like scripts/build.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=60
build_only=false
if [ "${1:-}" = --build-only ]; then
  build_only=true
  shift
elif [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi

"$root/scripts/setup.sh"
# Only what the targets link is built (`fuzzers`). -O1 -g1: line numbers for the reports, and a
# fraction of the compile time of -O2 -g.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DUSBIP_FUZZ=ON -DUSBIP_BUILD_TESTS=OFF -DUSBIP_WERROR=ON \
  ${FUZZ_CI_SECONDS:+-DUSBIP_FUZZ_CI_SECONDS=$FUZZ_CI_SECONDS} >/dev/null
cmake --build "$build" --target fuzzers
$build_only && exit 0

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for fuzzer in "$build"/fuzz/fuzz_*; do
    name=${fuzzer##*/fuzz_}
    [ "$name" = make_seeds ] || targets+=("$name")
  done
fi

runner=$root/fuzz/run_target.sh
work=$build/fuzz/work
summary=()
status=0
for name in "${targets[@]}"; do
  fuzzer=$build/fuzz/fuzz_$name
  if [ ! -x "$fuzzer" ]; then
    echo "fuzz.sh: no target $name" >&2
    exit 2
  fi
  log=$work/$name.log
  mkdir -p "$work"
  echo "== $name: fuzzing for $seconds s (log: $log)"
  if ! "$runner" run "$fuzzer" "$name" "$root/fuzz" "$work" "$seconds" >"$log" 2>&1; then
    echo "== $name: CRASH, see $log and $work/$name/crash-*" >&2
    grep -E "ERROR|invariant|SUMMARY" "$log" >&2 || true
    status=1
  fi
  done_line=$(grep -E "^#[0-9]+[[:space:]]+DONE" "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  corpus=$(find "$work/$name/corpus" -type f | wc -l)
  summary+=("$(printf '%-22s %6ss %12s execs %8s exec/s  cov %6s  ft %6s  corpus %5s' \
    "$name" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$corpus")")
  echo "== $name: replaying the corpus and regressions"
  if ! "$runner" replay "$fuzzer" "$name" "$root/fuzz" "$work" >"$work/$name.replay.log" 2>&1; then
    echo "== $name: replay FAILED, see $work/$name.replay.log" >&2
    status=1
  fi
done

echo
printf '%s\n' "${summary[@]}"
exit $status
