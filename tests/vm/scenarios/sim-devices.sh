#!/bin/bash
# The project's simulated devices (worker/sim/) through usbip-host listen and the stock client,
# driven by the real kernel class drivers: sim:hid binds usbhid and its greeting line reaches the
# kernel's input layer; sim:cdc binds cdc_acm and /dev/ttyACM* echoes a line; sim:uac binds
# snd-usb-audio, and (with alsa-utils) a tone played comes back on capture. Then all three are
# detached, the host is still running, stops cleanly on SIGTERM, and the kernel did not oops.
set -euo pipefail
source "$SOURCE_DIR/tests/vm/guest/lib.sh"

host=$(vm_project_binary usbip-host) || vm_fail "usbip-host not built in $BUILD_DIR"
reader=$BUILD_DIR/tests/vm/tools/typed-line-reader
[ -x "$reader" ] || vm_fail "typed-line-reader not built ($reader)"
expected_line="usbip-sandbox sim:hid says hello"

# All three share vendor and product ids; the serial number tells them apart.
vm__imported_sim_now() {
  local serial=$1 dev value
  for dev in /sys/devices/platform/vhci_hcd.*/usb*/*-*; do
    [[ "$dev" == *:* ]] && continue
    read -r value 2>/dev/null <"$dev/serial" || continue
    [ "$value" = "$serial" ] && vm__configured "$dev" || continue
    echo "$dev"
    return 0
  done
  return 1
}

# attach_sim BUSID SERIAL: imports a simulated device; prints its sysfs directory.
attach_sim() {
  vm_run_bounded 20 usbip attach -r 127.0.0.1 -b "$1" || {
    vm_log "usbip attach -r 127.0.0.1 -b $1 failed"
    return 1
  }
  vm_wait_for 20 "the imported $2 on vhci_hcd" vm__imported_sim_now "$2" || return 1
  vm__imported_sim_now "$2"
}

"$host" listen tcp:3240 sim:hid sim:cdc sim:uac --log-level debug >/tmp/host.log 2>&1 &
host_pid=$!
vm_wait_for 15 "usbip-host on port 3240" vm__listening 3240 || vm_fail "usbip-host did not listen"
remote=$(vm_run_bounded 20 usbip list -r 127.0.0.1) || vm_fail "usbip list -r failed"
for busid in 0-1 0-2 0-3; do
  grep -q "$busid:" <<<"$remote" || vm_fail "usbip list -r does not show $busid: $remote"
done

# --- sim:hid: the keyboard types its line ~2 s after it is first opened ----------------------
hid=$(attach_sim 0-1 sim-hid) || vm_fail "attaching sim:hid"
hid_if="$hid/$(vm_busid "$hid"):1.0"
vm_wait_driver "$hid_if" usbhid || vm_fail "usbhid did not bind to sim:hid"
vm_wait_for 10 "an event device on sim:hid" vm_first_match "$hid_if"/*/input/input*/event* ||
  vm_fail "no /dev/input/event* for sim:hid"
event=$(vm_first_match "$hid_if"/*/input/input*/event*)
vm_log "sim:hid is /dev/input/$event"
typed=$(vm_run_bounded 30 "$reader" --timeout 25 "/dev/input/$event") ||
  vm_fail "no line from sim:hid at the input layer"
echo "KERNEL INPUT LAYER RECEIVED: $typed"
[ "$typed" = "$expected_line" ] || vm_fail "sim:hid typed '$typed', expected '$expected_line'"

# --- sim:cdc: a serial port that echoes ------------------------------------------------------
cdc=$(attach_sim 0-2 sim-cdc) || vm_fail "attaching sim:cdc"
cdc_if="$cdc/$(vm_busid "$cdc"):1.0"
vm_wait_driver "$cdc_if" cdc_acm || vm_fail "cdc_acm did not bind to sim:cdc"
vm_wait_for 10 "a tty on sim:cdc" vm_first_match "$cdc_if"/tty/ttyACM* || vm_fail "no ttyACM"
tty=/dev/$(vm_first_match "$cdc_if"/tty/ttyACM*)
vm_wait_for 10 "$tty" test -c "$tty" || vm_fail "$tty did not appear"
exec {tty_fd}<>"$tty"
stty -F "$tty" raw -echo || vm_fail "stty on $tty"
sent="echo through usbip-sandbox $RANDOM"
printf '%s\n' "$sent" >&"$tty_fd"
echoed=
read -r -t 10 -u "$tty_fd" echoed || vm_fail "no echo from $tty (got '$echoed')"
exec {tty_fd}>&-
[ "$echoed" = "$sent" ] || vm_fail "$tty echoed '$echoed', sent '$sent'"
vm_log "sim:cdc: $tty echoed '$echoed'"

# --- sim:uac: loopback audio ---------------------------------------------------------------
uac=$(attach_sim 0-3 sim-uac) || vm_fail "attaching sim:uac"
uac_if="$uac/$(vm_busid "$uac"):1.0"
vm_wait_driver "$uac_if" snd-usb-audio || vm_fail "snd-usb-audio did not bind to sim:uac"
vm_wait_for 10 "a sound card on sim:uac" vm_first_match "$uac_if"/sound/card* ||
  vm_fail "no sound card for sim:uac"
card=$(vm_first_match "$uac_if"/sound/card*)
card=${card#card}
grep -q "^ *$card " /proc/asound/cards || vm_fail "card $card not in /proc/asound/cards"
vm_wait_for 10 "PCM devices of card $card" \
  test -c "/dev/snd/pcmC${card}D0p" -a -c "/dev/snd/pcmC${card}D0c" ||
  vm_fail "card $card lacks playback or capture PCM"
vm_log "sim:uac is card $card: $(grep -A1 "^ *$card " /proc/asound/cards | tail -n 1 | xargs)"
if command -v aplay >/dev/null && command -v arecord >/dev/null; then
  # One period of a 1 kHz square wave, 48 kHz stereo S16_LE, doubled up to ~1 s.
  for _ in $(seq 24); do printf '\x00\x40\x00\x40'; done >/tmp/tone.raw
  for _ in $(seq 24); do printf '\x00\xc0\x00\xc0'; done >>/tmp/tone.raw
  for _ in $(seq 10); do cat /tmp/tone.raw /tmp/tone.raw >/tmp/tone2.raw && mv /tmp/tone2.raw /tmp/tone.raw; done
  format=(-f S16_LE -r 48000 -c 2 -t raw -q)
  vm_run_bounded 30 arecord -D "hw:$card,0" "${format[@]}" -d 3 /tmp/capture.raw &
  recorder=$!
  vm_sleep 0.5
  vm_run_bounded 20 aplay -D "hw:$card,0" "${format[@]}" /tmp/tone.raw || vm_fail "aplay failed"
  wait "$recorder" || vm_fail "arecord failed"
  captured=$(wc -c </tmp/capture.raw)
  loud=$(tr -d '\000' </tmp/capture.raw | wc -c)
  vm_log "sim:uac: captured $captured bytes, $loud of them non-zero"
  # The tone has ~98000 non-zero bytes; a quarter of them back leaves room for a busy machine
  # (the device's ring drops audio when playback runs ahead of capture).
  [ "$loud" -ge 24000 ] || vm_fail "capture from sim:uac is (nearly) silent: $loud non-zero bytes"
else
  vm_log "alsa-utils missing: sim:uac checked up to its PCM devices only"
fi

# --- detach all; the host keeps serving ------------------------------------------------------
for dev in "$hid" "$cdc" "$uac"; do
  vm_detach "$dev" || vm_fail "detaching $(vm_busid "$dev")"
done
kill -0 "$host_pid" 2>/dev/null || vm_fail "usbip-host died after the detaches"
vm_run_bounded 20 usbip list -r 127.0.0.1 >/dev/null || vm_fail "usbip-host stopped answering"
kill -TERM "$host_pid"
status=0
wait "$host_pid" || status=$?
[ "$status" = 0 ] || vm_fail "usbip-host exited $status on SIGTERM"
if grep -q "killed by signal" /tmp/host.log; then
  grep "killed by signal" /tmp/host.log >&2
  vm_fail "a worker died of a signal"
fi
vm_check_kernel_health || exit 1
echo "PASS: sim:hid typed into the input layer, sim:cdc echoed, sim:uac looped audio back"
