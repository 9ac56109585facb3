#!/bin/bash
# guards.read_only: a USB disk gadget exported by usbip-host under a policy file that says
# `read_only = true`, imported with the stock `usbip attach` on 127.0.0.1 through vhci_hcd.
#   - the client kernel marks the disk read-only (the worker sets WP in MODE SENSE replies);
#   - every byte the backing file (an ext2 file system) was prepared with reads back (sha256
#     equal); mounting it read-write fails, read-only works and a file on it reads back whole;
#   - a write through the block layer fails (dd with O_DIRECT), and so does a raw SCSI WRITE(10)
#     sent with SG_IO past the block layer's read-only flag: the worker refuses it and the
#     client's usb-storage gets DATA PROTECT / WRITE PROTECTED, with no USB reset; so do a refused
#     command with a data-IN stage and one without;
#   - the disk still reads after the refused write;
#   - the backing file's sha256 is unchanged, and the kernel did not oops.
# Project host only: the kernel's usbip-host has no policy.
set -euo pipefail
source "$SOURCE_DIR/tests/vm/guest/lib.sh"

[ "$HOST_IMPL" = project ] || vm_fail "read-only-storage needs HOST_IMPL=project"
vm_require_host
command -v sg_raw >/dev/null || vm_fail "sg_raw missing (Debian package sg3-utils): run scripts/setup.sh"

mib=8
backing=/tmp/read-only-disk.img
mkdir -p /tmp/read-only-files
dd if=/dev/urandom of=/tmp/read-only-files/data.bin bs=1M count=4 status=none
truncate -s "${mib}M" "$backing"
mke2fs -q -F -t ext2 -d /tmp/read-only-files "$backing" || vm_fail "making the file system"
{ read -r prepared _ && read -r file_sum _; } < <(sha256sum "$backing" /tmp/read-only-files/data.bin)
vm_log "backing file prepared (ext2 with a 4 MiB file), sha256 $prepared"

vm_gadget_mass_storage rodisk "$(vm_udc 0)" "$backing" "$mib" || vm_fail "making the gadget"
local_dev=$(vm_gadget_device "$(vm_udc 0)") || vm_fail "the gadget did not enumerate"
busid=$(vm_busid "$local_dev")
vm_log "mass-storage gadget enumerated as $busid"

# A policy directory as an administrator writes it: root's, not writable by anyone else.
policy_dir=/tmp/read-only-policy
mkdir -p "$policy_dir"
chmod 755 "$policy_dir"
cat >"$policy_dir/disk.toml" <<EOF
[match]
busid = "$busid"

[export]
mode = "listen"
allowed_peers = ["127.0.0.0/8"]

[guards]
read_only = true
EOF
chmod 644 "$policy_dir/disk.toml"

vm_host_export_policy "$policy_dir" || vm_fail "usbip-host listen --policy-dir $policy_dir"
imported=$(vm_attach "$local_dev") || vm_fail "importing $busid over USB/IP"
disk=$(vm_block_device "$imported") || vm_fail "no disk on the imported device"
block=${disk#/dev/}
vm_log "imported through vhci_hcd as $(vm_busid "$imported"), disk $disk"

# The disk node can appear before sd has finished reading MODE SENSE, so the flag is waited for.
disk_read_only() {
  local ro
  read -r ro <"/sys/block/$1/ro" && [ "$ro" = 1 ]
}
vm_wait_for 10 "$disk to be write-protected on the client" disk_read_only "$block" ||
  vm_fail "the client kernel does not see $disk as write-protected"
vm_log "$disk is read-only on the client (MODE SENSE said write-protected)"

vm_run_bounded 60 dd if="$disk" of=/tmp/read-back bs=1M count="$mib" iflag=direct status=none ||
  vm_fail "reading $mib MiB from $disk"
read -r read_back _ < <(sha256sum /tmp/read-back)
[ "$read_back" = "$prepared" ] || vm_fail "the data read through USB/IP differs from the backing file"
vm_log "read $mib MiB back, sha256 equal"

mkdir -p /tmp/read-only-mount
# -w: mount(8) must not fall back to read-only by itself.
if vm_run_bounded 30 mount -t ext2 -w "$disk" /tmp/read-only-mount 2>/tmp/mount-rw.err; then
  options=$(awk '$2 == "/tmp/read-only-mount" { print $4 }' /proc/mounts)
  umount /tmp/read-only-mount
  [[ "$options" == ro,* || "$options" == ro ]] || vm_fail "$disk mounted read-write ($options)"
  vm_log "mount -w gave a read-only mount ($options)"
else
  vm_log "mount -w failed as it must: $(head -n 1 /tmp/mount-rw.err)"
fi
vm_run_bounded 30 mount -t ext2 -o ro "$disk" /tmp/read-only-mount || vm_fail "mounting $disk read-only"
read -r mounted_sum _ < <(sha256sum /tmp/read-only-mount/data.bin)
[ "$mounted_sum" = "$file_sum" ] || vm_fail "the file read from the mounted disk differs"
if touch /tmp/read-only-mount/new 2>/dev/null; then vm_fail "a file was created on $disk"; fi
umount /tmp/read-only-mount || vm_fail "unmounting $disk"
vm_log "mounted read-only, the 4 MiB file reads back whole"

if vm_run_bounded 30 dd if=/dev/zero of="$disk" bs=4k count=1 oflag=direct status=none \
  2>/tmp/dd-write.err; then
  vm_fail "a write to $disk succeeded"
fi
vm_log "dd to $disk failed as it must: $(head -n 1 /tmp/dd-write.err)"

# Past the block layer: SG_IO on a read-only open sends the WRITE(10) (root may send any
# command), so the worker's guard is what stops it.
head -c 4096 /dev/zero >/tmp/zeros
sg_status=0
vm_run_bounded 30 sg_raw -R -s 4096 -i /tmp/zeros "$disk" 2a 00 00 00 00 00 00 00 08 00 \
  >/tmp/sg-write.out 2>&1 || sg_status=$?
cat /tmp/sg-write.out
[ "$sg_status" -ne 0 ] || vm_fail "a raw SCSI WRITE(10) to $disk succeeded"
grep -qi "data protect" /tmp/sg-write.out ||
  vm_fail "the refused WRITE(10) did not come back as DATA PROTECT"
grep -qi "write protected" /tmp/sg-write.out ||
  vm_fail "the refused WRITE(10) did not come back as WRITE PROTECTED"
vm_log "raw WRITE(10) refused with DATA PROTECT / WRITE PROTECTED"

# The other two shapes of a refused command: with a data-IN stage (ATA PASS-THROUGH(16)
# IDENTIFY DEVICE, which the guard does not know) and with none (START STOP UNIT, eject).
refuse_check() {
  local what=$1 status=0
  shift
  vm_run_bounded 30 sg_raw -R "$@" >/tmp/sg-refused.out 2>&1 || status=$?
  [ "$status" -ne 0 ] && grep -qi "data protect" /tmp/sg-refused.out || {
    cat /tmp/sg-refused.out
    vm_fail "$what was not refused with DATA PROTECT"
  }
}
refuse_check "ATA PASS-THROUGH with data in" -r 512 "$disk" 85 08 0e 00 00 00 01 00 00 00 00 00 00 00 ec 00
refuse_check "START STOP UNIT (eject)" "$disk" 1b 00 00 00 02 00
vm_log "a refused command with a data-IN stage and one without: DATA PROTECT too"

echo 3 >/proc/sys/vm/drop_caches
vm_run_bounded 30 dd if="$disk" of=/tmp/read-again bs=1M count=1 iflag=direct status=none ||
  vm_fail "reading $disk after the refused write"
cmp -s /tmp/read-again <(head -c 1048576 "$backing") ||
  vm_fail "the first MiB read after the refused write differs"

# usb-storage resets the device when a command's transport fails; a clean refusal needs none.
imported_busid=$(vm_busid "$imported")
if dmesg | grep -E "usb $imported_busid: reset|$block.*(reset|offline)" >/tmp/resets; then
  cat /tmp/resets
  vm_fail "the client reset the imported device"
fi

vm_detach "$imported" || vm_fail "detaching the imported disk"
vm_host_unexport_policy || vm_fail "stopping usbip-host"
read -r after _ < <(sha256sum "$backing")
vm_log "backing file sha256 after: $after"
[ "$after" = "$prepared" ] || vm_fail "the backing file changed"
# What the worker refused, as it logs it (once per kind).
grep "policy refused" /tmp/usbip-host.policy.log ||
  vm_fail "usbip-host's log does not mention the refused write"
vm_check_kernel_health || exit 1
echo "PASS: read-only mass storage: $mib MiB read back with sha256 equal, mounted read-only only," \
  "dd and raw SCSI writes refused (DATA PROTECT / WRITE PROTECTED, no reset), backing file unchanged"
