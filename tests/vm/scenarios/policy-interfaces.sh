#!/bin/bash
# A policy's [interfaces] on a real composite device: of a HID + mass-storage gadget only the
# HID interface (number 0) is exported. The host keeps its own driver on the storage interface
# (its disk stays) while usbfs holds the HID interface for the worker; the client's usbhid binds
# to the imported HID interface, and the storage interface cannot be used from the client (no
# disk appears there). On detach the host gets the HID interface back. Project host only.
set -euo pipefail
source "$SOURCE_DIR/tests/vm/guest/lib.sh"

[ "$HOST_IMPL" = project ] || vm_fail "policy-interfaces runs against the project's host only"
host=$(vm_project_binary usbip-host) || vm_fail "usbip-host not built in $BUILD_DIR"

vm_gadget_hid_storage combo "$(vm_udc 0)" /tmp/combo.img 8 || vm_fail "making the composite gadget"
local_dev=$(vm_gadget_device "$(vm_udc 0)") || vm_fail "the gadget did not enumerate"
busid=$(vm_busid "$local_dev")
vm_wait_driver "$local_dev/$busid:1.0" usbhid || vm_fail "usbhid did not bind on the host"
vm_block_device "$local_dev" >/dev/null || vm_fail "the host has no disk on the gadget"
vm_log "HID + mass-storage gadget enumerated as $busid"

policy=/tmp/devices.d
mkdir -m 0755 "$policy"
printf '[match]\nbusid = "%s"\n\n[export]\nmode = "listen"\nallowed_peers = ["127.0.0.1"]\n\n' \
  "$busid" >"$policy/combo.toml"
printf '[interfaces]\nnumbers = [0]\n' >>"$policy/combo.toml"
chmod 0644 "$policy/combo.toml"

"$host" listen tcp:$VM_USBIP_PORT --policy-dir "$policy" --log-level debug \
  >"/tmp/usbip-host.$busid.log" 2>&1 &
host_pid=$!
vm_wait_for 15 "usbip-host on port $VM_USBIP_PORT" vm__listening $VM_USBIP_PORT ||
  vm_fail "usbip-host did not listen"

imported=$(vm_attach "$local_dev") || vm_fail "importing $busid over USB/IP"
imported_busid=$(vm_busid "$imported")
vm_log "imported as $imported_busid"

# Host side: the HID interface is held for the worker, the storage interface keeps usb-storage.
vm__driver_is "$local_dev/$busid:1.0" usbfs || vm_fail "the HID interface is not held for the worker"
vm__driver_is "$local_dev/$busid:1.1" usb-storage ||
  vm_fail "the storage interface lost its host driver"
vm_block_device "$local_dev" 2 >/dev/null || vm_fail "the host's disk on the gadget went away"

# Client side: usbhid on the HID interface; the storage interface gives the client no disk.
vm_wait_driver "$imported/$imported_busid:1.0" usbhid 20 ||
  vm_fail "usbhid did not bind to the imported HID interface"
vm_block_device "$imported" 10 >/dev/null 2>&1 &&
  vm_fail "the client got a disk from the storage interface the policy keeps on the host"
vm_log "the client has the HID interface and no disk; the host kept its disk"

vm_detach "$imported" || vm_fail "detaching the import"
kill -TERM "$host_pid"
status=0
wait "$host_pid" || status=$?
[ "$status" = 0 ] || vm_fail "usbip-host exited $status on SIGTERM"
vm_wait_driver "$local_dev/$busid:1.0" usbhid 20 ||
  vm_fail "the host's usbhid did not get the HID interface back"
vm__driver_is "$local_dev/$busid:1.1" usb-storage || vm_fail "the storage interface lost usb-storage"
vm_check_kernel_health || vm_fail "kernel health"
echo "PASS: policy-interfaces"
