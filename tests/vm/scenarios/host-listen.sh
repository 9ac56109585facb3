#!/bin/bash
# usbip-host listen as a drop-in for usbipd, with the stock client: two devices exported at
# once (one worker each), `usbip list -r` shows both, both attach, the exported interfaces are
# taken from their kernel drivers while imported and given back at detach, a detached device
# can be attached again at once, a hub is refused at start-up (rule E1), SIGTERM stops the host
# with status 0 and every driver back in place. All of it with the broker holding only the
# capabilities it keeps.
set -euo pipefail
source "$SOURCE_DIR/tests/vm/guest/lib.sh"

host=$(vm_project_binary usbip-host) || vm_fail "usbip-host not built in $BUILD_DIR"

vm_gadget_mass_storage disk "$(vm_udc 0)" /tmp/disk.img 16 || vm_fail "making the disk gadget"
vm_gadget_sourcesink zero "$(vm_udc 1)" || vm_fail "making the SourceSink gadget"
disk=$(vm_gadget_device "$(vm_udc 0)") || vm_fail "the disk gadget did not enumerate"
zero=$(vm_gadget_device "$(vm_udc 1)") || vm_fail "the SourceSink gadget did not enumerate"
disk_id=$(vm_busid "$disk") zero_id=$(vm_busid "$zero")
vm_wait_driver "$disk/$disk_id:1.0" usb-storage || vm_fail "usb-storage did not bind locally"
vm_wait_driver "$zero/$zero_id:1.0" usbtest || vm_fail "usbtest did not bind locally"
vm_log "disk is $disk_id, SourceSink is $zero_id"

# list: both gadgets exportable, the root hubs not (E1).
listing=$("$host" list --json --log-level warn) || vm_fail "usbip-host list failed"
grep -q "\"busid\": \"$disk_id\".*\"exportable\": true" <<<"$listing" || vm_fail "list: $disk_id"
grep -q '"busid": "usb1".*"exportable": false' <<<"$listing" || vm_fail "list: usb1 not refused"

# A hub named on the command line is a usage error (exit 2) naming rule E1.
status=0
vm_run_bounded 10 "$host" listen tcp:3241 /dev/bus/usb/001/001 --log-level warn 2>/tmp/hub.err ||
  status=$?
[ "$status" = 2 ] || vm_fail "listen with a hub exited $status, not 2"
grep -q "hub" /tmp/hub.err || vm_fail "the hub refusal does not say why: $(cat /tmp/hub.err)"

"$host" listen tcp:3240 "$disk_id" "$zero_id" --log-level debug >/tmp/host.log 2>&1 &
host_pid=$!
vm_wait_for 15 "usbip-host on port 3240" vm__listening 3240 || vm_fail "usbip-host did not listen"
# Least privilege (docs/security.md): serving real usbfs devices, the broker holds CAP_KILL,
# CAP_SETGID, CAP_SETUID, CAP_SETPCAP and CAP_SYS_ADMIN (0x2001e0) and nothing else.
for set in CapEff CapPrm CapBnd; do
  value=$(awk -v key="$set:" '$1 == key { print $2 }' "/proc/$host_pid/status")
  [ "$value" = 00000000002001e0 ] || vm_fail "usbip-host $set is $value, not 00000000002001e0"
done
grep -q '^CapAmb:[[:space:]]*0000000000000000$' "/proc/$host_pid/status" ||
  vm_fail "usbip-host has ambient capabilities"

remote=$(vm_run_bounded 20 usbip list -r 127.0.0.1) || vm_fail "usbip list -r failed"
grep -q "$disk_id:" <<<"$remote" && grep -q "$zero_id:" <<<"$remote" ||
  vm_fail "usbip list -r does not show both devices: $remote"

imported_disk=$(vm_attach "$disk") || vm_fail "attaching $disk_id"
imported_zero=$(vm_attach "$zero") || vm_fail "attaching $zero_id"
vm_block_device "$imported_disk" >/dev/null || vm_fail "no disk on the imported $disk_id"
vm_wait_driver "$imported_zero/$(vm_busid "$imported_zero"):1.0" usbtest ||
  vm_fail "usbtest did not bind to the imported SourceSink"
vm_wait_driver "$disk/$disk_id:1.0" usbfs || vm_fail "the local disk is not held through usbfs"

vm_detach "$imported_disk" || vm_fail "detaching $disk_id"
vm_wait_driver "$disk/$disk_id:1.0" usb-storage 20 || vm_fail "usb-storage not given back"
imported_disk=$(vm_attach "$disk") || vm_fail "attaching $disk_id again right after detach"
vm_block_device "$imported_disk" >/dev/null || vm_fail "no disk after re-attaching $disk_id"

vm_detach "$imported_disk" || vm_fail "detaching $disk_id (2)"
vm_detach "$imported_zero" || vm_fail "detaching $zero_id"
kill -TERM "$host_pid"
status=0
wait "$host_pid" || status=$?
[ "$status" = 0 ] || vm_fail "usbip-host exited $status on SIGTERM"
vm_wait_driver "$disk/$disk_id:1.0" usb-storage || vm_fail "usb-storage not back at the end"
vm_wait_driver "$zero/$zero_id:1.0" usbtest || vm_fail "usbtest not back at the end"
if grep -q "killed by signal" /tmp/host.log; then
  grep "killed by signal" /tmp/host.log >&2
  vm_fail "a worker died of a signal"
fi
vm_check_kernel_health || exit 1
echo "PASS: usbip-host listen: two devices, list -r, attach, detach, re-attach, E1, SIGTERM, 5 capabilities"
