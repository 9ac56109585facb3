#!/bin/bash
# usbip-host under a policy directory, with the stock client: nothing is exported that no policy
# file allows (a device without policy is neither listed by `usbip list -r` nor importable), a
# client outside export.allowed_peers is refused while an allowed one imports, hid_only refuses
# a composite HID + mass-storage gadget and exports a pure HID gadget, and unplugging and
# re-plugging an imported gadget ends the import and makes it importable again without
# restarting usbip-host, and `usbip-host export NAME` of a connect-mode policy dials only while
# its device is plugged in. A policy with an error stops the broker with check-policy's message.
#
# The allowed peer is ::1 and the refused one 127.0.0.1: both reach the same dual-stack
# listener on tcp:3240, and an IPv4 client there is matched as IPv4 (docs/policy.md), so
# allowed_peers = ["::1"] separates them without a second machine.
set -euo pipefail
source "$SOURCE_DIR/tests/vm/guest/lib.sh"

host=$(vm_project_binary usbip-host) || vm_fail "usbip-host not built in $BUILD_DIR"
[ -e /proc/sys/net/ipv6 ] || vm_fail "the guest kernel has no IPv6; this scenario needs ::1"

# udc 0: a pure HID keyboard, governed by keyboard.toml. udc 1: a SourceSink with no policy.
vm_gadget_hid_keyboard kbd "$(vm_udc 0)" || vm_fail "making the keyboard gadget"
vm_gadget_sourcesink zero "$(vm_udc 1)" || vm_fail "making the SourceSink gadget"
kbd=$(vm_gadget_device "$(vm_udc 0)") || vm_fail "the keyboard gadget did not enumerate"
zero=$(vm_gadget_device "$(vm_udc 1)") || vm_fail "the SourceSink gadget did not enumerate"
kbd_id=$(vm_busid "$kbd") zero_id=$(vm_busid "$zero")
vm_wait_driver "$kbd/$kbd_id:1.0" usbhid || vm_fail "usbhid did not bind locally"
vm_log "keyboard is $kbd_id, SourceSink (no policy) is $zero_id"

policy=/tmp/devices.d
mkdir -m 0755 "$policy"
# hid_only_policy NAME BUSID: devices.d/NAME.toml lets ::1 import the HID-only device BUSID.
hid_only_policy() {
  printf '[match]\nbusid = "%s"\n\n[export]\nmode = "listen"\nallowed_peers = ["::1"]\n\n' "$2" \
    >"$policy/$1.toml"
  printf '[guards]\nhid_only = true\n' >>"$policy/$1.toml"
  chmod 0644 "$policy/$1.toml"
}
hid_only_policy keyboard "$kbd_id"

checked=$("$host" check-policy --policy-dir "$policy") || vm_fail "check-policy: $checked"
grep -q "1 file (1 allow, 0 deny)" <<<"$checked" || vm_fail "check-policy said: $checked"

# A broken policy: check-policy and the broker report the same file:line, the broker exits 1.
broken=/tmp/broken.d
mkdir -m 0755 "$broken"
printf '[match]\nbusid = "%s"\n[export]\nmode = "listen"\nallowed_peer = ["any"]\n' "$kbd_id" \
  >"$broken/typo.toml"
status=0
"$host" check-policy --policy-dir "$broken" >/tmp/check.err 2>&1 || status=$?
[ "$status" = 1 ] || vm_fail "check-policy on a broken policy exited $status, not 1"
grep -q "^$broken/typo.toml:5: export.allowed_peer: unknown key" /tmp/check.err ||
  vm_fail "check-policy does not name the typo: $(cat /tmp/check.err)"
status=0
vm_run_bounded 20 "$host" listen tcp:3241 --policy-dir "$broken" >/tmp/broken.err 2>&1 ||
  status=$?
[ "$status" = 1 ] || vm_fail "usbip-host with a broken policy exited $status, not 1"
grep -qF "$(head -n 1 /tmp/check.err)" /tmp/broken.err ||
  vm_fail "the broker's refusal differs from check-policy's: $(cat /tmp/broken.err)"

# list shows which policy governs what.
listing=$("$host" list --json --policy-dir "$policy" --log-level warn) || vm_fail "list failed"
grep -q "\"busid\": \"$kbd_id\".*\"policy\": {\"name\": \"keyboard\".*\"allowed\": true" \
  <<<"$listing" || vm_fail "list does not show keyboard.toml for $kbd_id: $listing"
grep -q "\"busid\": \"$zero_id\".*\"policy\": null" <<<"$listing" ||
  vm_fail "list shows a policy for $zero_id: $listing"

"$host" listen tcp:3240 --policy-dir "$policy" --log-level debug >/tmp/host.log 2>&1 &
host_pid=$!
vm_wait_for 15 "usbip-host on port 3240" vm__listening 3240 || vm_fail "usbip-host did not listen"

# attach6 DEVICE_DIR: usbip attach from ::1, waiting for the imported copy as vm_attach does.
attach6() {
  local source=$1 vendor product
  read -r vendor <"$source/idVendor" && read -r product <"$source/idProduct" || return 1
  vm_run_bounded 20 usbip attach -r ::1 -b "$(vm_busid "$source")" || return 1
  vm_wait_for 20 "the imported 0x$vendor:0x$product on vhci_hcd" \
    vm__vhci_device_now "0x$vendor" "0x$product" || return 1
  vm__vhci_device_now "0x$vendor" "0x$product"
}
no_import() { ! ls -d /sys/devices/platform/vhci_hcd.*/usb*/*-*/idVendor >/dev/null 2>&1; }

# The allowed peer sees the keyboard and not the SourceSink, which no policy allows.
remote=$(vm_run_bounded 20 usbip list -r ::1) || vm_fail "usbip list -r ::1 failed"
grep -q "$kbd_id:" <<<"$remote" || vm_fail "usbip list -r ::1 does not show $kbd_id: $remote"
if grep -q "$zero_id:" <<<"$remote"; then vm_fail "a device without policy is listed: $remote"; fi
if vm_run_bounded 20 usbip attach -r ::1 -b "$zero_id"; then
  vm_fail "a device without policy was imported"
fi
# The worker's pre-check already says no, so the broker is not even asked.
grep -q "import refused: no exported device has bus ID '$zero_id'" /tmp/host.log ||
  vm_fail "$zero_id was not refused: $(tail -n 5 /tmp/host.log)"

# 127.0.0.1 is not in allowed_peers: no list, no import, no worker.
if remote=$(vm_run_bounded 20 usbip list -r 127.0.0.1 2>&1) && grep -q "$kbd_id:" <<<"$remote"; then
  vm_fail "a peer outside allowed_peers was shown $kbd_id: $remote"
fi
if vm_run_bounded 20 usbip attach -r 127.0.0.1 -b "$kbd_id"; then
  vm_fail "a peer outside allowed_peers imported $kbd_id"
fi
no_import || vm_fail "something was attached from 127.0.0.1"
grep -q "client tcp:\[::ffff:127.0.0.1\]:[0-9]*: closed unanswered, no device here may be imported" \
  /tmp/host.log || vm_fail "the broker did not refuse 127.0.0.1: $(tail -n 5 /tmp/host.log)"

# The allowed peer imports it; only its HID interface was taken from usbhid.
imported=$(attach6 "$kbd") || vm_fail "attaching $kbd_id from ::1"
vm_wait_driver "$imported/$(vm_busid "$imported"):1.0" usbhid ||
  vm_fail "usbhid did not bind to the imported keyboard"
vm_wait_driver "$kbd/$kbd_id:1.0" usbfs || vm_fail "the local keyboard is not held through usbfs"

# Unplugged while imported: the import ends; plugged in again: it can be imported again.
vm_gadget_unplug kbd || vm_fail "unplugging the keyboard"
vm_wait_for 30 "the imported keyboard to leave vhci_hcd" vm__gone "$imported/idVendor" ||
  vm_fail "the import outlived its device"
# The broker's udev monitor saw both (the offer itself is decided when clients ask).
vm_wait_for 10 "the unplug in the broker's log" \
  grep -q "device $kbd_id is gone: no longer offered" /tmp/host.log ||
  vm_fail "the broker did not notice the unplug: $(tail -n 5 /tmp/host.log)"
vm_gadget_plug kbd "$(vm_udc 0)" || vm_fail "plugging the keyboard back in"
vm_wait_for 10 "the plug in the broker's log" \
  grep -q "device $kbd_id plugged in: offered under $policy/keyboard.toml" /tmp/host.log ||
  vm_fail "the broker did not notice the plug: $(tail -n 5 /tmp/host.log)"
kbd=$(vm_gadget_device "$(vm_udc 0)") || vm_fail "the keyboard did not enumerate again"
[ "$(vm_busid "$kbd")" = "$kbd_id" ] || vm_fail "the keyboard came back as $(vm_busid "$kbd")"
vm_wait_driver "$kbd/$kbd_id:1.0" usbhid || vm_fail "usbhid did not bind to the re-plugged keyboard"
imported=$(attach6 "$kbd") || vm_fail "attaching $kbd_id again after the re-plug"
vm_wait_driver "$imported/$(vm_busid "$imported"):1.0" usbhid ||
  vm_fail "usbhid did not bind to the keyboard imported after the re-plug"
vm_detach "$imported" || vm_fail "detaching $kbd_id"
vm_wait_driver "$kbd/$kbd_id:1.0" usbhid 20 || vm_fail "usbhid not given back after detach"

# hid_only: the composite HID + mass-storage gadget on udc 1 is refused, a pure HID one there
# is exported, both under one policy and without restarting usbip-host.
hid_only_policy combo "$zero_id"
kill -TERM "$host_pid"
status=0
wait "$host_pid" || status=$?
[ "$status" = 0 ] || vm_fail "usbip-host exited $status on SIGTERM"
"$host" listen tcp:3240 --policy-dir "$policy" --log-level debug >/tmp/host2.log 2>&1 &
host_pid=$!
vm_wait_for 15 "usbip-host on port 3240" vm__listening 3240 || vm_fail "usbip-host did not listen"

vm_gadget_remove zero || vm_fail "removing the SourceSink gadget"
vm_gadget_hid_storage combo "$(vm_udc 1)" /tmp/combo.img 8 || vm_fail "making the composite gadget"
combo=$(vm_gadget_device "$(vm_udc 1)") || vm_fail "the composite gadget did not enumerate"
[ "$(vm_busid "$combo")" = "$zero_id" ] || vm_fail "the composite is $(vm_busid "$combo")"
remote=$(vm_run_bounded 20 usbip list -r ::1) || vm_fail "usbip list -r ::1 failed (2)"
if grep -q "$zero_id:" <<<"$remote"; then vm_fail "hid_only listed the composite: $remote"; fi
if vm_run_bounded 20 usbip attach -r ::1 -b "$zero_id"; then
  vm_fail "hid_only let the composite be imported"
fi
no_import || vm_fail "the composite was attached"

vm_gadget_remove combo || vm_fail "removing the composite gadget"
vm_gadget_hid_keyboard kbd2 "$(vm_udc 1)" || vm_fail "making the second keyboard"
kbd2=$(vm_gadget_device "$(vm_udc 1)") || vm_fail "the second keyboard did not enumerate"
remote=$(vm_run_bounded 20 usbip list -r ::1) || vm_fail "usbip list -r ::1 failed (3)"
grep -q "$zero_id:" <<<"$remote" || vm_fail "hid_only refused a pure HID gadget: $remote"
imported=$(attach6 "$kbd2") || vm_fail "attaching the pure HID gadget under hid_only"
vm_detach "$imported" || vm_fail "detaching the second keyboard"

kill -TERM "$host_pid"
status=0
wait "$host_pid" || status=$?
[ "$status" = 0 ] || vm_fail "usbip-host exited $status on SIGTERM (2)"

# Connect mode, as usbip-host@reverse.service runs it: `usbip-host export reverse` dials the
# client helper only while the keyboard is plugged in, ends the session when it is unplugged
# and dials again when it comes back.
helper=$(vm_project_binary usbip-client-helper) || vm_fail "usbip-client-helper not built"
reverse=/tmp/reverse.d
mkdir -m 0755 "$reverse"
printf '[match]\nbusid = "%s"\n\n[export]\nmode = "connect"\naddress = "tcp:127.0.0.1:5555"\n' \
  "$kbd_id" >"$reverse/reverse.toml"
chmod 0644 "$reverse/reverse.toml"
vm_gadget_unplug kbd || vm_fail "unplugging the keyboard (3)"
"$helper" listen tcp:127.0.0.1:5555 >/tmp/helper.log 2>&1 &
helper_pid=$!
vm_wait_for 15 "the helper on port 5555" vm__listening 5555 || vm_fail "the helper did not listen"
"$host" export reverse --policy-dir "$reverse" --log-level debug >/tmp/host3.log 2>&1 &
host_pid=$!
vm_wait_for 15 "the host to wait for its device" grep -q "waiting for the device" /tmp/host3.log ||
  vm_fail "usbip-host export did not wait for the absent device: $(cat /tmp/host3.log)"
keyboard_on_vhci() { vm__vhci_device_now $VM_COMPOSITE_VENDOR $VM_COMPOSITE_PRODUCT; }
no_import || vm_fail "something was attached before the keyboard was plugged in"
vm_gadget_plug kbd "$(vm_udc 0)" || vm_fail "plugging the keyboard in (3)"
vm_wait_for 40 "the reverse import" keyboard_on_vhci || vm_fail "the plugged keyboard was not dialled"
imported=$(keyboard_on_vhci)
vm_gadget_unplug kbd || vm_fail "unplugging the keyboard (4)"
vm_wait_for 30 "the reverse import to end" vm__gone "$imported/idVendor" ||
  vm_fail "the reverse import outlived its device"
grep -q "device $kbd_id unplugged: ending its session" /tmp/host3.log ||
  vm_log "the worker ended the session before the broker saw the unplug event"
vm_gadget_plug kbd "$(vm_udc 0)" || vm_fail "plugging the keyboard in (4)"
vm_wait_for 40 "the reverse import after the re-plug" keyboard_on_vhci ||
  vm_fail "the re-plugged keyboard was not dialled again"
kill -TERM "$host_pid"
status=0
wait "$host_pid" || status=$?
[ "$status" = 0 ] || vm_fail "usbip-host export exited $status on SIGTERM"
kill -TERM "$helper_pid"
wait "$helper_pid" || true
if grep -q "killed by signal" /tmp/host.log /tmp/host2.log /tmp/host3.log; then
  grep "killed by signal" /tmp/host.log /tmp/host2.log /tmp/host3.log >&2
  vm_fail "a worker died of a signal"
fi
vm_check_kernel_health || exit 1
echo "PASS: policy: deny by default, allowed_peers, hid_only, re-plug re-exported (listen and" \
  "connect), export NAME, check-policy"
