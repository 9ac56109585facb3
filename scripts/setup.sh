#!/usr/bin/env bash
# Installs every Debian package that building, testing and the test VM need.
# Idempotent and quiet: when everything is present it only checks, and it says what it installs.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config clang-format
  libusb-1.0-0-dev libudev-dev libseccomp-dev libcap-ng-dev
  capnproto libcapnp-dev libspdlog-dev libatomic1
  libtomlplusplus-dev libsystemd-dev
  # tests
  libgtest-dev libgmock-dev
  # fuzzing (fuzz/README.md): clang with libFuzzer and its sanitizer runtimes
  clang-14 libclang-rt-14-dev
  # test VM: software-emulated kernel with real USB devices (see tests/vm/README.md)
  qemu-system-x86 busybox-static kmod cpio usbip
  # the test VM's sim:uac check plays and records with aplay/arecord
  alsa-utils
  # the test VM's read-only-storage scenario sends raw SCSI writes with sg_raw
  sg3-utils
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${missing[*]}; run this script as root (apt-get)" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
