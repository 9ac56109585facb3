#!/usr/bin/env bash
# Installs the build into a scratch DESTDIR and checks what an administrator relies on: the
# three programs side by side (usbip-host finds usbip-worker next to itself), the units with
# ExecStart= naming those installed programs, sysusers.d, tmpfiles.d, modules-load.d, the
# commented example policy, and no policy file in devices.d (nothing is exported by default).
#
# Usage: check_install.sh BUILD_DIR PREFIX
set -euo pipefail

build=${1:?usage: check_install.sh BUILD_DIR PREFIX}
prefix=${2:?usage: check_install.sh BUILD_DIR PREFIX}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

DESTDIR=$root cmake --install "$build" >"$root.log" 2>&1 || fail "cmake --install: $(cat "$root.log")"
rm -f "$root.log"
base=$root$prefix
for program in usbip-host usbip-worker usbip-client-helper; do
  [ -x "$base/sbin/$program" ] || fail "$prefix/sbin/$program not installed"
done
units=$base/lib/systemd/system
for unit in usbip-host@.service usbip-host-listen.service usbip-client-helper.service; do
  [ -f "$units/$unit" ] || fail "$unit not installed in $prefix/lib/systemd/system"
  grep -q '^Type=notify$' "$units/$unit" || fail "$unit is not Type=notify"
  while read -r program; do
    [ -x "$root$program" ] || fail "$unit runs $program, which is not installed"
  done < <(sed -n 's/^Exec[A-Za-z]*=\([^ ]*\).*/\1/p' "$units/$unit")
done
[ -f "$base/lib/sysusers.d/usbip-sandbox.conf" ] || fail "sysusers.d file not installed"
[ -f "$base/lib/tmpfiles.d/usbip-sandbox.conf" ] || fail "tmpfiles.d file not installed"
[ -f "$base/lib/modules-load.d/usbip-client-helper.conf" ] || fail "modules-load.d file not installed"
[ -f "$base/share/doc/usbip-sandbox/examples/1-2.toml" ] || fail "example policy not installed"
if find "$root" -path '*devices.d/*' -type f | grep -q .; then
  fail "a policy file was installed into devices.d: $(find "$root" -path '*devices.d/*' -type f)"
fi
echo "install OK: programs, units, sysusers.d, tmpfiles.d, modules-load.d, example policy"
