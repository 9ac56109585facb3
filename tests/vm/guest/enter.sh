#!/bin/bash
# The first thing the guest runs inside the host's root (from the job's job.sh): runs one
# scenario under a deadline, leaves the kernel log in the job share for the host, and exits
# with the scenario's status, which the VM's init prints on the serial console.
#   enter.sh SCENARIO [ARGS...]
set -uo pipefail

scenario=$1
shift
# shellcheck source=lib.sh
source "$SOURCE_DIR/tests/vm/guest/lib.sh"

cd /tmp || exit 125
# Builtins only until the scenario starts: every process costs time under emulation.
read -r kernel </proc/sys/kernel/osrelease
vm_clock
time_left=$((VM_DEADLINE - VM_NOW_MS / 1000))
vm_log "guest kernel $kernel, ${time_left}s left; scenario ${SCENARIO_NAME:-$scenario}," \
  "HOST_IMPL=$HOST_IMPL"
# The scenario stops a few seconds before the VM's deadline, so that its kernel log still
# reaches the host and the VM powers off by itself.
budget=$((time_left - 8))
[ "$budget" -ge 10 ] || budget=10
vm_run_bounded "$budget" /bin/bash "$scenario" "$@"
status=$?
[ "$status" -eq 124 ] && vm_log "scenario ran out of time (${budget}s)"
dmesg >"$VM_JOB_DIR/dmesg.txt" 2>&1
exit "$status"
