#!/bin/bash
# A USB disk exported through USB/IP and imported on 127.0.0.1 via vhci_hcd: 32 MiB of random
# data written to the imported disk and read back with O_DIRECT (so every byte crosses USB/IP
# both ways) must come back unchanged, and must be what the gadget's backing file now holds.
# The project's host does it twice: with its transfer buffers in usbfs memory (the default; its
# worker must say it served them from there) and with --no-usbfs-memory (a quarter of the data).
#   HOST_IMPL=kernel|project   which USB/IP host serves the disk (see guest/lib.sh)
#   mass-storage.sh [MIB]      how much data (default 32)
set -euo pipefail
source "$SOURCE_DIR/tests/vm/guest/lib.sh"

mib=${1:-32}
vm_require_host

# The disk is exactly as large as the data, so the data fills the whole backing file.
backing=/tmp/disk.img
vm_gadget_mass_storage disk "$(vm_udc 0)" "$backing" "$mib" || vm_fail "making the gadget"
local_dev=$(vm_gadget_device "$(vm_udc 0)") || vm_fail "the gadget did not enumerate"
busid=$(vm_busid "$local_dev")
vm_log "mass-storage gadget enumerated as $busid"

# round_trip MIB: one export, the data written and read back through it, one unexport.
round_trip() {
  local mib=$1 imported disk start write_ms read_ms written read_back on_gadget
  vm_host_export "$busid" || vm_fail "exporting $busid with HOST_IMPL=$HOST_IMPL"
  imported=$(vm_attach "$local_dev") || vm_fail "importing $busid over USB/IP"
  disk=$(vm_block_device "$imported") || vm_fail "no disk on the imported device"
  vm_disk_max_transfer "$disk" 1024 || vm_fail "raising the transfer size of $disk"
  vm_log "imported through vhci_hcd as $(vm_busid "$imported"), disk $disk"

  dd if=/dev/urandom of=/tmp/data bs=1M count="$mib" status=none

  vm_clock
  start=$VM_NOW_MS
  vm_run_bounded 60 dd if=/tmp/data of="$disk" bs=1M count="$mib" oflag=direct conv=fsync \
    status=none || vm_fail "writing $mib MiB to $disk"
  vm_clock
  write_ms=$((VM_NOW_MS - start))
  # O_DIRECT already bypasses the page cache; dropping it makes sure nothing is served from it.
  echo 3 >/proc/sys/vm/drop_caches
  vm_clock
  start=$VM_NOW_MS
  vm_run_bounded 60 dd if="$disk" of=/tmp/readback bs=1M count="$mib" iflag=direct status=none ||
    vm_fail "reading $mib MiB back from $disk"
  vm_clock
  read_ms=$((VM_NOW_MS - start))
  vm_log "wrote $mib MiB in $write_ms ms, read it back in $read_ms ms"

  # One process for the three checksums: starting processes is what costs here. The backing
  # file is as large as the first round's data; a smaller round fills only its start.
  { read -r written _ && read -r read_back _ && read -r on_gadget _; } < <(
    sha256sum /tmp/data /tmp/readback <(head -c "$((mib * 1048576))" "$backing")
  )
  vm_log "sha256 written   $written"
  vm_log "sha256 read back $read_back"
  vm_log "sha256 on gadget $on_gadget"
  [ -n "$written" ] || vm_fail "no checksum of the data written"
  [ "$read_back" = "$written" ] || vm_fail "the data read back through USB/IP differs"
  [ "$on_gadget" = "$written" ] || vm_fail "the gadget's backing file does not hold the data"

  vm_detach "$imported" || vm_fail "detaching the imported disk"
  vm_host_unexport "$busid" || vm_fail "giving $busid back"
}

# worker_log_says PATTERN: the project's worker logged it during the last export.
worker_log_says() {
  local line
  while IFS= read -r line; do
    [[ "$line" =~ $1 ]] && vm_log "worker: ${line#* info: }" && return 0
  done <"/tmp/usbip-host.$busid.log"
  vm_log "the worker never logged /$1/; its log:"
  cat "/tmp/usbip-host.$busid.log" >&2
  return 1
}

round_trip "$mib"
rounds="$mib MiB"
if [ "$HOST_IMPL" = project ]; then
  worker_log_says "usbfs memory: [1-9][0-9]* buffer\\(s\\)" ||
    vm_fail "the worker did not serve the transfer buffers from usbfs memory by default"
  VM_PROJECT_HOST_ARGS=--no-usbfs-memory round_trip $((mib / 4))
  worker_log_says "transfer buffers stay in ordinary memory" ||
    vm_fail "--no-usbfs-memory did not keep the transfer buffers in ordinary memory"
  rounds+=" and $((mib / 4)) MiB (--no-usbfs-memory)"
fi
vm_check_kernel_health || exit 1
echo "PASS: mass storage through USB/IP (HOST_IMPL=$HOST_IMPL): $rounds written and read back," \
  "sha256 equal"
