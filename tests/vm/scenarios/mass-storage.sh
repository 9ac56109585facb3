#!/bin/bash
# A USB disk exported through USB/IP and imported on 127.0.0.1 via vhci_hcd: 32 MiB of random
# data written to the imported disk and read back with O_DIRECT (so every byte crosses USB/IP
# both ways) must come back unchanged, and must be what the gadget's backing file now holds.
#   HOST_IMPL=kernel|project   which USB/IP host serves the disk (see guest/lib.sh)
#   mass-storage.sh [MIB]      how much data (default 32)
set -euo pipefail
source "$SOURCE_DIR/tests/vm/guest/lib.sh"

mib=${1:-32}
vm_require_host

backing=/tmp/disk.img
vm_gadget_mass_storage disk "$(vm_udc 0)" "$backing" $((mib * 2)) || vm_fail "making the gadget"
local_dev=$(vm_gadget_device "$(vm_udc 0)") || vm_fail "the gadget did not enumerate"
busid=$(vm_busid "$local_dev")
vm_log "mass-storage gadget enumerated as $busid"

vm_host_export "$busid" || vm_fail "exporting $busid with HOST_IMPL=$HOST_IMPL"
imported=$(vm_attach "$local_dev") || vm_fail "importing $busid over USB/IP"
disk=$(vm_block_device "$imported") || vm_fail "no disk on the imported device"
vm_log "imported through vhci_hcd as $(vm_busid "$imported"), disk $disk"

dd if=/dev/urandom of=/tmp/data bs=1M count="$mib" status=none
expected=$(sha256sum </tmp/data | cut -d' ' -f1)

# dd prints its own rate; these are kept for the log, the verdict is the checksum.
start=$(date +%s%N)
vm_run_bounded 60 dd if=/tmp/data of="$disk" bs=1M count="$mib" oflag=direct conv=fsync \
  status=none || vm_fail "writing $mib MiB to $disk"
write_ms=$((($(date +%s%N) - start) / 1000000))
echo 3 >/proc/sys/vm/drop_caches
start=$(date +%s%N)
vm_run_bounded 60 dd if="$disk" of=/tmp/readback bs=1M count="$mib" iflag=direct status=none ||
  vm_fail "reading $mib MiB back from $disk"
read_ms=$((($(date +%s%N) - start) / 1000000))
read_back=$(sha256sum </tmp/readback | cut -d' ' -f1)
on_gadget=$(head -c "${mib}M" "$backing" | sha256sum | cut -d' ' -f1)

vm_log "wrote $mib MiB in ${write_ms} ms, read it back in ${read_ms} ms"
vm_log "sha256 written   $expected"
vm_log "sha256 read back $read_back"
vm_log "sha256 on gadget $on_gadget"
[ "$read_back" = "$expected" ] || vm_fail "the data read back through USB/IP differs"
[ "$on_gadget" = "$expected" ] || vm_fail "the gadget's backing file does not hold the data"

vm_detach "$imported" || vm_fail "detaching the imported disk"
vm_host_unexport "$busid" || vm_fail "giving $busid back"
vm_check_kernel_health || exit 1
echo "PASS: mass storage through USB/IP (HOST_IMPL=$HOST_IMPL): $mib MiB written and read back," \
  "sha256 equal"
