#!/bin/bash
# usbip-client-helper in forward mode against the real vhci_hcd: `list` shows what a server
# exports, `attach` imports from the kernel's usbipd (an ACM gadget bound with usbip bind) and
# from the project's usbip-host listen (sim:cdc, whose ttyACM echoes through the import),
# `port` (table and --json) shows both, `detach` lets go and a re-attach works.
set -euo pipefail
source "$SOURCE_DIR/tests/vm/guest/lib.sh"

host=$(vm_project_binary usbip-host) || vm_fail "usbip-host not built in $BUILD_DIR"
helper=$(vm_project_binary usbip-client-helper) || vm_fail "usbip-client-helper not built"

# vhci_port_of IMPORTED_DEVICE_DIR: the vhci port number that holds the import.
vhci_port_of() {
  local port
  port=$(awk -v busid="$(vm_busid "$1")" '$NF == busid { print $2; exit }' \
    /sys/devices/platform/vhci_hcd.*/status* 2>/dev/null)
  [ -n "$port" ] && echo $((10#$port))
}

# helper_attach ADDR BUSID VENDOR PRODUCT: imports through the helper, prints the import's dir.
helper_attach() {
  vm_run_bounded 30 "$helper" attach "$1" "$2" >>/tmp/attach.out 2>&1 || {
    vm_log "usbip-client-helper attach $1 $2 failed: $(tail -n 3 /tmp/attach.out)"
    return 1
  }
  vm_wait_for 20 "the imported $3:$4 on vhci_hcd" vm__vhci_device_now "$3" "$4" || return 1
  vm__vhci_device_now "$3" "$4"
}

helper_detach() {
  local port
  port=$(vhci_port_of "$1") || {
    vm_log "no vhci port holds $(vm_busid "$1")"
    return 1
  }
  vm_run_bounded 20 "$helper" detach "$port" || return 1
  vm_wait_for 20 "$(vm_busid "$1") to leave vhci_hcd" vm__gone "$1/idVendor"
}

# check_echo IMPORTED_DEVICE_DIR: the import's ttyACM echoes a line.
check_echo() {
  local intf="$1/$(vm_busid "$1"):1.0" tty tty_fd sent echoed=
  vm_wait_driver "$intf" cdc_acm || return 1
  vm_wait_for 10 "a tty on $(vm_busid "$1")" vm_first_match "$intf"/tty/ttyACM* || return 1
  tty=/dev/$(vm_first_match "$intf"/tty/ttyACM*)
  vm_wait_for 10 "$tty" test -c "$tty" || return 1
  # Open before stty, so that the raw settings hold while the line goes through.
  exec {tty_fd}<>"$tty"
  stty -F "$tty" raw -echo || return 1
  sent="ping-$RANDOM"
  printf '%s\n' "$sent" >&"$tty_fd"
  read -r -t 10 -u "$tty_fd" echoed || true
  exec {tty_fd}>&-
  [ "$echoed" = "$sent" ] || {
    vm_log "$tty echoed '$echoed', not '$sent'"
    return 1
  }
  vm_log "$tty echoed '$echoed'"
}

# --- the project's usbip-host listen with sim:cdc ------------------------------------------
"$host" listen tcp:3240 sim:cdc --log-level debug >/tmp/host.log 2>&1 &
host_pid=$!
vm_wait_for 15 "usbip-host on port 3240" vm__listening 3240 || vm_fail "usbip-host did not listen"

listing=$(vm_run_bounded 20 "$helper" list tcp:127.0.0.1:3240) || vm_fail "helper list failed"
vm_log "list: $listing"
grep -q "0-2" <<<"$listing" || vm_fail "helper list does not show sim:cdc (0-2): $listing"
vm_run_bounded 20 "$helper" list tcp:127.0.0.1:3240 --json >/tmp/list.json ||
  vm_fail "helper list --json failed"
grep -q '"0-2"' /tmp/list.json || vm_fail "list --json lacks 0-2: $(cat /tmp/list.json)"

vm_run_bounded 30 "$helper" attach tcp:127.0.0.1:3240 0-2 >/tmp/attach.out 2>&1 ||
  vm_fail "helper attach of sim:cdc failed: $(cat /tmp/attach.out)"
vm_log "attach said: $(cat /tmp/attach.out)"
find_cdc() {
  local dev
  for dev in /sys/devices/platform/vhci_hcd.*/usb*/*-*; do
    [[ "$dev" == *:* ]] && continue
    [ -e "$dev/$(vm_busid "$dev"):1.0/bInterfaceClass" ] || continue
    [ "$(cat "$dev/$(vm_busid "$dev"):1.0/bInterfaceClass")" = 02 ] || continue
    vm__configured "$dev" && echo "$dev" && return 0
  done
  return 1
}
vm_wait_for 20 "sim:cdc on vhci_hcd" find_cdc || vm_fail "sim:cdc did not enumerate on vhci_hcd"
cdc=$(find_cdc)
check_echo "$cdc" || vm_fail "sim:cdc does not echo through the helper's import"

# --- the kernel's usbipd with an ACM gadget ------------------------------------------------
vm_gadget_acm acm "$(vm_udc 0)" || vm_fail "making the ACM gadget"
acm=$(vm_gadget_device "$(vm_udc 0)") || vm_fail "the ACM gadget did not enumerate"
acm_id=$(vm_busid "$acm")
vendor=0x$(vm_read "$acm/idVendor") product=0x$(vm_read "$acm/idProduct")
vm_run_bounded 10 usbipd -D --tcp-port 3242 || vm_fail "usbipd did not start"
vm_wait_for 15 "usbipd on port 3242" vm__listening 3242 || vm_fail "usbipd did not listen"
vm_run_bounded 15 usbip bind -b "$acm_id" || vm_fail "usbip bind -b $acm_id"

listing=$(vm_run_bounded 20 "$helper" list tcp:127.0.0.1:3242) || vm_fail "helper list (usbipd)"
grep -q "$acm_id" <<<"$listing" || vm_fail "helper list does not show $acm_id: $listing"

imported=$(helper_attach tcp:127.0.0.1:3242 "$acm_id" "$vendor" "$product") ||
  vm_fail "attaching $acm_id from usbipd"
vm_wait_driver "$imported/$(vm_busid "$imported"):1.0" cdc_acm ||
  vm_fail "cdc_acm did not bind to the imported gadget"

# port: both imports, with where they come from.
ports=$(vm_run_bounded 10 "$helper" port) || vm_fail "helper port failed"
vm_log "port: $ports"
grep -q "$acm_id" <<<"$ports" && grep -q "0-2" <<<"$ports" ||
  vm_fail "helper port does not show both imports: $ports"
grep -q "127.0.0.1" <<<"$ports" || vm_fail "helper port does not name the server: $ports"
vm_run_bounded 10 "$helper" port --json >/tmp/port.json || vm_fail "helper port --json failed"
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; d=json.load(open("/tmp/port.json")); print(d)' >&2 ||
    vm_fail "port --json is not JSON: $(cat /tmp/port.json)"
fi
grep -q "\"$acm_id\"" /tmp/port.json && grep -q '"0-2"' /tmp/port.json ||
  vm_fail "port --json lacks an import: $(cat /tmp/port.json)"

# detach and re-attach, both servers.
helper_detach "$imported" || vm_fail "helper detach of $acm_id"
imported=$(helper_attach tcp:127.0.0.1:3242 "$acm_id" "$vendor" "$product") ||
  vm_fail "re-attaching $acm_id right after detach"
vm_wait_driver "$imported/$(vm_busid "$imported"):1.0" cdc_acm || vm_fail "cdc_acm after re-attach"
helper_detach "$imported" || vm_fail "helper detach of $acm_id (2)"

helper_detach "$cdc" || vm_fail "helper detach of sim:cdc"
vm_wait_for 20 "sim:cdc to be exportable again" \
  eval "vm_run_bounded 30 '$helper' attach tcp:127.0.0.1:3240 0-2 >/tmp/attach2.out 2>&1" ||
  vm_fail "re-attaching sim:cdc: $(cat /tmp/attach2.out)"
vm_wait_for 20 "sim:cdc on vhci_hcd again" find_cdc || vm_fail "sim:cdc did not come back"
cdc=$(find_cdc)
check_echo "$cdc" || vm_fail "sim:cdc does not echo after re-attach"
helper_detach "$cdc" || vm_fail "helper detach of sim:cdc (2)"

vm_run_bounded 15 usbip unbind -b "$acm_id" || true
kill -TERM "$host_pid"
wait "$host_pid" || true
if grep -q "killed by signal" /tmp/host.log; then
  grep "killed by signal" /tmp/host.log >&2
  vm_fail "a worker died of a signal"
fi
vm_check_kernel_health || exit 1
echo "PASS: client helper: list, attach (usbipd and usbip-host), ttyACM echo, port, detach, re-attach"
