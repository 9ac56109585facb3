#!/bin/bash
# Guest side of bench/run.sh: measures, in one VM and one run, the same gadgets used directly
# and through each USB/IP host, and prints one table with the figures and their ratios to
# direct access. It asserts nothing.
#
# Columns: direct (the gadget on dummy_hcd), kernel (the kernel's usbip-host + usbipd, imported
# through vhci_hcd on 127.0.0.1), project (the project's usbip-host, same path). A host that
# cannot run here (the project's, before it is built) shows "-".
set -uo pipefail
source "$SOURCE_DIR/tests/vm/guest/lib.sh"

hosts=(kernel project)
bulk_iterations=${BENCH_BULK_ITERATIONS:-16}     # x 32 URBs x 16 KiB = 8 MiB per direction
control_iterations=${BENCH_CONTROL_ITERATIONS:-20}
disk_mib=${BENCH_DISK_MIB:-16}
# Each figure is the median of one measurement from each of this many rounds: one measurement
# of the same figure moves by up to 50 % under emulation (docs/performance.md).
repeats=${BENCH_REPEATS:-5}

declare -A figures=()    # "metric/column" -> median
declare -A samples=()    # "metric/column" -> every measurement, space-separated, in order
declare -A worker_rss=() # export -> the project's worker's peak RSS in MiB
declare -A worker_usbfs=() # export -> the most usbfs memory its transfer buffers had mapped, MiB

# add_sample METRIC COLUMN VALUE: one measurement (an empty VALUE, from a failed one, is dropped).
add_sample() {
  [ -n "$3" ] || return 0
  samples["$1/$2"]="${samples["$1/$2"]:-}${samples["$1/$2"]:+ }$3"
}

median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

# settle_figures: every metric's median, from its samples.
settle_figures() {
  local key
  for key in "${!samples[@]}"; do
    figures["$key"]=$(median <<<"${samples["$key"]}")
  done
}

# usbtest figures: 27/28 as MB/s (the driver's own timing), 9 as microseconds per ch9 round
# (several control requests each), 10 as microseconds per queued control request.
measure_usbtest_once() {
  local column=$1 node=$2 out=/tmp/bench.usbtest.$1 test duration
  local bulk_bytes=$((bulk_iterations * 32 * 16384))
  vm_usbtest "$node" 30 120 "27:$bulk_iterations:16384:0:32" "28:$bulk_iterations:16384:0:32" \
    "9:$control_iterations:0:0:0" "10:$control_iterations:0:0:16" >"$out"
  while read -r _ test verdict duration; do
    test=${test%:}
    [ "$verdict" = pass ] || continue
    duration=${duration#duration_us=}
    case "$test" in
      27) add_sample "bulk OUT, usbtest 27 (MB/s)" "$column" "$(rate "$bulk_bytes" "$duration")" ;;
      28) add_sample "bulk IN, usbtest 28 (MB/s)" "$column" "$(rate "$bulk_bytes" "$duration")" ;;
      9) add_sample "control, usbtest 9 (us/round)" "$column" $((duration / control_iterations)) ;;
      10)
        add_sample "queued control, usbtest 10 (us/request)" "$column" \
          $((duration / (control_iterations * 16)))
        ;;
    esac
  done <"$out"
}

rate() { awk -v bytes="$1" -v us="$2" 'BEGIN { if (us > 0) printf "%.1f", bytes / us }'; }

# dd's own timing (from its summary line), so process start-up does not count.
dd_seconds() {
  dd "$@" 2>&1 >/dev/null | awk '/copied/ { for (i = 2; i <= NF; i++) if ($i == "s,") print $(i - 1) }'
}

# Every round imports the gadgets anew, and the first transfers of a new session pay once for
# what a session in use has paid long ago (a new worker's page faults, its first usbfs
# mappings, caches): a short run of the same tests before each measurement takes those out.
warm_up_usbtest() {
  vm_usbtest "$1" 30 60 "27:1:16384:0:32" "28:1:16384:0:32" "9:1:0:0:0" "10:1:0:0:16" >/dev/null ||
    vm_log "the warm-up usbtest run on $1 failed"
}

warm_up_disk() {
  dd_seconds if=/dev/zero of="$1" bs=1M count=2 oflag=direct conv=fsync >/dev/null
  dd_seconds if="$1" of=/dev/null bs=1M count=2 iflag=direct >/dev/null
}

# measure_usbtest COLUMN NODE, measure_disk COLUMN DISK: one measurement of each figure.
measure_usbtest() {
  warm_up_usbtest "$2"
  measure_usbtest_once "$1" "$2"
}

measure_disk() {
  local column=$1 disk=$2
  # The same SCSI transfer size everywhere (the mass-storage scenario's), for a fair ratio.
  vm_disk_max_transfer "$disk" 1024 || vm_log "could not raise the transfer size of $disk"
  warm_up_disk "$disk"
  measure_disk_once "$column" "$disk"
}

measure_disk_once() {
  local column=$1 disk=$2 seconds bytes=$((disk_mib * 1048576))
  seconds=$(dd_seconds if=/dev/zero of="$disk" bs=1M count="$disk_mib" oflag=direct conv=fsync)
  [ -n "$seconds" ] && add_sample "mass storage write, dd (MB/s)" "$column" "$(rate "$bytes" \
    "$(awk -v s="$seconds" 'BEGIN { printf "%d", s * 1000000 }')")"
  seconds=$(dd_seconds if="$disk" of=/dev/null bs=1M count="$disk_mib" iflag=direct)
  [ -n "$seconds" ] && add_sample "mass storage read, dd (MB/s)" "$column" "$(rate "$bytes" \
    "$(awk -v s="$seconds" 'BEGIN { printf "%d", s * 1000000 }')")"
}

# worker_peak_rss_kib HOST_PID: the peak resident memory (VmHWM, KiB) of the project's worker
# serving the export of the usbip-host with that pid, read while its session is still live.
# The worker runs under a supervisor in a PID namespace of its own, and both match
# "usbip-worker": the worker is the innermost, the one with the most NSpid entries.
worker_peak_rss_kib() {
  local host_pid=$1 pid ancestor depth best="" best_depth=0
  for pid in $(pgrep -f usbip-worker); do
    ancestor=$pid
    while [ -n "$ancestor" ] && [ "$ancestor" -gt 1 ] && [ "$ancestor" != "$host_pid" ]; do
      ancestor=$(awk '/^PPid:/ { print $2 }' "/proc/$ancestor/status" 2>/dev/null)
    done
    [ "$ancestor" = "$host_pid" ] || continue
    depth=$(awk '/^NSpid:/ { print NF - 1 }' "/proc/$pid/status" 2>/dev/null)
    if [ -n "$depth" ] && [ "$depth" -gt "$best_depth" ]; then
      best=$pid best_depth=$depth
    fi
  done
  [ -n "$best" ] || return 1
  awk '/^VmHWM:/ { print $2 }' "/proc/$best/status"
}

# max_mib CURRENT KIB: the larger of CURRENT (MiB, maybe empty) and KIB, in MiB.
max_mib() {
  awk -v m="$1" -v k="$2" 'BEGIN { v = k / 1024; if (m != "" && m + 0 > v) v = m; printf "%.1f", v }'
}

# record_worker_peak_rss LABEL DEVICE_DIR: the figure for one export of the project's host; the
# largest of all rounds is kept.
record_worker_peak_rss() {
  local label=$1 busid host_pid kib
  busid=$(vm_busid "$2")
  host_pid=$(vm_read "$VM_STATE_DIR/project-host.$busid.pid") || return 0
  if kib=$(worker_peak_rss_kib "$host_pid"); then
    worker_rss["$label"]=$(max_mib "${worker_rss["$label"]:-}" "$kib")
  else
    vm_log "no worker found for the export of $busid (usbip-host $host_pid)"
  fi
}

# record_worker_usbfs_memory LABEL DEVICE_DIR: the usbfs memory the worker's transfer buffers
# had mapped at most (worker/usbfs_memory_pool.h). It is outside the resident set (VmHWM), so it
# is reported beside it; the worker logs it as its session ends, so read it after the unexport.
record_worker_usbfs_memory() {
  local label=$1 busid kib
  busid=$(vm_busid "$2")
  kib=$(sed -n 's/.*usbfs memory: .*at most \([0-9]*\) KiB mapped.*/\1/p' \
    "/tmp/usbip-host.$busid.log" 2>/dev/null | tail -n 1)
  [ -n "$kib" ] && worker_usbfs["$label"]=$(max_mib "${worker_usbfs["$label"]:-}" "$kib")
}

port_free() { ! vm__listening "$1"; }

host_available() {
  case "$1" in
    kernel) command -v usbipd >/dev/null ;;
    project) vm_project_binary usbip-host >/dev/null ;;
  esac
}

# measure_direct: one measurement of each figure on the gadgets themselves.
measure_direct() {
  local disk
  vm_wait_driver "$zero/$(vm_busid "$zero"):1.0" usbtest || vm_fail "usbtest did not bind"
  measure_usbtest direct "$(vm_dev_node "$zero")"
  disk=$(vm_block_device "$disk_dev") || vm_fail "no disk on the mass-storage gadget"
  measure_disk direct "$disk"
}

# measure_through HOST: one measurement of each figure through that USB/IP host, each gadget
# exported and imported for it and given back afterwards.
measure_through() {
  local host=$1 imported_zero imported_disk disk pid
  export HOST_IMPL=$host
  # One export at a time: the project's host is started once per device (vm_host_export), and
  # two of them cannot share the port.
  vm_host_export "$(vm_busid "$zero")" || vm_fail "exporting the SourceSink gadget ($host)"
  imported_zero=$(vm_attach "$zero") || vm_fail "importing the SourceSink gadget ($host)"
  vm_wait_driver "$imported_zero/$(vm_busid "$imported_zero"):1.0" usbtest ||
    vm_fail "usbtest did not bind to the imported gadget ($host)"
  measure_usbtest "$host" "$(vm_dev_node "$imported_zero")"
  # Before detaching: the session, and with it the worker, ends with the import.
  [ "$host" = project ] && record_worker_peak_rss "SourceSink (usbtest 27, 28, 9, 10)" "$zero"
  vm_detach "$imported_zero"
  vm_host_unexport "$(vm_busid "$zero")"
  [ "$host" = project ] && record_worker_usbfs_memory "SourceSink (usbtest 27, 28, 9, 10)" "$zero"

  vm_host_export "$(vm_busid "$disk_dev")" || vm_fail "exporting the disk ($host)"
  imported_disk=$(vm_attach "$disk_dev") || vm_fail "importing the disk ($host)"
  disk=$(vm_block_device "$imported_disk") || vm_fail "no disk on the imported device ($host)"
  measure_disk "$host" "$disk"
  [ "$host" = project ] && record_worker_peak_rss "mass storage (dd)" "$disk_dev"
  vm_detach "$imported_disk"
  vm_host_unexport "$(vm_busid "$disk_dev")"
  [ "$host" = project ] && record_worker_usbfs_memory "mass storage (dd)" "$disk_dev"
  vm_check_kernel_health
  # usbipd outlives its exports; the next host needs the port.
  if [ "$host" = kernel ]; then
    for pid in $(pgrep -x usbipd); do kill "$pid"; done
    vm_wait_for 10 "usbipd to leave port $VM_USBIP_PORT" port_free $VM_USBIP_PORT
  fi
}

vm_gadget_sourcesink zero "$(vm_udc 0)" || vm_fail "making the SourceSink gadget"
vm_gadget_mass_storage disk "$(vm_udc 1)" /tmp/bench-disk.img $((disk_mib + 8)) ||
  vm_fail "making the mass-storage gadget"
zero=$(vm_gadget_device "$(vm_udc 0)") || vm_fail "the SourceSink gadget did not enumerate"
disk_dev=$(vm_gadget_device "$(vm_udc 1)") || vm_fail "the mass-storage gadget did not enumerate"

available=()
for host in "${hosts[@]}"; do
  if host_available "$host"; then
    available+=("$host")
  else
    vm_log "$host usbip-host: not available here, column left empty"
  fi
done

# Interleaved: every round measures each column once, and the hosts take turns at going first.
# A drift of the emulated machine's speed during the run (it moves the same figure by up to
# half, docs/performance.md) then reaches every column alike instead of the one measured last.
for ((round = 1; round <= repeats; round++)); do
  vm_log "round $round of $repeats: direct access"
  measure_direct
  order=("${available[@]}")
  if ((round % 2 == 0)); then
    order=()
    for ((i = ${#available[@]} - 1; i >= 0; i--)); do order+=("${available[i]}"); done
  fi
  for host in "${order[@]}"; do
    vm_log "round $round of $repeats: through the $host usbip-host"
    measure_through "$host"
  done
done

metrics=(
  "bulk OUT, usbtest 27 (MB/s)"
  "bulk IN, usbtest 28 (MB/s)"
  "mass storage write, dd (MB/s)"
  "mass storage read, dd (MB/s)"
  "control, usbtest 9 (us/round)"
  "queued control, usbtest 10 (us/request)"
)
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b > 0) printf "%.2f", a / b; else printf "-" }'
}

settle_figures
echo
echo "BENCH same VM, same run; guest kernel $(uname -r), software emulation (TCG)"
echo "BENCH each figure is the median of $repeats measurements, taken in interleaved rounds" \
  "(all of them below the table)"
echo "BENCH ratios are host / direct (and project / kernel): below 1 is slower for throughput," \
  "above 1 slower for latency"
printf 'BENCH %-42s %10s' metric direct
for host in "${hosts[@]}"; do printf ' %10s %7s' "$host" ratio; done
printf ' %14s\n' project/kernel
for metric in "${metrics[@]}"; do
  direct=${figures["$metric/direct"]:-}
  printf 'BENCH %-42s %10s' "$metric" "${direct:--}"
  for host in "${hosts[@]}"; do
    value=${figures["$metric/$host"]:-}
    printf ' %10s %7s' "${value:--}" "$(ratio "$value" "$direct")"
  done
  printf ' %14s\n' "$(ratio "${figures["$metric/project"]:-}" "${figures["$metric/kernel"]:-}")"
done
echo "BENCH"
echo "BENCH every measurement, round by round"
for metric in "${metrics[@]}"; do
  for column in direct "${hosts[@]}"; do
    [ -n "${samples["$metric/$column"]:-}" ] &&
      printf 'BENCH %-42s %-8s %s\n' "$metric" "$column" "${samples["$metric/$column"]}"
  done
done
echo "BENCH"
echo "BENCH project worker's peak memory per export: resident (VmHWM, read before the export" \
  "ends) and, outside it, usbfs memory mapped for transfer buffers (at most, from its log)"
for label in "SourceSink (usbtest 27, 28, 9, 10)" "mass storage (dd)"; do
  printf 'BENCH %-42s %10s MiB resident %6s MiB usbfs\n' "$label" "${worker_rss["$label"]:--}" \
    "${worker_usbfs["$label"]:--}"
done
