#!/usr/bin/env bash
# Checks the files of systemd/ without installing anything: renders the unit templates with
# stand-in programs in a temporary directory, runs `systemd-analyze verify` on them (any message
# fails, because verify only warns about unknown keys and bad values), keeps their hardening
# under an exposure threshold, and applies the sysusers.d and tmpfiles.d files to a scratch root.
#
# Usage: verify_units.sh SOURCE_DIR [--sabotage]
#   --sabotage  breaks every rendered unit first; the script must then fail (a ctest checks it).
set -euo pipefail

src=$(cd "${1:?usage: verify_units.sh SOURCE_DIR [--sabotage]}" && pwd)
sabotage=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

units=(usbip-host@.service usbip-host-listen.service usbip-client-helper.service)
# The template is verified through an instance, with the instance name the docs use.
verified=(usbip-host@1-2.service usbip-host-listen.service usbip-client-helper.service)

mkdir -p "$work/bin" "$work/units" "$work/root/etc"
for program in usbip-host usbip-client-helper; do
  printf '#!/bin/sh\nexit 0\n' >"$work/bin/$program"
  chmod 755 "$work/bin/$program"
done

render() {
  sed -e "s|@USBIP_BINDIR@|$work/bin|g" -e "s|@USBIP_DOCDIR@|/usr/share/doc/usbip-sandbox|g" \
    "$1" >"$2"
  if grep -n '@[A-Z_]*@' "$2"; then fail "$1: placeholder left after rendering"; fi
}

for unit in "${units[@]}"; do render "$src/$unit.in" "$work/units/$unit"; done
if [ "$sabotage" = --sabotage ]; then
  sed -i 's/^\[Service\]$/[Service]\nProtectSytem=strict/' "$work/units/"*.service
fi

# Prints everything systemd-analyze verify says about the given unit files (and its status).
verify() {
  local paths=()
  for unit in "$@"; do paths+=("$work/units/$unit"); done
  systemd-analyze verify --man=no --generators=no "${paths[@]}" 2>&1 || echo "(exit status $?)"
}

# 1. This check must be able to fail here: a misspelt key and a missing program are reported.
sed 's/^\[Service\]$/[Service]\nProtectSytem=strict/' "$work/units/usbip-host-listen.service" \
  >"$work/units/misspelt.service"
[ -n "$(verify misspelt.service)" ] || fail "systemd-analyze verify did not report a misspelt key"
sed "s|^ExecStart=$work/bin/usbip-host |ExecStart=$work/bin/absent |" \
  "$work/units/usbip-host-listen.service" >"$work/units/no-program.service"
[ -n "$(verify no-program.service)" ] || fail "systemd-analyze verify did not report a missing program"

# 2. The units themselves: not a single message.
report=$(verify "${verified[@]}")
[ -z "$report" ] || fail "systemd-analyze verify:"$'\n'"$report"

# 3. Both broker units carry the same hardening, so neither drifts.
hardening() { sed -n '/^# --- Hardening/,/^\[Install\]/p' "$1"; }
[ -n "$(hardening "$work/units/usbip-host@.service")" ] || fail "usbip-host@.service: no hardening block"
diff <(hardening "$work/units/usbip-host@.service") \
  <(hardening "$work/units/usbip-host-listen.service") >&2 ||
  fail "usbip-host@.service and usbip-host-listen.service differ in their hardening block"

# 4. Exposure as systemd rates it (0 to 100): a removed hardening key shows up here.
threshold() {
  (cd "$work/units" && systemd-analyze security --offline=yes --threshold="$2" "$1") >"$work/security" 2>&1 ||
    fail "$1: exposure above $2: $(tail -n 1 "$work/security")"
}
threshold usbip-host@1-2.service 40
threshold usbip-host-listen.service 40
threshold usbip-client-helper.service 25

# 5. The worker's user, the policy directory and the client's module.
systemd-sysusers --root="$work/root" "$src/usbip-sandbox.sysusers" >"$work/log" 2>&1 ||
  fail "systemd-sysusers: $(cat "$work/log")"
grep -q '^usbip-worker:x:[0-9]*:[0-9]*:usbip-sandbox worker:/:/usr/sbin/nologin$' \
  "$work/root/etc/passwd" || fail "sysusers did not create usbip-worker: $(cat "$work/root/etc/passwd")"
systemd-tmpfiles --root="$work/root" --create "$src/usbip-sandbox.tmpfiles" >"$work/log" 2>&1 ||
  fail "systemd-tmpfiles: $(cat "$work/log")"
[ -d "$work/root/etc/usbip-sandbox/devices.d" ] || fail "tmpfiles did not create the policy directory"
grep -qx 'vhci-hcd' "$src/usbip-client-helper.modules-load" || fail "modules-load: no vhci-hcd line"

echo "systemd units OK: ${verified[*]}"
