#!/usr/bin/env bash
# The main job, for now: builds the project, then boots a real Linux kernel in a VM (QEMU,
# software emulation) where a USB disk (a configfs gadget on dummy_hcd) is exported by the
# kernel's own usbip-host, imported on 127.0.0.1 through vhci_hcd, and 32 MiB of random data
# cross USB/IP both ways and come back unchanged. The project's own host takes the kernel's
# place here once it exists.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export BUILD_DIR=${BUILD_DIR:-$root/build}

step() { printf '\n== %s\n' "$*"; }

step "1/2 set-up and build (scripts/build.sh, into $BUILD_DIR)"
"$root/scripts/build.sh"

step "2/2 USB disk through USB/IP in a VM (tests/vm/run.sh mass-storage, HOST_IMPL=kernel)"
echo "   The first run downloads the Debian kernel (about 70 MB) and builds the VM image;"
echo "   later runs reuse it. Lines in [brackets] come from inside the VM."
HOST_IMPL=kernel "$root/tests/vm/run.sh" mass-storage
