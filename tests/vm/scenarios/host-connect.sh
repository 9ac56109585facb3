#!/bin/bash
# usbip-host connect (reverse mode) with the project's client helper: the host dials
# usbip-client-helper listen, the helper imports with the empty busid of the reverse handshake
# (docs/protocol.md), the disk shows up and carries data; when the client side detaches, the
# host dials again by itself and the device comes back; SIGTERM stops both with status 0.
set -euo pipefail
source "$SOURCE_DIR/tests/vm/guest/lib.sh"

host=$(vm_project_binary usbip-host) || vm_fail "usbip-host not built in $BUILD_DIR"
helper=$(vm_project_binary usbip-client-helper) || vm_fail "usbip-client-helper not built"

vm_gadget_mass_storage disk "$(vm_udc 0)" /tmp/disk.img 16 || vm_fail "making the disk gadget"
disk=$(vm_gadget_device "$(vm_udc 0)") || vm_fail "the disk gadget did not enumerate"
busid=$(vm_busid "$disk")
vendor=0x$(vm_read "$disk/idVendor") product=0x$(vm_read "$disk/idProduct")

"$helper" listen tcp:127.0.0.1:5555 >/tmp/helper.log 2>&1 &
helper_pid=$!
vm_wait_for 15 "the helper on port 5555" vm__listening 5555 || vm_fail "the helper did not listen"
"$host" connect tcp:127.0.0.1:5555 "$busid" --log-level debug >/tmp/host.log 2>&1 &
host_pid=$!

vm_wait_for 30 "the reverse import" vm__vhci_device_now "$vendor" "$product" ||
  vm_fail "the host's device never reached vhci_hcd"
imported=$(vm__vhci_device_now "$vendor" "$product")
dev=$(vm_block_device "$imported") || vm_fail "no disk on the reverse import"
dd if=/dev/urandom of=/tmp/data bs=64k count=16 status=none
vm_run_bounded 30 dd if=/tmp/data of="$dev" bs=64k oflag=direct conv=fsync status=none ||
  vm_fail "writing to $dev"
cmp -n $((64 * 1024 * 16)) /tmp/data /tmp/disk.img || vm_fail "the gadget does not hold the data"
vm_log "reverse import of $busid as ${imported##*/}, 1 MiB written through it"

# The client side lets go: the host notices, gives the device back, and dials again.
vm_detach "$imported" || vm_fail "detaching the reverse import"
vm_wait_for 40 "the host to dial again" vm__vhci_device_now "$vendor" "$product" ||
  vm_fail "the device did not come back after the detach"
vm_log "the host dialled again and the device is back"
grep -q "reconnecting to tcp:127.0.0.1:5555" /tmp/host.log || vm_fail "no reconnect in the log"

kill -TERM "$host_pid"
status=0
wait "$host_pid" || status=$?
[ "$status" = 0 ] || vm_fail "usbip-host exited $status on SIGTERM"
vm_wait_for 20 "the import to end" vm__gone "$imported/idVendor" || true
kill -TERM "$helper_pid"
wait "$helper_pid" || true
vm_wait_driver "$disk/$busid:1.0" usb-storage || vm_fail "usb-storage not back at the end"
if grep -q "killed by signal" /tmp/host.log; then
  grep "killed by signal" /tmp/host.log >&2
  vm_fail "a worker died of a signal"
fi
vm_check_kernel_health || exit 1
echo "PASS: usbip-host connect: reverse import, data, re-dial after detach, SIGTERM"
