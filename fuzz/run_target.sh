#!/usr/bin/env bash
# Runs one libFuzzer target, for ctest and scripts/fuzz.sh alike.
#   run_target.sh replay FUZZER NAME FUZZ_SOURCE_DIR WORK_DIR
#     runs every seed (corpus/NAME) and every past crash (regressions/NAME) once.
#   run_target.sh run FUZZER NAME FUZZ_SOURCE_DIR WORK_DIR SECONDS
#     fuzzes for SECONDS: new inputs go to WORK_DIR/NAME/corpus (the checked-in seeds stay as
#     they are), a crashing input to WORK_DIR/NAME/crash-*; prints libFuzzer's final stats.
# FUZZ_SOURCE_DIR/NAME.dict, if there is one, is the target's dictionary.
set -euo pipefail
mode=$1 fuzzer=$2 name=$3 source=$4 work=$5/$3
inputs=()
for dir in "$source/corpus/$name" "$source/regressions/$name"; do
  [ -d "$dir" ] && inputs+=("$dir")
done
options=(-timeout=10)
[ -f "$source/$name.dict" ] && options+=(-dict="$source/$name.dict")
mkdir -p "$work/corpus"
case $mode in
  replay)
    exec "$fuzzer" -runs=0 "${options[@]}" "${inputs[@]}"
    ;;
  run)
    seconds=$6
    exec "$fuzzer" -max_total_time="$seconds" "${options[@]}" -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "${inputs[@]}"
    ;;
  *)
    echo "run_target.sh: unknown mode $mode (replay or run)" >&2
    exit 2
    ;;
esac
