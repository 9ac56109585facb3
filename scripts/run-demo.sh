#!/usr/bin/env bash
# The main job: builds the project, then boots a real Linux kernel in a VM (QEMU, software
# emulation) where the project's usbip-host serves its simulated keyboard (sim:hid) over USB/IP,
# the stock `usbip attach` imports it through vhci_hcd, the kernel's usbhid driver binds, and
# the line the keyboard types arrives at the kernel's input layer. The same run checks the
# simulated serial port (sim:cdc) and sound card (sim:uac) too (tests/vm/scenarios/sim-devices.sh).
# Exit status 0 when the kernel received the line and every check passed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export BUILD_DIR=${BUILD_DIR:-$root/build}

step() { printf '\n== %s\n' "$*"; }

step "1/2 set-up and build (scripts/build.sh, into $BUILD_DIR)"
"$root/scripts/build.sh"

step "2/2 simulated USB devices through the project's usbip-host, into a real kernel (VM)"
echo "   usbip-host listen tcp:3240 sim:hid sim:cdc sim:uac; usbip attach -r 127.0.0.1 -b 0-1 ..."
echo "   The first run downloads the Debian kernel (about 70 MB) and builds the VM image;"
echo "   later runs reuse it. This takes a minute or two under software emulation."
log_dir=${VM_LOG_DIR:-$BUILD_DIR/vm-logs}
serial_log=$log_dir/sim-devices.project.serial.log
status=0
HOST_IMPL=project VM_LOG_DIR="$log_dir" "$root/tests/vm/run.sh" --quiet sim-devices || status=$?

received=$(tr -d '\r' <"$serial_log" 2>/dev/null | sed -n 's/^KERNEL INPUT LAYER RECEIVED: //p' | tail -n 1)
echo
if [ -n "$received" ]; then
  echo "   The guest kernel's input layer received this line, typed by sim:hid through USB/IP:"
  echo
  echo "       $received"
  echo
fi
if [ "$status" -eq 0 ]; then
  # The other two devices, as the guest saw them.
  tr -d '\r' <"$serial_log" | sed -n 's/^\[ *[0-9.]*\] \(sim:\(cdc\|uac\): \)/   \1/p' || true
  tr -d '\r' <"$serial_log" | grep -E '^PASS:' || true
  echo "Demo passed. Whole guest console: $serial_log"
else
  echo "Demo FAILED (status $status); the guest console is in $serial_log"
fi
exit "$status"
