#!/bin/bash
# Test-VM scenario for the URB engine alone (no broker, no sandbox, no handshake): a device is
# served by engine-attach (LibusbBackend + UrbEngine) straight to vhci_hcd, then
#   sourcesink    the kernel's usbtest suite runs on the imported copy of a SourceSink gadget:
#                 the tests the kernel's own usbip-host passes must pass (0-13, 17-20, 24, 27-29)
#   mass-storage  16 MiB written to the imported copy of a disk gadget, read back with O_DIRECT
#   audio         iso-check streams isochronous OUT transfers to the imported copy of QEMU's
#                 usb-audio (needs VM_QEMU_ARGS, below), then cancels a queue of them
# Run from the repository:
#   BUILD_DIR=build tests/vm/run.sh worker/devtools/engine-vm-check.sh sourcesink|mass-storage
#   VM_QEMU_ARGS="-device qemu-xhci,id=xhci -audiodev none,id=snd -device usb-audio,bus=xhci.0,audiodev=snd" \
#     BUILD_DIR=build tests/vm/run.sh worker/devtools/engine-vm-check.sh audio
set -euo pipefail
source "$SOURCE_DIR/tests/vm/guest/lib.sh"

kind=${1:-sourcesink}
tool=$BUILD_DIR/worker/engine-attach
[ -x "$tool" ] || vm_fail "engine-attach not built ($tool)"

case "$kind" in
  sourcesink | mass-storage)
    if [ "$kind" = sourcesink ]; then
      vm_gadget_sourcesink zero "$(vm_udc 0)" || vm_fail "making the gadget"
    else
      vm_gadget_mass_storage disk "$(vm_udc 0)" /tmp/disk.img 32 || vm_fail "making the gadget"
    fi
    local_dev=$(vm_gadget_device "$(vm_udc 0)") || vm_fail "the gadget did not enumerate"
    ;;
  audio)
    vm_wait_for 20 "QEMU's usb-audio" vm_qemu_audio_device || vm_fail "no usb-audio (VM_QEMU_ARGS?)"
    local_dev=$(vm_qemu_audio_device)
    ;;
  *) vm_fail "unknown kind $kind" ;;
esac
read -r vendor <"$local_dev/idVendor" && read -r product <"$local_dev/idProduct"
"$tool" "$local_dev" >/tmp/engine.log 2>&1 &
engine_pid=$!
vm_wait_for 30 "the imported copy" vm__vhci_device_now "0x$vendor" "0x$product" ||
  { cat /tmp/engine.log; vm_fail "nothing appeared on vhci_hcd"; }
imported=$(vm__vhci_device_now "0x$vendor" "0x$product")
vm_log "$(vm_busid "$local_dev") served by the engine, imported as $(vm_busid "$imported")"

verdict=0
case "$kind" in
  sourcesink)
    vm_wait_driver "$imported/$(vm_busid "$imported"):1.0" usbtest || vm_fail "usbtest did not bind"
    required=" 0 1 2 3 4 5 6 7 8 9 10 11 12 13 17 18 19 20 24 27 28 29 "
    plan=(0:1:0:0:0 1:32:4096:0:0 2:32:4096:0:0 3:32:4096:512:0 4:32:4096:512:0
      5:4:4096:0:8 6:4:4096:0:8 7:4:4096:512:8 8:4:4096:512:8 9:4:0:0:0 10:4:0:0:16
      11:8:4096:0:0 12:8:4096:0:0 13:4:0:0:0 17:32:4096:0:0 18:32:4096:0:0 19:32:4096:0:0
      20:32:4096:0:0 27:4:16384:0:32 28:4:16384:0:32 29:4:0:0:0 24:4:4096:0:8)
    vm_usbtest "$(vm_dev_node "$imported")" 15 100 "${plan[@]}" >/tmp/results || true
    cat /tmp/results
    while read -r _ test result _; do
      [[ "$required" == *" ${test%:} "* ]] && [ "$result" != pass ] && verdict=1
    done </tmp/results
    [ "$(grep -c ': pass' /tmp/results)" -ge 22 ] || verdict=1
    ;;
  mass-storage)
    disk=$(vm_block_device "$imported") || vm_fail "no disk on the imported device"
    dd if=/dev/urandom of=/tmp/data bs=1M count=16 status=none
    vm_run_bounded 60 dd if=/tmp/data of="$disk" bs=1M oflag=direct conv=fsync status=none ||
      verdict=1
    vm_run_bounded 60 dd if="$disk" of=/tmp/back bs=1M count=16 iflag=direct status=none ||
      verdict=1
    cmp -s /tmp/data /tmp/back || { vm_log "read back differs"; verdict=1; }
    ;;
  audio)
    vm_run_bounded 60 "$BUILD_DIR/worker/iso-check" "$(vm_dev_node "$imported")" || verdict=1
    ;;
esac

vm_detach "$imported" || verdict=1
vm_wait_for 10 "engine-attach to exit" vm__gone "/proc/$engine_pid" || verdict=1
grep -v '\[debug\]' /tmp/engine.log | tail -n 5
vm_check_kernel_health || verdict=1
[ "$verdict" = 0 ] || { echo "FAIL: engine-vm-check $kind"; exit 1; }
echo "PASS: engine-vm-check $kind"
