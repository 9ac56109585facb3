#!/usr/bin/env bash
# Checks that the test-only hook stays out of everything that ships: the usbip-worker binary of
# this build does not contain it, and installing this build (what a package would ship) installs
# neither usbip-worker-test-hooks nor any file that contains the hook. The hook binary itself must
# contain the marker, or this check would prove nothing.
#
# Usage: check_release_has_no_hook.sh BUILD_DIR USBIP_WORKER USBIP_WORKER_TEST_HOOKS
set -euo pipefail
build=${1:?usage: check_release_has_no_hook.sh BUILD_DIR USBIP_WORKER USBIP_WORKER_TEST_HOOKS}
worker=${2:?}
hooked=${3:?}
# kTestHookMarker in worker/test_hooks/hook_backend.h
marker='usbip-worker-test-hooks: TEST BUILD'

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

grep -qaF "$marker" "$hooked" || fail "$hooked lacks the marker: this check cannot see the hook"
if grep -qaF "$marker" "$worker"; then fail "$worker contains the test hook"; fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cmake --install "$build" --prefix "$stage/usr" >"$stage.log" 2>&1 || {
  cat "$stage.log" >&2
  rm -f "$stage.log"
  fail "cmake --install failed"
}
rm -f "$stage.log"
[ -x "$stage/usr/sbin/usbip-worker" ] || fail "the install has no sbin/usbip-worker"
if find "$stage" -name 'usbip-worker-test-hooks*' | grep -q .; then
  fail "usbip-worker-test-hooks is installed"
fi
if grep -rlaF "$marker" "$stage"; then fail "installed files (above) contain the test hook"; fi
echo "no test hook in usbip-worker or in the install ($(find "$stage" -type f | wc -l) files)"
