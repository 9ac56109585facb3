#!/bin/bash
# The hostile-client suite (tests/hostile, docs/security.md "Hostile-client suite") against a
# real device: a SourceSink gadget (0525:a4a0) served by the project's usbip-host through usbfs
# and libusb, with sim:hid as the other export holding an honest session throughout. Every row
# must pass (the worker answers or closes as its rule says, never dies of a signal, stays under
# its memory cap; after each row an honest client does GET_DESCRIPTOR and a bulk OUT/IN on the
# gadget). Then the gadget must still work for the kernel's own client: imported through
# vhci_hcd with the stock `usbip attach`, usbtest's bulk tests pass. No oops.
#   HOST_IMPL=project only. STORM_CONNECTIONS (via VM_PASS_ENV) sizes the connection storm:
#   every worker costs a good part of a second under emulation.
set -euo pipefail
source "$SOURCE_DIR/tests/vm/guest/lib.sh"

[ "$HOST_IMPL" = project ] || vm_fail "this scenario is for HOST_IMPL=project"
host=$(vm_project_binary usbip-host) || vm_fail "usbip-host not built in $BUILD_DIR"
client=$(vm_project_binary usbip-hostile-client) || vm_fail "usbip-hostile-client not built"

vm_gadget_sourcesink zero "$(vm_udc 0)" || vm_fail "making the SourceSink gadget"
local_dev=$(vm_gadget_device "$(vm_udc 0)") || vm_fail "the gadget did not enumerate"
busid=$(vm_busid "$local_dev")
vm_wait_driver "$local_dev/$busid:1.0" usbtest || vm_fail "usbtest did not bind locally"
vm_log "SourceSink gadget enumerated as $busid"

# The suite starts its own usbip-host (on a free loopback port) and stops it at the end.
in_all=$(($(vm_time_left) - 70))
[ "$in_all" -gt 60 ] || vm_fail "too little time left for the suite"
status=0
vm_run_bounded "$in_all" "$client" --host "$host" --export "$busid" --export sim:hid \
  --target "$busid:sourcesink" --bystander 0-1 --storm "${STORM_CONNECTIONS:-300}" \
  --host-log /tmp/hostile-host.log || status=$?
[ "$status" = 0 ] || vm_fail "the hostile-client suite failed (status $status)"
if grep -q "killed by signal" /tmp/hostile-host.log; then
  grep "killed by signal" /tmp/hostile-host.log >&2
  vm_fail "a worker died of a signal"
fi
vm_wait_driver "$local_dev/$busid:1.0" usbtest 20 || vm_fail "usbtest not given back after the suite"

# The gadget after the attack, through the kernel's client: bulk write and read (usbtest 1, 2).
vm_host_export "$busid" || vm_fail "exporting $busid"
imported=$(vm_attach "$local_dev") || vm_fail "importing $busid after the suite"
vm_wait_driver "$imported/$(vm_busid "$imported"):1.0" usbtest || vm_fail "usbtest did not bind"
node=$(vm_dev_node "$imported")
results=$(vm_usbtest "$node" 15 45 1:20:512:0:0 2:20:512:0:0) || {
  echo "$results"
  vm_fail "usbtest failed on the gadget after the suite"
}
echo "$results"
vm_detach "$imported" || vm_fail "detaching the imported gadget"
vm_host_unexport "$busid" || vm_fail "giving $busid back"
vm_check_kernel_health || exit 1
echo "PASS: hostile-client suite against the SourceSink gadget; usbtest 1 and 2 pass after it; no oops"
