#!/bin/bash
# The kernel's own USB test suite (usbtest) against a SourceSink gadget (Gadget Zero ids)
# imported over USB/IP on 127.0.0.1 through vhci_hcd. Every test the kernel's reference
# server is known to pass must pass: 0-13, 17-20, 24, 27-29. The others are run and reported:
# 14 and 21 fail on dummy_hcd itself; 15, 16, 22, 23, 25 and 26 need endpoints (iso,
# interrupt) the gadget does not have.
#   HOST_IMPL=kernel|project   which USB/IP host serves the gadget (see guest/lib.sh)
#
# Test 24 (unlink from a queue of bulk writes) runs last: on some kernels the in-kernel
# usbip-host oopses during it (general protection fault in stub_rx_loop), more often right
# after 11 and 12. With HOST_IMPL=kernel that is reported as a KERNEL FINDING, not a failure;
# with the project's host any oops fails the scenario.
set -euo pipefail
source "$SOURCE_DIR/tests/vm/guest/lib.sh"

required=" 0 1 2 3 4 5 6 7 8 9 10 11 12 13 17 18 19 20 24 27 28 29 "

# TEST:ITERATIONS:LENGTH:VARY:SGLEN, in the order run. Small counts keep the run short under
# software emulation; every test still moves enough URBs to exercise its path (queues deeper
# than one, lengths that vary in whole packets, both directions).
plan=(
  0:1:0:0:0
  1:32:4096:0:0 2:32:4096:0:0 3:32:4096:512:0 4:32:4096:512:0
  5:4:4096:0:8 6:4:4096:0:8 7:4:4096:512:8 8:4:4096:512:8
  9:4:0:0:0 10:4:0:0:16
  11:8:4096:0:0 12:8:4096:0:0
  13:4:0:0:0
  14:4:256:1:0
  15:4:1024:0:4 16:4:1024:0:4
  17:32:4096:0:0 18:32:4096:0:0 19:32:4096:0:0 20:32:4096:0:0
  21:4:256:1:0
  22:4:1024:0:4 23:4:1024:0:4
  25:4:64:0:0 26:4:64:0:0
  27:4:16384:0:32 28:4:16384:0:32
  29:4:0:0:0
  24:4:4096:0:8
)

vm_require_host
vm_gadget_sourcesink zero "$(vm_udc 0)" || vm_fail "making the SourceSink gadget"
local_dev=$(vm_gadget_device "$(vm_udc 0)") || vm_fail "the gadget did not enumerate"
busid=$(vm_busid "$local_dev")
vm_log "SourceSink gadget enumerated as $busid"

vm_host_export "$busid" || vm_fail "exporting $busid with HOST_IMPL=$HOST_IMPL"
imported=$(vm_attach "$local_dev") || vm_fail "importing $busid over USB/IP"
vm_wait_driver "$imported/$(vm_busid "$imported"):1.0" usbtest || vm_fail "usbtest did not bind"
node=$(vm_dev_node "$imported")
vm_log "imported through vhci_hcd as $(vm_busid "$imported") ($node), usbtest bound"

results=/tmp/usbtest.results
run_status=0
# 15 s for any one test, 60 s for all: they take about 10 s in all, even on a loaded machine.
vm_usbtest "$node" 15 60 "${plan[@]}" >"$results" || run_status=$?
cat "$results"

# Parsed without starting processes: each one costs a good fraction of a second here.
declare -A verdicts=()
while read -r _ test verdict _; do verdicts[${test%:}]=$verdict; done <"$results"
passed=() failed=() not_applicable=()
for spec in "${plan[@]}"; do
  test=${spec%%:*}
  case "${verdicts[$test]:-}" in
    pass) passed+=("$test") ;;
    n/a) not_applicable+=("$test") ;;
    fail | timeout) failed+=("$test") ;;
    *) failed+=("$test") && vm_log "usbtest $test did not run" ;;
  esac
done
[ "$run_status" = 124 ] && vm_log "a test ran out of time; the device is stuck"

echo "usbtest passed:         ${passed[*]:-none}"
echo "usbtest failed:         ${failed[*]:-none}"
echo "usbtest not applicable: ${not_applicable[*]:-none}"

# With the kernel's own server, a test that fails while or after that server oopses says
# nothing about USB/IP; the oops is reported as a finding instead (vm_check_kernel_health).
excused=" "
if [ "$HOST_IMPL" = kernel ] && vm_kernel_oops_lines >/dev/null; then
  oops_test=$(vm_usbtest_oops_test)
  vm_log "the kernel oopsed during usbtest ${oops_test:-(before the first test)}"
  from_oops=0
  [ -z "$oops_test" ] && from_oops=1
  for spec in "${plan[@]}"; do
    [ "${spec%%:*}" = "$oops_test" ] && from_oops=1
    [ "$from_oops" = 1 ] && excused+="${spec%%:*} "
  done
fi

verdict=0
for test in "${failed[@]}"; do
  [[ "$required" == *" $test "* ]] || continue
  if [[ "$excused" == *" $test "* ]]; then
    echo "usbtest $test failed once the kernel's usbip-host had oopsed (see KERNEL FINDING)"
    continue
  fi
  echo "FAIL: usbtest $test failed; the kernel's reference server passes it"
  verdict=1
done
vm_check_kernel_health || verdict=1

# After an oops or a stuck test the server's threads are gone or wedged; tearing down would
# only wait on them.
if ! vm_kernel_oops_lines >/dev/null && [ "$run_status" != 124 ]; then
  vm_detach "$imported" || vm_fail "detaching the imported device"
  vm_host_unexport "$busid" || vm_fail "giving $busid back"
fi
[ "$verdict" = 0 ] || exit 1
if [ "$excused" != " " ]; then
  echo "PASS (with a KERNEL FINDING): usbtest through USB/IP (HOST_IMPL=$HOST_IMPL): the" \
    "required tests that ran before the oops passed; not judged:$excused"
else
  echo "PASS: usbtest through USB/IP (HOST_IMPL=$HOST_IMPL): every required test passed"
fi
