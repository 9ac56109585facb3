#!/bin/bash
# A client cannot switch a real device to another configuration through the project's host.
# usbfs would let the worker switch once it released its interfaces, but the host's kernel
# probes its own drivers on the new configuration's interfaces as soon as they exist, before
# anything can claim them: the device would be handed to the host it is exported from. So the
# worker stalls SET_CONFIGURATION to any configuration but the active one.
#
# The gadget has two configurations: 1 is CDC ACM (Linux chooses the first), 2 is mass storage,
# which the host's usb-storage would bind to, making a disk appear on the host. The client asks
# for 2 through sysfs: the write fails, the host keeps configuration 1 with its interfaces held
# for the worker and has no disk; asking for 1 again brings the import back, and data still
# crosses it. Project host only.
set -euo pipefail
source "$SOURCE_DIR/tests/vm/guest/lib.sh"

[ "$HOST_IMPL" = project ] || vm_fail "configuration-switch runs against the project's host only"
vm_require_host

gadget=twoconf
vm_gadget_create "$gadget" $VM_COMPOSITE_VENDOR $VM_COMPOSITE_PRODUCT "Two configurations" ||
  vm_fail "making the gadget"
vm_gadget_add_function "$gadget" acm.usb0 || vm_fail "adding the ACM function"
second=$VM_GADGETS/$gadget/configs/c.2
mkdir "$second" "$second/strings/0x409"
echo 120 >"$second/MaxPower"
echo "Mass Storage" >"$second/strings/0x409/configuration"
truncate -s 8M /tmp/second-configuration.img
storage=$(vm_gadget_new_function "$gadget" mass_storage.0) || vm_fail "adding mass storage"
echo 0 >"$storage/lun.0/removable"
echo /tmp/second-configuration.img >"$storage/lun.0/file"
ln -s "$storage" "$second/"
vm_gadget_plug "$gadget" "$(vm_udc 0)" || vm_fail "plugging the gadget"
local_dev=$(vm_gadget_device "$(vm_udc 0)") || vm_fail "the gadget did not enumerate"
busid=$(vm_busid "$local_dev")
[ "$(vm_read "$local_dev/bNumConfigurations")" = 2 ] || vm_fail "the gadget lacks its second configuration"
[ "$(vm_read "$local_dev/bConfigurationValue")" = 1 ] || vm_fail "the host did not choose configuration 1"
vm_log "two-configuration gadget enumerated as $busid in configuration 1"

vm_host_export "$busid" || vm_fail "exporting $busid"
imported=$(vm_attach "$local_dev") || vm_fail "importing $busid over USB/IP"
imported_busid=$(vm_busid "$imported")
vm_wait_driver "$imported/$imported_busid:1.0" cdc_acm || vm_fail "cdc_acm did not bind to the import"
vm_log "imported as $imported_busid, cdc_acm bound"

# The client's kernel sends SET_CONFIGURATION(2); the worker stalls it, so the write fails.
if echo 2 2>/dev/null >"$imported/bConfigurationValue"; then
  vm_fail "the client switched the import to configuration 2"
fi
vm_log "the client's switch to configuration 2 was refused"
[ "$(vm_read "$local_dev/bConfigurationValue")" = 1 ] ||
  vm_fail "the host's device left configuration 1"
vm__driver_is "$local_dev/$busid:1.0" usbfs ||
  vm_fail "the host's interface $busid:1.0 is no longer held for the worker"
vm_block_device "$local_dev" 3 >/dev/null 2>&1 && vm_fail "configuration 2's disk appeared on the host"
grep -qE "policy refused SET_CONFIGURATION to another configuration.*wValue 0x0002" \
  "/tmp/usbip-host.$busid.log" ||
  vm_fail "the host did not log the refusal"

# Back to the active configuration: answered without touching the device, and the import works.
echo 1 >"$imported/bConfigurationValue" || vm_fail "the client could not return to configuration 1"
vm_wait_driver "$imported/$imported_busid:1.0" cdc_acm || vm_fail "cdc_acm did not bind again"
vm_wait_for 10 "a tty on the import" vm_first_match "$imported/$imported_busid:1.0"/tty/ttyACM* ||
  vm_fail "no ttyACM on the import"
acm=/dev/$(vm_first_match "$imported/$imported_busid:1.0"/tty/ttyACM*)
vm_wait_for 10 "$acm and /dev/ttyGS0" test -c "$acm" -a -c /dev/ttyGS0 || vm_fail "no tty nodes"
exec {gadget_tty}<>/dev/ttyGS0
exec {client_tty}<>"$acm"
stty -F /dev/ttyGS0 raw -echo
stty -F "$acm" raw -echo
sent="after-switch-$RANDOM"
printf '%s\n' "$sent" >&"$client_tty"
received=
read -r -t 10 -u "$gadget_tty" received || true
exec {client_tty}>&- {gadget_tty}>&-
[ "$received" = "$sent" ] || vm_fail "the gadget read '$received', not '$sent'"
vm_log "data crossed the import after the refused switch: '$received'"

vm_detach "$imported" || vm_fail "detaching the import"
vm_host_unexport "$busid"
vm_wait_driver "$local_dev/$busid:1.0" cdc_acm 20 ||
  vm_fail "the host's cdc_acm did not get the device back after the export ended"
vm_check_kernel_health || vm_fail "kernel health"
echo "PASS: configuration-switch"
