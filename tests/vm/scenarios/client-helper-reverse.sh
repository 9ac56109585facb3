#!/bin/bash
# usbip-client-helper against the real vhci_hcd, the cases a server cannot be trusted with:
# reverse mode (usbip-client-helper listen, usbip-host connect) over tcp and over vsock
# (vsock_loopback, CID 1): sim:cdc appears and echoes, goes away when the host is killed and
# comes back when it starts again; malformed import replies from a scripted fake server are
# refused with nothing attached; with every high-speed vhci port taken, attach says "no free"
# and exits 1.
set -euo pipefail
source "$SOURCE_DIR/tests/vm/guest/lib.sh"

host=$(vm_project_binary usbip-host) || vm_fail "usbip-host not built in $BUILD_DIR"
helper=$(vm_project_binary usbip-client-helper) || vm_fail "usbip-client-helper not built"

find_cdc() {
  local dev
  for dev in /sys/devices/platform/vhci_hcd.*/usb*/*-*; do
    [[ "$dev" == *:* ]] && continue
    [ "$(cat "$dev/$(vm_busid "$dev"):1.0/bInterfaceClass" 2>/dev/null)" = 02 ] || continue
    vm__configured "$dev" && echo "$dev" && return 0
  done
  return 1
}
no_cdc() { ! find_cdc >/dev/null; }

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

# vhci_used: the number of vhci ports in use (status lines whose state is not 004, VDEV_ST_NULL).
vhci_used() {
  cat /sys/devices/platform/vhci_hcd.*/status* | awk '$1 ~ /^(hs|ss)$/ && $3 != "004"' | wc -l
}
vhci_free_hs() {
  cat /sys/devices/platform/vhci_hcd.*/status* | awk '$1 == "hs" && $3 == "004"' | wc -l
}

# --- reverse mode: DIAL_ADDR is what the host dials, LISTEN_ADDR what the helper listens on --
reverse_round() {
  local listen_addr=$1 dial_addr=$2 tag=$3 helper_pid host_pid cdc
  "$helper" listen "$listen_addr" --log-level debug >"/tmp/helper.$tag.log" 2>&1 &
  helper_pid=$!
  vm_sleep 1
  "$host" connect "$dial_addr" sim:cdc --log-level debug >"/tmp/host.$tag.log" 2>&1 &
  host_pid=$!
  vm_wait_for 30 "sim:cdc over $tag" find_cdc || {
    tail -n 20 "/tmp/helper.$tag.log" "/tmp/host.$tag.log" >&2
    vm_fail "sim:cdc never reached vhci_hcd over $tag"
  }
  cdc=$(find_cdc)
  check_echo "$cdc" || vm_fail "sim:cdc does not echo over $tag"

  # SIGTERM: with SIGKILL the broker's worker outlives it and keeps the connection (and the
  # import) alive.
  kill -TERM "$host_pid"
  wait "$host_pid" || true
  vm_wait_for 30 "sim:cdc to leave vhci_hcd ($tag)" no_cdc ||
    vm_fail "the device stayed on vhci_hcd after the host was killed ($tag)"
  vm_log "$tag: the host was killed and the device left"

  "$host" connect "$dial_addr" sim:cdc --log-level debug >>"/tmp/host.$tag.log" 2>&1 &
  host_pid=$!
  vm_wait_for 30 "sim:cdc back over $tag" find_cdc ||
    vm_fail "sim:cdc did not come back over $tag"
  check_echo "$(find_cdc)" || vm_fail "sim:cdc does not echo after coming back ($tag)"

  kill -TERM "$host_pid"
  wait "$host_pid" || true
  vm_wait_for 30 "sim:cdc to leave ($tag, end)" no_cdc || vm_fail "device stayed ($tag, end)"
  kill -TERM "$helper_pid"
  wait "$helper_pid" || true
  vm_log "$tag: reverse mode passed"
}

reverse_round tcp:3241 tcp:127.0.0.1:3241 tcp
reverse_round vsock:5000 vsock:1:5000 vsock

# --- a scripted fake server ----------------------------------------------------------------
# padded TEXT SIZE: TEXT then zero bytes up to SIZE.
padded() {
  printf '%s' "$1"
  head -c $(($2 - ${#1})) /dev/zero
}
# import_reply CODE SPEED [BUSID]: an OP_REP_IMPORT (version 0x0111) with reply code CODE
# (hex, 4 digits) and a high-speed-or-SPEED device "1-1".
import_reply() {
  local code=$1 speed=$2 busid=${3:-1-1}
  printf "\x01\x11\x${code:0:2}\x${code:2:2}\x00\x00\x00\x00"
  padded /sys/devices/fake/1-1 256
  padded "$busid" 32
  printf '\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00'
  printf "\\x$(printf %02x "$speed")"
  printf '\x12\x34\x56\x78\x01\x00\x00\x00\x00\x01\x01\x01'
}

# fake_server PORT FILE HOLD: answers one connection on PORT with FILE's bytes, then keeps the
# connection open for HOLD seconds.
fake_server() {
  { cat "$2"; sleep "$3"; } | busybox nc -l -p "$1" >/dev/null 2>&1 &
  vm_wait_for 10 "the fake server on $1" vm__listening "$1"
}

used_before=$(vhci_used)
attempt=0
for reply in wrong-code truncated bad-speed wrong-busid; do
  case $reply in
    wrong-code) import_reply 0005 3 >/tmp/reply ;;
    truncated) import_reply 0003 3 >/tmp/whole && head -c 200 /tmp/whole >/tmp/reply ;;
    bad-speed) import_reply 0003 99 >/tmp/reply ;;
    wrong-busid) import_reply 0003 3 9-9 >/tmp/reply ;;
  esac
  attempt=$((attempt + 1))
  port=$((3300 + attempt))
  fake_server "$port" /tmp/reply 5 || vm_fail "fake server ($reply)"
  status=0
  vm_run_bounded 20 "$helper" attach "tcp:127.0.0.1:$port" 1-1 --timeout 3 \
    >"/tmp/fake.$reply.out" 2>&1 || status=$?
  vm_log "$reply: exit $status: $(tail -n 1 "/tmp/fake.$reply.out")"
  [ "$status" = 1 ] || vm_fail "a $reply import reply gave exit $status, not 1"
  [ "$(vhci_used)" = "$used_before" ] || vm_fail "a $reply import reply left a port in use"
done

# --- every high-speed port taken -----------------------------------------------------------
# Up to 16 free ports are taken for real, with valid replies whose server never answers a URB
# (the port stays in use while the hub tries to enumerate the device). Debian's vhci_hcd has
# far more (several controllers, no module parameter to shrink them), so then the helper gets
# a copy of vhci's sysfs directory with every port marked in use and a plain "attach" file.
import_reply 0003 3 >/tmp/reply
free=$(vhci_free_hs)
vm_log "$free free high-speed vhci ports"
[ "$free" -ge 1 ] || vm_fail "no free high-speed vhci port to start with"
sysfs_args=()
if [ "$free" -le 16 ]; then
  for i in $(seq 1 "$free"); do
    port=$((3400 + i))
    fake_server "$port" /tmp/reply 90 || vm_fail "fake server $i"
    vm_run_bounded 20 "$helper" attach "tcp:127.0.0.1:$port" 1-1 >"/tmp/fill.$i.out" 2>&1 ||
      vm_fail "filling port $i: $(cat "/tmp/fill.$i.out")"
  done
  [ "$(vhci_free_hs)" = 0 ] || vm_fail "high-speed ports still free after filling: $(vhci_free_hs)"
else
  mkdir -p /tmp/full-sysfs/vhci_hcd.0 /tmp/full-state
  for f in /sys/devices/platform/vhci_hcd.0/status*; do
    awk '$1 ~ /^(hs|ss)$/ { $3 = "006" } { print }' "$f" >"/tmp/full-sysfs/vhci_hcd.0/${f##*/}"
  done
  : >/tmp/full-sysfs/vhci_hcd.0/attach
  sysfs_args=(--sysfs /tmp/full-sysfs --state-dir /tmp/full-state)
fi
used_full=$(vhci_used)
fake_server 3499 /tmp/reply 10 || vm_fail "fake server (full)"
status=0
vm_run_bounded 20 "$helper" attach tcp:127.0.0.1:3499 1-1 "${sysfs_args[@]}" >/tmp/full.out 2>&1 ||
  status=$?
vm_log "all ports full: exit $status: $(cat /tmp/full.out)"
[ "$status" = 1 ] || vm_fail "attach with every port taken exited $status, not 1"
grep -qi "no free" /tmp/full.out || vm_fail "no 'no free port' message: $(cat /tmp/full.out)"
[ "$(vhci_used)" = "$used_full" ] || vm_fail "the refused attach changed vhci's ports"
[ ! -s /tmp/full-sysfs/vhci_hcd.0/attach ] || vm_fail "the refused attach wrote to attach"

if [ "$free" -le 16 ]; then
  awk '$1 ~ /^(hs|ss)$/ && $3 != "004" { print $2 + 0 }' /sys/devices/platform/vhci_hcd.*/status* |
    while read -r port; do vm_run_bounded 10 "$helper" detach "$port" >/dev/null 2>&1 || true; done
fi
vm_check_kernel_health || exit 1
echo "PASS: client helper: reverse over tcp and vsock, kill and come back, malformed replies, full"
