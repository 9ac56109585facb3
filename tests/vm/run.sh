#!/usr/bin/env bash
# Boots the test VM once, runs one scenario inside it and exits with the scenario's status.
#
#   tests/vm/run.sh [--quiet] SCENARIO [ARGS...]
#
# SCENARIO is a script name in tests/vm/scenarios/ (".sh" optional) or a path to a script in
# this repository. The guest sees the host's whole root read-only, so it runs the scenario, the
# tools and the project's binaries straight from the source and build trees.
#
# Environment:
#   BUILD_DIR    the build tree whose binaries the guest runs (default: <repo>/build)
#   HOST_IMPL    which USB/IP host the scenario exercises: kernel (default) or project
#   VM_TIMEOUT   seconds after which QEMU is killed, whatever the guest does (default 200);
#                the guest stops its scenario a little before, to report and power off
#   VM_LOG_DIR   where the serial log and the guest's dmesg are kept (default $BUILD_DIR/vm-logs)
#   VM_CPUS, VM_MEMORY  guest size (default 2 CPUs, 768 MiB)
#   VM_QEMU_ARGS further QEMU arguments, e.g. emulated USB devices on an xhci controller:
#                "-device qemu-xhci,id=xhci -device usb-kbd,bus=xhci.0"; @JOB_DIR@ in them
#                stands for the job directory, /run/vm-job in the guest
#
# Exit status: the scenario's; 124 when the VM ran out of time; 125 when the VM could not be
# set up or ended without reporting a status.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
build_dir=${BUILD_DIR:-$source_dir/build}
host_impl=${HOST_IMPL:-kernel}
vm_timeout=${VM_TIMEOUT:-200}
cpus=${VM_CPUS:-2}
memory=${VM_MEMORY:-768}
# What the guest keeps, out of the VM's time, for saving its log and powering off.
guest_margin=5

quiet=0
if [ "${1:-}" = --quiet ] || [ "${1:-}" = -q ]; then
  quiet=1
  shift
fi
[ $# -ge 1 ] || {
  echo "usage: $0 [--quiet] SCENARIO [ARGS...]" >&2
  exit 125
}

log() { echo "vm: $*" >&2; }

resolve_scenario() {
  local name=$1
  if [ -f "$here/scenarios/$name" ]; then
    echo "$here/scenarios/$name"
  elif [ -f "$here/scenarios/$name.sh" ]; then
    echo "$here/scenarios/$name.sh"
  elif [ -f "$name" ]; then
    realpath "$name"
  else
    log "no scenario '$name' (see $here/scenarios/)"
    return 1
  fi
}

scenario=$(resolve_scenario "$1") || exit 125
shift
scenario_name=$(basename "$scenario" .sh)
case "$host_impl" in kernel | project) ;; *)
  log "HOST_IMPL must be kernel or project, not '$host_impl'"
  exit 125
  ;;
esac
[ -d "$build_dir" ] || {
  log "no build dir $build_dir: build first (scripts/build.sh) or set BUILD_DIR"
  exit 125
}
build_dir=$(cd "$build_dir" && pwd)
log_dir=${VM_LOG_DIR:-$build_dir/vm-logs}
mkdir -p "$log_dir"
serial_log="$log_dir/$scenario_name.$host_impl.serial.log"
dmesg_log="$log_dir/$scenario_name.$host_impl.dmesg.log"
rm -f "$serial_log" "$dmesg_log"

image=$("$here/build-image.sh") || {
  log "could not build the VM image"
  exit 125
}

# The job share: job.sh tells the guest what to run; the guest leaves its dmesg and any
# results here. Writable by the guest, unlike the rest of the host.
job_dir=$(mktemp -d "${TMPDIR:-/tmp}/usbip-sandbox-vm.XXXXXX")
qemu_pid=
cleanup() {
  if [ -n "$qemu_pid" ]; then kill "$qemu_pid" 2>/dev/null || true; fi
  rm -rf "$job_dir"
}
trap cleanup EXIT

# The guest mounts fresh tmpfs on these, hiding the host's copies: the source and build trees
# are bound back into place from the host (keep-paths, see guest/init), and a scenario kept
# there travels in the job share.
printf '%s\n' "$source_dir" "$build_dir" >"$job_dir/keep-paths"
case "$scenario" in
  "$source_dir"/* | "$build_dir"/*) ;;
  /tmp/* | /var/tmp/* | /run/* | /dev/*)
    cp "$scenario" "$job_dir/scenario.sh"
    scenario=/run/vm-job/scenario.sh
    ;;
esac

{
  echo "# Written by tests/vm/run.sh for one VM run."
  echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  echo "export HOME=/tmp LANG=C.UTF-8 TERM=dumb"
  printf 'export SOURCE_DIR=%q BUILD_DIR=%q HOST_IMPL=%q\n' "$source_dir" "$build_dir" "$host_impl"
  printf 'export SCENARIO_NAME=%q\n' "$scenario_name"
  # The guest's clock starts from the host's, so one deadline serves both.
  printf 'export VM_JOB_DIR=/run/vm-job VM_DEADLINE=%q\n' $(($(date +%s) + vm_timeout - guest_margin))
  for var in ${VM_PASS_ENV:-}; do
    printf 'export %s=%q\n' "$var" "${!var:-}"
  done
  printf 'exec /bin/bash %q %q' "$here/guest/enter.sh" "$scenario"
  printf ' %q' "$@"
  echo
} >"$job_dir/job.sh"

log "booting $(cat "$image/kernel-version") for scenario $scenario_name (HOST_IMPL=$host_impl)"
log "serial log: $serial_log"
read -r -a extra_qemu_args <<<"${VM_QEMU_ARGS:-}"
# @JOB_DIR@ stands for the job directory, which the guest sees at /run/vm-job: a QEMU device
# can write there (usb-audio's wav backend, say) and the scenario read it back while it runs.
extra_qemu_args=("${extra_qemu_args[@]//@JOB_DIR@/$job_dir}")
started=$(date +%s%N)
# Software emulation only (no /dev/kvm on the build machines). The guest leaves through the
# debug-exit port (see guest/init); -no-reboot turns a panic (panic=-1 reboots at once) into
# QEMU exiting too.
timeout --kill-after=5 "$vm_timeout" qemu-system-x86_64 \
  -nodefaults -no-user-config -no-reboot \
  -machine q35,accel=tcg -cpu "${VM_CPU_MODEL:-max}" -smp "$cpus" -m "$memory" \
  -kernel "$image/vmlinuz" -initrd "$image/initrd" \
  -append "console=ttyS0 quiet loglevel=4 panic=-1 mitigations=off ${VM_KERNEL_ARGS:-}" \
  -display none -monitor none -serial "file:$serial_log" \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
  "${extra_qemu_args[@]}" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$job_dir,mount_tag=vmjob,security_model=none" \
  </dev/null &
qemu_pid=$!

if [ "$quiet" = 0 ]; then
  # Follows the serial console live until QEMU is gone.
  while [ ! -e "$serial_log" ] && kill -0 "$qemu_pid" 2>/dev/null; do sleep 0.1; done
  [ -e "$serial_log" ] && tail -n +1 -f --pid="$qemu_pid" "$serial_log" | tr -d '\r'
fi
qemu_status=0
wait "$qemu_pid" || qemu_status=$?
qemu_pid=
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
elapsed=$((elapsed_ms / 1000)).$((elapsed_ms % 1000 / 100))

[ -f "$job_dir/dmesg.txt" ] && cp "$job_dir/dmesg.txt" "$dmesg_log"
status_line=$(grep -a -o 'usbip-sandbox-vm: exit status [0-9]*' "$serial_log" 2>/dev/null | tail -n 1 || true)
if [ -n "$status_line" ]; then
  status=${status_line##* }
  log "scenario $scenario_name (HOST_IMPL=$host_impl) exited with status $status after ${elapsed}s"
elif [ "$qemu_status" -eq 124 ] || [ "$qemu_status" -eq 137 ]; then
  status=124
  log "VM killed after ${vm_timeout}s without finishing scenario $scenario_name"
else
  status=125
  log "VM ended (qemu status $qemu_status) without reporting a status; see $serial_log"
fi
if [ "$status" -ne 0 ] && [ "$quiet" = 1 ]; then
  log "last lines of the serial log:"
  tail -n 40 "$serial_log" | tr -d '\r' >&2
fi
exit "$status"
