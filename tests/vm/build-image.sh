#!/usr/bin/env bash
# Makes what the test VM boots and prints the directory that holds it (vmlinuz, initrd,
# kernel-version). Built once, then served from the cache:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/usbip-sandbox/vm/   (or $USBIP_VM_CACHE)
#     kernels/<package>_<version>.deb      the Debian kernel package, as downloaded
#     images/<kernel>_<version>-<inputs>/  one image per kernel and per hash of this builder's
#                                          inputs (this script, guest/init, guest/modules.list,
#                                          busybox), so changing any of them rebuilds it
# The kernel is whatever Debian's linux-image-amd64 depends on today; it is never hard-coded.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache_root=${USBIP_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/usbip-sandbox/vm}
busybox=/bin/busybox
step_timeout=${VM_BUILD_STEP_TIMEOUT:-300}

log() { echo "vm-image: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}
# Every external step is bounded: a stuck download or tool must not stall a test run.
run_step() { timeout --kill-after=10 "$step_timeout" "$@"; }

kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

package_version() {
  apt-cache show --no-all-versions "$1" 2>/dev/null | awk '$1 == "Version:" { print $2; exit }'
}

inputs_hash() {
  cat "$here/build-image.sh" "$here/guest/init" "$here/guest/modules.list" "$busybox" |
    sha256sum | cut -c1-12
}

newest_cached_image() {
  local dir
  dir=$(ls -1td "$cache_root"/images/*/ 2>/dev/null | head -n 1) || true
  [ -n "$dir" ] && [ -f "$dir/READY" ] && echo "${dir%/}"
}

download_kernel() {
  local package=$1 version=$2 deb=$3 tmp
  mkdir -p "$(dirname "$deb")"
  tmp=$(mktemp -d "$cache_root/download.XXXXXX")
  log "downloading $package $version (about 70 MB, once)"
  # Root downloads into a folder apt's sandbox user cannot write; tell apt that is intended.
  (cd "$tmp" && run_step apt-get -qq -o APT::Sandbox::User=root download "$package=$version") ||
    { rm -rf "$tmp"; die "apt-get download $package=$version failed"; }
  mv "$tmp"/*.deb "$deb"
  rm -rf "$tmp"
}

# Writes etc/modules.load into the staging tree: one "path params" line per module file, in
# the order insmod must load them, each file once; and etc/modules.required: the names of
# the modules listed (their dependencies may be optional, the listed ones are not).
stage_modules() {
  local kernel_root=$1 kernel=$2 staging=$3 name params path base seen=" " dep_lines
  run_step depmod -b "$kernel_root" "$kernel" || die "depmod failed"
  : >"$staging/etc/modules.load"
  : >"$staging/etc/modules.required"
  while read -r name params; do
    case "$name" in '' | '#'*) continue ;; esac
    dep_lines=$(run_step modprobe -d "$kernel_root" -S "$kernel" --show-depends "$name") ||
      die "module $name is not in kernel $kernel"
    while read -r verb path _; do
      [ "$verb" = insmod ] || continue # built-in modules need no loading
      path=${path#"$kernel_root"/lib/modules/"$kernel"/}
      case "$seen" in *" $path "*) continue ;; esac
      seen="$seen$path "
      mkdir -p "$staging/lib/modules/$(dirname "$path")"
      cp "$kernel_root/lib/modules/$kernel/$path" "$staging/lib/modules/$path"
      # Parameters belong to the listed module, which --show-depends prints last.
      base=$(basename "$path" .ko)
      if [ "${base//-/_}" = "${name//-/_}" ]; then
        echo "/lib/modules/$path $params" >>"$staging/etc/modules.load"
        echo "${name//-/_}" >>"$staging/etc/modules.required"
      else
        echo "/lib/modules/$path" >>"$staging/etc/modules.load"
      fi
    done <<<"$dep_lines"
  done <"$here/guest/modules.list"
}

build_image() {
  local deb=$1 kernel=$2 image=$3 work
  work=$(mktemp -d "$cache_root/build.XXXXXX")
  log "building image $(basename "$image")"
  run_step dpkg -x "$deb" "$work/kernel" || die "dpkg -x $deb failed"
  [ -f "$work/kernel/boot/vmlinuz-$kernel" ] || die "$deb holds no boot/vmlinuz-$kernel"

  local staging=$work/initramfs
  mkdir -p "$staging"/{bin,etc,proc,sys,dev,newroot,lib/modules}
  cp "$busybox" "$staging/bin/busybox"
  ln -s busybox "$staging/bin/sh"
  install -m 0755 "$here/guest/init" "$staging/init"
  stage_modules "$work/kernel" "$kernel" "$staging"

  mkdir -p "$work/out"
  cp "$work/kernel/boot/vmlinuz-$kernel" "$work/out/vmlinuz"
  # Uncompressed: unpacking gzip costs more guest time under emulation than it saves.
  (cd "$staging" && find . -print0 | run_step cpio --null -o -H newc --quiet) >"$work/out/initrd" ||
    die "cpio failed"
  echo "$kernel" >"$work/out/kernel-version"
  touch "$work/out/READY"
  rm -rf "$image"
  mkdir -p "$(dirname "$image")"
  mv "$work/out" "$image"
  rm -rf "$work"
  log "image ready: $(du -sh "$image/initrd" | cut -f1) initramfs, kernel $kernel"
}

main() {
  command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run scripts/setup.sh"
  [ -x "$busybox" ] || die "$busybox missing (Debian busybox-static): run scripts/setup.sh"
  mkdir -p "$cache_root"
  # One builder at a time; others wait and then find the image ready.
  exec 9>"$cache_root/.lock"
  run_step flock 9 || die "timed out waiting for another image build"

  local package version
  package=$(kernel_package)
  if [ -z "$package" ] && [ "$(id -u)" -eq 0 ]; then
    log "apt knows no linux-image-amd64 yet: apt-get update"
    run_step apt-get update -qq >/dev/null || true
    package=$(kernel_package)
  fi
  if [ -z "$package" ]; then
    local cached
    cached=$(newest_cached_image) || true
    [ -n "$cached" ] || die "cannot resolve the kernel package (apt-cache depends linux-image-amd64)"
    log "warning: cannot resolve the kernel package; using cached image $(basename "$cached")"
    echo "$cached"
    return
  fi
  version=$(package_version "$package")
  [ -n "$version" ] || die "apt-cache knows no version of $package"

  local kernel=${package#linux-image-}
  local image
  image="$cache_root/images/${kernel}_${version}-$(inputs_hash)"
  if [ ! -f "$image/READY" ]; then
    local deb="$cache_root/kernels/${package}_${version}.deb"
    [ -f "$deb" ] || download_kernel "$package" "$version" "$deb"
    build_image "$deb" "$kernel" "$image"
  fi
  touch "$image" # newest_cached_image prefers the image used last
  echo "$image"
}

main "$@"
